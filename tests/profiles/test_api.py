"""The profiles API, through the surface an app or a browser touches: happy paths for every endpoint."""

import datetime

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from profiles.models import (
    AccessChannel,
    AccessLogEntry,
    AccessPurpose,
    Citizen,
    ConsentEvent,
    FactErrorReport,
    FactSource,
    FactValue,
    Role,
)
from profiles.purposes import Purpose
from profiles.selectors import consent_given
from profiles.services.access import access_record
from profiles.services.consent import consent_grant
from profiles.services.facts import fact_record
from tests.factories import PASSWORD, StaffFactory, resident_id_make


def token_for(username: str, password: str = PASSWORD) -> str:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["token"]


@pytest.fixture
def app_client(citizen):
    """A citizen's app: signed in with a token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(citizen.resident_id)}")
    return client


@pytest.fixture
def web_client(citizen):
    """A citizen's browser: a session."""
    client = APIClient()
    client.force_login(citizen.user)
    return client


def staff_client(**kwargs) -> tuple[APIClient, object]:
    user = StaffFactory(**kwargs)
    client = APIClient()
    client.force_login(user)
    return client, user


def department_value(citizen, key="hukou_type", value="rural", department="public_security"):
    consent_grant(citizen=citizen, purpose=Purpose.DATA_MATCHING, channel="web")
    return fact_record(citizen=citizen, key=key, value=value, source=FactSource.DEPARTMENT_FEED, department=department)


# -- signing up and tokens -----------------------------------------------------------------------


def test_a_citizen_signs_up_and_signs_in_from_an_app(db):
    # given a new resident ID number
    number = resident_id_make(region="450103")
    # when the person signs up
    response = APIClient().post(
        "/api/v1/auth/signup/",
        {"resident_id": number, "name": "张伟", "password": PASSWORD, "phone": "13800000000"},
        format="json",
    )
    # then the account exists, and the answer shows only the masked number
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["resident_id_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert body["name"] == "张伟" and number not in str(body)
    citizen = Citizen.objects.get(resident_id_masked=body["resident_id_masked"])
    assert citizen.phone == "13800000000"
    # and the app signs in with the ID number for a token that opens /me/
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(number)}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["name"] == "张伟"
    citizen.user.refresh_from_db()
    assert citizen.user.last_login is not None


def test_staff_sign_in_for_a_token_with_their_user_name(db):
    user = StaffFactory(username="counter7", role=Role.COUNTER_STAFF)
    token = token_for("counter7")
    assert AuthToken.objects.get(token_key=token[:15]).user == user


def test_a_token_can_be_revoked(citizen, app_client):
    assert app_client.get("/api/v1/me/").status_code == 200
    response = app_client.post("/api/v1/auth/token/revoke/")
    assert response.status_code == 200 and response.json() == {"revoked": 1}
    assert not AuthToken.objects.filter(user=citizen.user).exists()
    refused = app_client.get("/api/v1/me/")
    assert refused.status_code in (401, 403) and set(refused.json()) == {"error"}


# -- the citizen's own data ----------------------------------------------------------------------


def test_me_shows_the_masked_number_name_region_and_switch(citizen, app_client):
    body = app_client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body == {
        "resident_id_masked": citizen.resident_id_masked,
        "name": "李华",
        "identity_verified": True,
        "region_code": "450103",
        "region_name": body["region_name"],
        "personalisation_enabled": True,
    }
    assert "Qingxiu" in body["region_name"]


def test_the_personalisation_switch_is_turned_off(citizen, web_client):
    response = web_client.patch("/api/v1/me/", {"personalisation_enabled": False}, format="json")
    assert response.status_code == 200 and response.json()["personalisation_enabled"] is False
    citizen.refresh_from_db()
    assert citizen.personalisation_enabled is False


def test_my_facts_show_where_each_came_from(citizen, app_client, catalog):
    # given a value from a department and one the citizen gave
    department_value(citizen)
    fact_record(citizen=citizen, key="household_size", value=3, source=FactSource.SELF_DECLARED)
    # when the app reads the facts
    facts = {fact["key"]: fact for fact in app_client.get("/api/v1/me/facts/", HTTP_ACCEPT_LANGUAGE="en").json()}
    # then each carries its provenance
    assert facts["hukou_type"]["value"] == "rural"
    assert facts["hukou_type"]["source"] == "department_feed"
    assert facts["hukou_type"]["department"] == "public_security"
    assert facts["hukou_type"]["department_name"] and facts["hukou_type"]["department_name"] != "public_security"
    assert facts["household_size"]["value"] == 3 and facts["household_size"]["source"] == "self_declared"
    assert facts["household_size"]["label"] == "People in your household"
    assert facts["household_size"]["sensitive"] is False


def test_a_citizen_declares_facts(citizen, app_client):
    response = app_client.post("/api/v1/me/facts/", {"facts": {"household_size": "4", "sex": "female"}}, format="json")
    assert response.status_code == 200, response.json()
    assert {fact["key"]: fact["value"] for fact in response.json()} == {"sex": "female", "household_size": 4}
    stored = FactValue.objects.get(citizen=citizen, key="household_size", superseded_at__isnull=True)
    assert stored.value == 4 and stored.source == FactSource.SELF_DECLARED


def test_a_sensitive_fact_is_stored_once_consent_is_granted(citizen, app_client):
    assert app_client.post("/api/v1/me/consents/sensitive_facts/grant/").status_code == 201
    response = app_client.post("/api/v1/me/facts/", {"facts": {"disability_level": 2}}, format="json")
    assert response.status_code == 200
    [fact] = response.json()
    assert fact["key"] == "disability_level" and fact["sensitive"] is True and fact["value"] == 2


def test_fact_history_keeps_superseded_values(citizen, web_client):
    fact_record(citizen=citizen, key="household_size", value=3, source=FactSource.SELF_DECLARED)
    fact_record(citizen=citizen, key="household_size", value=4, source=FactSource.SELF_DECLARED)
    body = web_client.get("/api/v1/me/facts/history/").json()
    history = [
        (item["value"], item["superseded_at"] is None) for item in body["results"] if item["key"] == "household_size"
    ]
    assert body["count"] == 2
    assert history == [(4, True), (3, False)]


def test_a_citizen_reports_an_error_in_a_department_value(citizen, app_client):
    record = department_value(citizen)
    response = app_client.post(
        "/api/v1/me/facts/hukou_type/error-report/", {"text": "  I moved to the city in 2019. "}, format="json"
    )
    assert response.status_code == 201, response.json()
    report = FactErrorReport.objects.get()
    assert report.fact_value == record and report.text == "I moved to the city in 2019."
    assert response.json()["key"] == "hukou_type"


def test_tags_are_listed_with_their_facts_and_can_be_deleted(citizen, app_client, catalog):
    # given an elderly citizen
    old = (timezone.localdate() - datetime.timedelta(days=365 * 70)).isoformat()
    fact_record(citizen=citizen, key="birth_date", value=old, source=FactSource.SELF_DECLARED)
    # when the app lists the tags
    tags = {tag["code"]: tag for tag in app_client.get("/api/v1/me/tags/").json()}
    # then the elderly tag is there with the fact behind it
    assert [fact["key"] for fact in tags["elderly"]["basis"]] == ["birth_date"]
    assert tags["elderly"]["basis"][0]["source"] == "self_declared"
    # and deleting it keeps it away
    assert app_client.delete("/api/v1/me/tags/elderly/").status_code == 204
    assert "elderly" not in {tag["code"] for tag in app_client.get("/api/v1/me/tags/").json()}


def test_consents_are_listed_with_their_notices(citizen, web_client):
    consent_grant(citizen=citizen, purpose=Purpose.NOTIFY_INBOX, channel="web")
    body = {item["purpose"]: item for item in web_client.get("/api/v1/me/consents/").json()}
    assert set(body) == set(Purpose.values)
    assert body["notify_inbox"]["granted"] is True and body["notify_inbox"]["channel"] == "web"
    assert body["notify_inbox"]["notice"]["version"] >= 1 and body["notify_inbox"]["notice"]["text"]
    assert body["notify_sms"]["granted"] is False and body["notify_sms"]["decided_at"] is None


def test_consent_from_the_app_is_recorded_as_app_and_from_the_web_as_web(citizen, app_client, web_client):
    granted = app_client.post("/api/v1/me/consents/personalisation/grant/")
    assert granted.status_code == 201 and granted.json()["channel"] == "app" and granted.json()["granted"] is True
    assert consent_given(citizen, Purpose.PERSONALISATION)
    withdrawn = web_client.post("/api/v1/me/consents/personalisation/withdraw/")
    assert withdrawn.status_code == 201 and withdrawn.json()["channel"] == "web"
    assert not consent_given(citizen, Purpose.PERSONALISATION)
    ledger = list(ConsentEvent.objects.filter(citizen=citizen).order_by("id").values_list("granted", "channel"))
    assert ledger == [(True, "app"), (False, "web")]


def test_a_citizen_sees_who_looked_at_their_data(citizen, app_client):
    caseworker = StaffFactory(role=Role.CASEWORKER, department="civil_affairs")
    access_record(
        actor=caseworker, subject=citizen, fields=["name"], purpose=AccessPurpose.CASEWORK, channel=AccessChannel.PAGE
    )
    body = app_client.get("/api/v1/me/access-log/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["count"] == 1
    [entry] = body["results"]
    assert entry["actor_role"] == "caseworker" and entry["actor_department"] == "civil_affairs"
    assert entry["purpose"] == "casework" and entry["fields"] == ["name"]
    assert entry["purpose_label"] == "Assessing a benefit case"


def test_a_citizen_exports_everything_held_on_them(citizen, app_client):
    department_value(citizen)
    caseworker = StaffFactory(role=Role.CASEWORKER)
    access_record(
        actor=caseworker, subject=citizen, fields=["name"], purpose=AccessPurpose.CASEWORK, channel=AccessChannel.API
    )
    response = app_client.get("/api/v1/me/export/")
    assert response.status_code == 200
    export = response.json()
    assert export["citizen"]["resident_id_masked"] == citizen.resident_id_masked
    assert [(fact["key"], fact["source"]) for fact in export["facts"]] == [("hukou_type", "department_feed")]
    assert [(c["purpose"], c["granted"]) for c in export["consents"]] == [("data_matching", True)]
    assert [entry["purpose"] for entry in export["access_log"]] == ["casework"]


def test_my_facts_are_read_in_a_fixed_number_of_queries(citizen, web_client, django_assert_max_num_queries):
    consent_grant(citizen=citizen, purpose=Purpose.SENSITIVE_FACTS, channel="web")
    for key, value in {"household_size": 3, "sex": "male", "disability_level": 2, "is_veteran": True}.items():
        fact_record(citizen=citizen, key=key, value=value, source=FactSource.SELF_DECLARED)
    # the browser's first request stores its address and user agent with the session (django-qsessions)
    web_client.get("/api/v1/me/")
    with django_assert_max_num_queries(6):
        response = web_client.get("/api/v1/me/facts/")
    assert len(response.json()) == 4


# -- staff ---------------------------------------------------------------------------------------


def test_a_caseworker_reads_a_person_in_their_region_and_the_read_is_logged(citizen):
    # given a caseworker for Nanning and a person in Qingxiu district
    client, caseworker = staff_client(role=Role.CASEWORKER, region_scope="450100")
    department_value(citizen)
    # when the caseworker reads the record for a purpose
    response = client.get(
        f"/api/v1/staff/citizens/{citizen.pk}/", {"purpose": "casework"}, HTTP_X_REQUEST_ID="req-00042"
    )
    # then they see the person and their facts with provenance
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["resident_id_masked"] == citizen.resident_id_masked and body["name"] == "李华"
    assert [(f["key"], f["source"], f["department"]) for f in body["facts"]] == [
        ("hukou_type", "department_feed", "public_security")
    ]
    # and the read is in the log with its purpose, channel and request id
    entry = AccessLogEntry.objects.get(subject=citizen)
    assert (entry.actor, entry.actor_role, entry.purpose, entry.channel, entry.request_id) == (
        caseworker,
        "caseworker",
        "casework",
        "api",
        "req-00042",
    )
    assert entry.fields == ["hukou_type", "name", "region_code", "resident_id_masked"]


def test_a_sensitive_fact_is_shown_to_staff_when_the_person_consented(citizen):
    client, _ = staff_client(role=Role.COUNTER_STAFF, region_scope="450103")
    consent_grant(citizen=citizen, purpose=Purpose.SENSITIVE_FACTS, channel="web")
    fact_record(citizen=citizen, key="disability_level", value=1, source=FactSource.SELF_DECLARED)
    fact_record(citizen=citizen, key="sex", value="female", source=FactSource.SELF_DECLARED)
    response = client.get(
        f"/api/v1/staff/citizens/{citizen.pk}/", {"purpose": "counter_service", "fields": "disability_level"}
    )
    assert response.status_code == 200, response.json()
    assert [(f["key"], f["value"]) for f in response.json()["facts"]] == [("disability_level", 1)]
    assert AccessLogEntry.objects.get().fields == ["disability_level", "name", "region_code", "resident_id_masked"]


def test_counter_staff_find_a_person_by_resident_id_number(citizen):
    client, _ = staff_client(role=Role.COUNTER_STAFF, region_scope="450100")
    response = client.post(
        "/api/v1/staff/citizens/", {"resident_id": citizen.resident_id, "purpose": "counter_service"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == citizen.pk
    assert AccessLogEntry.objects.get().purpose == "counter_service"


def test_an_auditor_searches_the_access_log(citizen, other_citizen):
    # given reads by two staff members about two people
    alice = StaffFactory(username="alice", role=Role.COUNTER_STAFF)
    bob = StaffFactory(username="bob", role=Role.CASEWORKER)
    for actor, subject, purpose in (
        (alice, citizen, "counter_service"),
        (bob, citizen, "casework"),
        (alice, other_citizen, "outreach"),
    ):
        access_record(actor=actor, subject=subject, fields=["name"], purpose=purpose, channel=AccessChannel.API)
    client, auditor = staff_client(role=Role.AUDITOR, region_scope="")
    # when the auditor searches by subject (in the body), actor, purpose and time
    by_subject = client.post("/api/v1/audit/access-log/", {"subject": citizen.resident_id}, format="json").json()
    by_actor = client.get("/api/v1/audit/access-log/", {"actor": "alice"}).json()
    by_both = client.get("/api/v1/audit/access-log/", {"actor": "alice", "purpose": "outreach"}).json()
    future = (timezone.now() + datetime.timedelta(hours=1)).isoformat()
    since_later = client.get("/api/v1/audit/access-log/", {"since": future}).json()
    until_later = client.get("/api/v1/audit/access-log/", {"until": future}).json()
    # then each answers the matching rows; the search about one person is itself a logged read
    assert {e["actor"] for e in by_subject["results"]} == {"alice", "bob", auditor.username}
    assert {e["subject_id"] for e in by_actor["results"]} == {citizen.pk, other_citizen.pk}
    assert [e["subject_resident_id_masked"] for e in by_both["results"]] == [other_citizen.resident_id_masked]
    assert since_later["count"] == 0 and until_later["count"] == 4
    audit_read = AccessLogEntry.objects.get(actor=auditor)
    assert (audit_read.subject, audit_read.purpose, audit_read.channel) == (citizen, "audit", "api")


def test_a_bad_audit_filter_is_a_field_error(citizen):
    client, _ = staff_client(role=Role.AUDITOR, region_scope="")
    response = client.post(
        "/api/v1/audit/access-log/", {"subject": "450103198001010010", "since": "yesterday"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"subject", "since"}


# -- the schema ----------------------------------------------------------------------------------


def test_the_schema_lists_the_new_paths(client, db):
    text = client.get("/api/schema/").content.decode()
    for path in (
        "/api/v1/auth/signup/",
        "/api/v1/auth/token/",
        "/api/v1/auth/token/revoke/",
        "/api/v1/me/",
        "/api/v1/me/facts/",
        "/api/v1/me/facts/history/",
        "/api/v1/me/facts/{key}/error-report/",
        "/api/v1/me/tags/",
        "/api/v1/me/tags/{life_event}/",
        "/api/v1/me/consents/",
        "/api/v1/me/consents/{purpose}/grant/",
        "/api/v1/me/consents/{purpose}/withdraw/",
        "/api/v1/me/access-log/",
        "/api/v1/me/export/",
        "/api/v1/staff/citizens/",
        "/api/v1/staff/citizens/{citizen_id}/",
        "/api/v1/audit/access-log/",
    ):
        assert f"{path}:" in text, path
