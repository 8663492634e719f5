"""The casework API for caseworkers and the citizen's own cases and inbox."""

import pytest
from rest_framework.test import APIClient

from profiles.models import AccessLogEntry, ConsentChannel, Role
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from services_portal.casework.models import Case, CaseState
from services_portal.feeds.services import feed_batch_ingest
from services_portal.notifications.models import Notification
from tests.factories import StaffFactory, birth_row, citizen_make

CHILDCARE = "gx-childcare-subsidy"
CHECKUP = "gx-elderly-health-checkup"


def consenting(*, region_code: str = "450103", name: str = "李华"):
    citizen = citizen_make(region_code=region_code, name=name)
    for purpose in (Purpose.DATA_MATCHING, Purpose.SENSITIVE_FACTS, Purpose.PROACTIVE_BENEFITS):
        consent_grant(citizen=citizen, purpose=purpose, channel=ConsentChannel.WEB)
    return citizen


def client_for(user, language: str = "zh-hans") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def deliver(django_capture_on_commit_callbacks, catalog, health_feed):
    """The health department delivers rows; detection runs after the commit, as in production."""
    batches = iter(range(1, 1000))

    def deliver(*rows):
        with django_capture_on_commit_callbacks(execute=True):
            return feed_batch_ingest(account=health_feed, batch_id=f"H-{next(batches)}", rows=list(rows))

    return deliver


@pytest.fixture
def childcare_case(deliver, parent):
    deliver(birth_row(parent))
    return Case.objects.get(citizen=parent, service__code=CHILDCARE)


@pytest.fixture
def queue(deliver, parent):
    """An elder's health check-up (no amount) opened first, then the parent's childcare subsidy (3600),
    and a Liuzhou parent's subsidy, outside Nanning."""
    elder = consenting(name="张伯")
    deliver(
        {"resident_id": elder.resident_id, "fact": "birth_date", "value": "1950-03-01", "observed_at": "2026-01-05"}
    )
    deliver(birth_row(parent))
    liuzhou = consenting(region_code="450202", name="韦敏")
    deliver(birth_row(liuzhou))
    return {
        "checkup": Case.objects.get(citizen=elder, service__code=CHECKUP),
        "childcare": Case.objects.get(citizen=parent, service__code=CHILDCARE),
        "liuzhou": Case.objects.get(citizen=liuzhou, service__code=CHILDCARE),
    }


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def decide(client, case, action, version, reason_code="criteria_met", text=""):
    return client.post(
        f"/api/v1/casework/cases/{case.pk}/{action}/",
        {"reason_code": reason_code, "text": text, "version": version},
        format="json",
    )


# -- the queue -----------------------------------------------------------------------------------


def test_the_queue_shows_undecided_cases_in_my_region_oldest_first(queue, caseworker, django_assert_num_queries):
    # when a Nanning caseworker asks for the queue
    with django_assert_num_queries(2):  # the count and the page, however many cases
        response = client_for(caseworker).get("/api/v1/casework/cases/")
    # then the Liuzhou case is not there, and the oldest comes first
    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert ids(response) == [queue["checkup"].pk, queue["childcare"].pk]
    row = response.json()["results"][1]
    assert row["service"]["code"] == CHILDCARE and row["amount_cny"] == "3600.00"
    assert (row["state"], row["version"], row["region_code"]) == ("in_review", 1, "450103")
    assert "resident_id_masked" not in row and "evidence" not in row


def test_the_queue_filters_by_service_region_and_state_and_sorts_by_amount(queue, caseworker, second_caseworker):
    client = client_for(second_caseworker)  # the whole province
    assert ids(client.get("/api/v1/casework/cases/")) == [q.pk for q in queue.values()]
    assert ids(client.get("/api/v1/casework/cases/", {"sort": "amount"})) == [
        queue["childcare"].pk,
        queue["liuzhou"].pk,
        queue["checkup"].pk,
    ]
    assert ids(client.get("/api/v1/casework/cases/", {"service": CHILDCARE, "region": "450200"})) == [
        queue["liuzhou"].pk
    ]
    # a decided case leaves the queue and is found by its state
    decide(client, queue["checkup"], "reject", 1, reason_code="declined")
    assert ids(client.get("/api/v1/casework/cases/")) == [queue["childcare"].pk, queue["liuzhou"].pk]
    assert ids(client.get("/api/v1/casework/cases/", {"state": "rejected"})) == [queue["checkup"].pk]
    # a Nanning caseworker asking for Liuzhou gets nothing
    assert (
        ids(client_for(StaffFactory(role=Role.CASEWORKER)).get("/api/v1/casework/cases/", {"region": "450200"})) == []
    )


def test_the_queue_refuses_unknown_filters_in_the_one_error_shape(queue, caseworker):
    response = client_for(caseworker).get("/api/v1/casework/cases/", {"region": "999999", "sort": "name"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and set(error["fields"]) == {"region", "sort"}


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.COUNTER_STAFF, Role.AUDITOR, Role.DEPARTMENT_FEED])
def test_only_caseworkers_use_the_casework_api(childcare_case, role):
    client = client_for(StaffFactory(role=role))
    assert client.get("/api/v1/casework/cases/").status_code == 403
    assert client.get(f"/api/v1/casework/cases/{childcare_case.pk}/").status_code == 403
    response = decide(client, childcare_case, "approve", 1)
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert not AccessLogEntry.objects.exists()


# -- a case --------------------------------------------------------------------------------------


def test_opening_a_case_shows_evidence_criteria_and_history_and_is_logged(childcare_case, caseworker, parent):
    # when the caseworker opens the case
    response = client_for(caseworker, "en").get(
        f"/api/v1/casework/cases/{childcare_case.pk}/", HTTP_X_REQUEST_ID="req-case-1"
    )
    # then it shows who, the evidence with its source, the criteria and the history
    assert response.status_code == 200
    body = response.json()
    assert body["person"]["resident_id_masked"] == parent.resident_id_masked
    [evidence] = [item for item in body["evidence"] if item["fact"] == "children_birth_dates"]
    assert (evidence["department"], evidence["source"]) == ("health", "department_feed")
    assert evidence["label"] == "Children's dates of birth"
    assert [c["key"] for c in body["criteria"]] and all(c["label"] for c in body["criteria"])
    assert [event["action"] for event in body["history"]] == ["opened"]
    # and the read is in the person's access log, with the request id
    entry = AccessLogEntry.objects.get(subject=parent)
    assert (entry.actor, entry.purpose, entry.channel, entry.request_id) == (
        caseworker,
        "casework",
        "api",
        "req-case-1",
    )
    assert {"resident_id_masked", "children_birth_dates"} <= set(entry.fields)


def test_a_case_outside_my_region_is_not_found_and_not_logged(queue, caseworker):
    client = client_for(caseworker)
    response = client.get(f"/api/v1/casework/cases/{queue['liuzhou'].pk}/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/casework/cases/999999/").status_code == 404
    assert decide(client, queue["liuzhou"], "approve", 1).status_code == 404
    assert not AccessLogEntry.objects.exists()
    assert Case.objects.get(pk=queue["liuzhou"].pk).state == CaseState.IN_REVIEW


# -- decisions -----------------------------------------------------------------------------------


def test_a_large_amount_is_approved_by_two_caseworkers_through_the_api(childcare_case, caseworker, second_caseworker):
    first = decide(client_for(caseworker), childcare_case, "approve", 1)
    assert first.status_code == 200, first.json()
    assert (first.json()["state"], first.json()["version"]) == ("awaiting_second", 2)
    assert first.json()["first_approver"] == caseworker.username
    same = decide(client_for(caseworker), childcare_case, "approve", 2)
    assert same.status_code == 400 and same.json()["error"]["code"] == "same_approver"
    second = decide(client_for(second_caseworker), childcare_case, "approve", 2, "criteria_met_after_check")
    assert second.status_code == 200 and second.json()["state"] == "approved"
    history = client_for(second_caseworker).get(f"/api/v1/casework/cases/{childcare_case.pk}/").json()["history"]
    assert [(e["action"], e["actor"]) for e in history] == [
        ("opened", None),
        ("first_approval", caseworker.username),
        ("approved", second_caseworker.username),
    ]


def test_a_stale_version_answers_409_conflict_in_the_one_error_shape(childcare_case, caseworker, second_caseworker):
    assert decide(client_for(caseworker), childcare_case, "reject", 1, "data_wrong").status_code == 200
    response = decide(client_for(second_caseworker), childcare_case, "approve", 1)
    assert response.status_code == 409
    assert response.json() == {
        "error": {"code": "conflict", "message": response.json()["error"]["message"], "fields": {}}
    }
    assert response.json()["error"]["message"]
    late = decide(client_for(second_caseworker), childcare_case, "approve", 2)
    assert late.status_code == 409 and late.json()["error"]["code"] == "already_decided"
    assert Case.objects.get(pk=childcare_case.pk).state == CaseState.REJECTED


def test_a_decision_needs_a_listed_reason_a_text_for_other_and_a_version(childcare_case, caseworker):
    client = client_for(caseworker)
    unknown = decide(client, childcare_case, "reject", 1, reason_code="because")
    assert unknown.status_code == 400 and list(unknown.json()["error"]["fields"]) == ["reason_code"]
    other = decide(client, childcare_case, "reject", 1, reason_code="other", text="  ")
    assert other.status_code == 400 and other.json()["error"]["code"] == "text_required"
    missing = client.post(f"/api/v1/casework/cases/{childcare_case.pk}/reject/", {"reason_code": "declined"})
    assert missing.status_code == 400 and list(missing.json()["error"]["fields"]) == ["version"]
    assert Case.objects.get(pk=childcare_case.pk).state == CaseState.IN_REVIEW


# -- the citizen's own cases and inbox -----------------------------------------------------------


def test_a_citizen_sees_and_objects_to_only_their_own_cases(queue, parent, caseworker):
    client = client_for(parent.user)
    mine = client.get("/api/v1/me/cases/")
    assert mine.status_code == 200 and ids(mine) == [queue["childcare"].pk]
    detail = client.get(f"/api/v1/me/cases/{queue['childcare'].pk}/").json()
    assert detail["service"]["code"] == CHILDCARE and detail["can_object"] is False
    assert [item["fact"] for item in detail["evidence"]] == ["children_birth_dates"]
    assert "actor" not in detail["history"][0]
    # someone else's case is not found, to read or to object to
    for url in (f"/api/v1/me/cases/{queue['liuzhou'].pk}/", f"/api/v1/me/cases/{queue['liuzhou'].pk}/objection/"):
        response = client.post(url, {"text": "不对"}) if url.endswith("objection/") else client.get(url)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    # an undecided case cannot be objected to yet
    early = client.post(f"/api/v1/me/cases/{queue['childcare'].pk}/objection/", {"text": "不对"})
    assert early.status_code == 400 and early.json()["error"]["code"] == "not_decided"


def test_an_objection_puts_the_case_back_in_the_queue(childcare_case, caseworker, parent):
    decide(client_for(caseworker), childcare_case, "reject", 1, "other", "出生信息待核实")
    client = client_for(parent.user)
    blank = client.post(f"/api/v1/me/cases/{childcare_case.pk}/objection/", {"text": " "}, format="json")
    assert blank.status_code == 400 and blank.json()["error"]["fields"] == {"text": [blank.json()["error"]["message"]]}
    response = client.post(
        f"/api/v1/me/cases/{childcare_case.pk}/objection/", {"text": "孩子是今年出生的"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "in_review" and response.json()["history"][-1]["action"] == "objected"
    queue = client_for(caseworker).get("/api/v1/casework/cases/").json()["results"]
    assert [(row["id"], row["version"]) for row in queue] == [(childcare_case.pk, 3)]


def test_the_inbox_speaks_the_callers_language_and_marks_read(childcare_case, caseworker, parent, other_citizen):
    decide(client_for(caseworker), childcare_case, "reject", 1, "data_wrong")
    # the decision notice, in English for an English request and in Chinese for a Chinese one
    english = client_for(parent.user, "en").get("/api/v1/me/inbox/").json()["results"]
    chinese = client_for(parent.user, "zh-hans").get("/api/v1/me/inbox/").json()["results"]
    assert [n["title"] for n in english] == [Notification.objects.get(citizen=parent).title_en]
    assert english[0]["title"].startswith("Not approved") and english[0]["read_at"] is None
    assert [n["title"] for n in chinese] == [Notification.objects.get(citizen=parent).title_zh]
    assert chinese[0]["title"] != english[0]["title"]
    assert english[0]["link"] == f"/me/cases/{childcare_case.pk}/"
    # marking it read keeps the first time; someone else cannot
    notification_id = english[0]["id"]
    assert client_for(other_citizen.user).post(f"/api/v1/me/inbox/{notification_id}/read/").status_code == 404
    first = client_for(parent.user).post(f"/api/v1/me/inbox/{notification_id}/read/").json()
    again = client_for(parent.user).post(f"/api/v1/me/inbox/{notification_id}/read/").json()
    assert first["read_at"] and again["read_at"] == first["read_at"]
    assert client_for(parent.user).get("/api/v1/me/inbox/", {"unread": "true"}).json()["results"] == []
    assert client_for(other_citizen.user).get("/api/v1/me/inbox/").json()["results"] == []


def test_staff_have_no_inbox_or_cases_of_their_own(caseworker):
    client = client_for(caseworker)
    assert client.get("/api/v1/me/inbox/").status_code == 403
    assert client.get("/api/v1/me/cases/").status_code == 403
