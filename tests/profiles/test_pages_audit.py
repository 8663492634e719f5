"""The auditor's access-log search and its CSV export; nobody else may see them."""

from __future__ import annotations

import csv
import io

import pytest

from profiles.models import AccessLogEntry, Role
from profiles.services.access import access_record
from tests.factories import MODEL_BACKEND, StaffFactory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
AUDIT_PATHS = ["/audit/", "/audit/access-log/", "/audit/access-log.csv"]


@pytest.fixture
def auditor(db):
    return StaffFactory(username="auditor1", role=Role.AUDITOR, region_scope="")


@pytest.fixture
def auditing(client, auditor):
    client.force_login(auditor, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def reads(citizen, other_citizen):
    """Two staff members' reads: alice read both people, bob one of them."""
    alice = StaffFactory(username="alice", role=Role.COUNTER_STAFF)
    bob = StaffFactory(username="bob", role=Role.CASEWORKER)
    access_record(actor=alice, subject=citizen, fields=["birth_date"], purpose="counter_service", channel="page")
    access_record(actor=alice, subject=other_citizen, fields=["sex"], purpose="outreach", channel="page")
    access_record(actor=bob, subject=citizen, fields=["household_size"], purpose="casework", channel="api")
    return alice, bob


@pytest.mark.parametrize(("language", "heading"), [("en", "Access log"), ("zh-hans", "访问日志")])
def test_the_search_page_renders_in_both_languages(auditing, reads, language, heading):
    response = auditing.get("/audit/access-log/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200 and f"<h1>{heading}</h1>" in response.content.decode()


def test_searching_by_person_shows_their_entries_and_is_itself_logged(auditing, auditor, citizen, reads):
    # when the auditor searches for one person by resident ID number
    response = auditing.post("/audit/access-log/", {"subject": citizen.resident_id}, **EN)
    # then only that person's entries are shown, this search's own read among them
    html = response.content.decode()
    assert response.status_code == 200
    assert "3 entries found" in html and "<td>Reaching a person who is not online</td>" not in html
    assert html.count("<td>auditor1</td>") == 1
    assert f"<td>{citizen.resident_id_masked}</td>" in html
    # the number travels in the form, never in a link
    assert f"={citizen.resident_id}" not in html
    # and the search is recorded in that person's log, once
    logged = AccessLogEntry.objects.filter(actor=auditor)
    assert list(logged.values_list("subject", "purpose", "channel", "fields")) == [
        (citizen.pk, "audit", "page", ["access_log"])
    ]


def test_searching_by_staff_member_purpose_and_period(auditing, auditor, reads):
    html = auditing.post("/audit/access-log/", {"actor": "alice", "purpose": "outreach"}, **EN).content.decode()
    assert "1 entry found" in html and "<td>Reaching a person who is not online</td>" in html
    html = auditing.post("/audit/access-log/", {"since": "2000-01-01", "until": "2000-12-31"}, **EN).content.decode()
    assert "0 entries found" in html
    # a search that names nobody reads nobody's data, and is not logged
    assert not AccessLogEntry.objects.filter(actor=auditor).exists()


def test_a_bad_search_says_what_is_wrong(auditing, db):
    response = auditing.post("/audit/access-log/", {"subject": "12345", "since": "2024-05-02", "until": "2024-05-01"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_subject_error"' in html and 'id="id_until_error"' in html


def test_an_unknown_person_has_no_entries(auditing, db):
    from tests.factories import resident_id_make

    html = auditing.post("/audit/access-log/", {"subject": resident_id_make()}, **EN).content.decode()
    assert "0 entries found" in html


def test_the_csv_holds_the_same_search(auditing, auditor, citizen, reads):
    # when the auditor downloads a search by person
    response = auditing.post("/audit/access-log.csv", {"subject": citizen.resident_id}, **EN)
    # then the file has the same entries, and the download is logged as an export
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["When", "Staff user name", "Role"]
    assert sorted(row[1] for row in rows[1:]) == ["alice", "auditor1", "bob"]
    assert {row[3] for row in rows[1:]} == {citizen.resident_id_masked}
    assert AccessLogEntry.objects.filter(actor=auditor, channel="export", subject=citizen).count() == 1


def test_a_user_name_cannot_become_a_spreadsheet_formula(auditing, citizen):
    staff = StaffFactory(username="=cmd", role=Role.COUNTER_STAFF)
    access_record(actor=staff, subject=citizen, fields=["sex"], purpose="outreach", channel="page")
    rows = list(csv.reader(io.StringIO(auditing.post("/audit/access-log.csv").content.decode("utf-8-sig"))))
    assert rows[1][1] == "'=cmd"


def test_results_are_paginated_with_fewer_rows_in_elder_mode(auditing, citizen):
    staff = StaffFactory(role=Role.CASEWORKER)
    for _ in range(17):
        access_record(actor=staff, subject=citizen, fields=["sex"], purpose="casework", channel="page")
    auditing.cookies["display"] = "elder"
    html = auditing.post("/audit/access-log/", {"purpose": "casework"}, **EN).content.decode()
    assert html.count("<tr>") == 1 + 16 and "Page 1 of 2" in html and 'name="page" value="2"' in html
    html = auditing.post("/audit/access-log/", {"purpose": "casework", "page": "2"}, **EN).content.decode()
    assert html.count("<tr>") == 1 + 1 and "Page 2 of 2" in html


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.COUNTER_STAFF, Role.CASEWORKER])
@pytest.mark.parametrize("path", AUDIT_PATHS)
def test_citizens_and_other_staff_are_refused(client, citizen, role, path):
    user = citizen.user if role == Role.CITIZEN else StaffFactory(role=role)
    client.force_login(user, backend=MODEL_BACKEND)
    assert client.get(path).status_code == 403
    assert client.post(path, {"subject": citizen.resident_id}).status_code == 403
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize("path", AUDIT_PATHS)
def test_visitors_are_sent_to_sign_in(client, db, path):
    assert client.get(path)["Location"].startswith("/account/login/?next=")
