"""Attacks on the profiles API. Each must fail cleanly (403/404, or a clear error in the one shape) and
leave nothing changed: the counts and the victim's values are checked after every attempt."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.http import HttpRequest
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
    TagSuppression,
    User,
)
from profiles.purposes import Purpose
from profiles.resident_id import check_character
from profiles.selectors import consent_given
from profiles.services.access import access_record
from profiles.services.accounts import login_name
from profiles.services.consent import consent_grant
from profiles.services.facts import fact_record
from tests.factories import PASSWORD, StaffFactory, resident_id_make

ME_READS = [
    "/api/v1/me/",
    "/api/v1/me/facts/",
    "/api/v1/me/facts/history/",
    "/api/v1/me/tags/",
    "/api/v1/me/consents/",
    "/api/v1/me/access-log/",
    "/api/v1/me/export/",
]


def snapshot() -> dict:
    """Everything an attack could change, as counts and values."""
    return {
        "citizens": list(Citizen.objects.order_by("pk").values_list("pk", "name", "personalisation_enabled")),
        "users": User.objects.count(),
        "tokens": AuthToken.objects.count(),
        "facts": list(
            FactValue.objects.order_by("pk").values_list("pk", "citizen_id", "key", "value", "superseded_at")
        ),
        "consents": list(ConsentEvent.objects.order_by("pk").values_list("pk", "citizen_id", "purpose", "granted")),
        "access_log": AccessLogEntry.objects.count(),
        "error_reports": FactErrorReport.objects.count(),
        "tag_suppressions": TagSuppression.objects.count(),
    }


def assert_error(response, status: int | tuple[int, ...], code: str | None = None) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content)
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


@pytest.fixture
def victim(other_citizen, catalog):
    """A person with something in every part of their record: facts (one sensitive, one from a
    department, one old enough for a tag), consents, an error report and reads in the access log."""
    for purpose in (Purpose.DATA_MATCHING, Purpose.SENSITIVE_FACTS, Purpose.NOTIFY_SMS):
        consent_grant(citizen=other_citizen, purpose=purpose, channel="web")
    old = (timezone.localdate() - datetime.timedelta(days=365 * 75)).isoformat()
    fact_record(citizen=other_citizen, key="birth_date", value=old, source=FactSource.SELF_DECLARED)
    fact_record(citizen=other_citizen, key="household_size", value=7, source=FactSource.SELF_DECLARED)
    fact_record(citizen=other_citizen, key="disability_level", value=1, source=FactSource.SELF_DECLARED)
    hukou = fact_record(
        citizen=other_citizen,
        key="hukou_type",
        value="rural",
        source=FactSource.DEPARTMENT_FEED,
        department="public_security",
    )
    FactErrorReport.objects.create(fact_value=hukou, text="wrong")
    access_record(
        actor=StaffFactory(role=Role.CASEWORKER),
        subject=other_citizen,
        fields=["name"],
        purpose=AccessPurpose.CASEWORK,
        channel=AccessChannel.PAGE,
    )
    return other_citizen


@pytest.fixture
def attacker(citizen):
    """A signed-in citizen, with a token."""
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": citizen.resident_id, "password": PASSWORD}).json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    return client


def leaks(response, victim) -> list[str]:
    text = response.content.decode()
    return [secret for secret in (victim.name, victim.resident_id_masked, victim.resident_id) if secret in text]


# -- one citizen, another's data -------------------------------------------------------------------


@pytest.mark.parametrize("path", ME_READS)
def test_a_citizen_cannot_read_another_by_naming_them(attacker, victim, path):
    # given the attacker's own answer
    own = attacker.get(path)
    before = snapshot()
    for params in (
        {"citizen": victim.pk},
        {"id": victim.pk},
        {"citizen_id": victim.pk},
        {"user": victim.user_id},
        {"resident_id": victim.resident_id},
        {"subject": victim.resident_id},
    ):
        # when they name the victim in the query
        response = attacker.get(path, params)
        # then they get their own data, never the victim's
        assert response.status_code == 200
        assert not leaks(response, victim), (path, params)
        if "export" not in path:  # the export is stamped with the time it was made
            assert response.json() == own.json()
    assert snapshot() == before


def test_a_citizen_cannot_change_another_by_naming_them_in_the_body(attacker, citizen, victim):
    before = snapshot()
    victim_facts = list(FactValue.objects.filter(citizen=victim).values_list("pk", "value", "superseded_at"))
    # when the attacker names the victim in every write
    attacker.patch(f"/api/v1/me/?citizen={victim.pk}", {"personalisation_enabled": False, "citizen": victim.pk})
    attacker.post(
        f"/api/v1/me/facts/?citizen={victim.pk}",
        {"citizen": victim.pk, "citizen_id": victim.pk, "facts": {"household_size": 1}},
        format="json",
    )
    attacker.post(f"/api/v1/me/consents/notify_sms/withdraw/?citizen={victim.pk}", {"citizen": victim.pk})
    # then only their own record changed
    victim.refresh_from_db()
    assert victim.personalisation_enabled is True
    assert list(FactValue.objects.filter(citizen=victim).values_list("pk", "value", "superseded_at")) == victim_facts
    assert consent_given(victim, Purpose.NOTIFY_SMS)
    victims_ledger = [event for event in before["consents"] if event[1] == victim.pk]
    assert [event for event in snapshot()["consents"] if event[1] == victim.pk] == victims_ledger
    assert FactValue.objects.get(citizen=citizen, key="household_size").value == 1


def test_a_citizen_cannot_report_or_delete_what_only_another_has(attacker, victim):
    before = snapshot()
    # the victim has a department value and an elderly tag; the attacker has neither
    assert_error(
        attacker.post(
            f"/api/v1/me/facts/hukou_type/error-report/?citizen={victim.pk}", {"text": "x", "citizen": victim.pk}
        ),
        400,
        "no_such_fact",
    )
    assert_error(attacker.delete(f"/api/v1/me/tags/elderly/?citizen={victim.pk}"), 400, "no_such_tag")
    assert snapshot() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/staff/citizens/{pk}/?purpose=casework",
        "/api/v1/staff/citizens/",
        "/api/v1/audit/access-log/",
    ],
)
def test_a_citizen_cannot_use_the_staff_or_audit_endpoints(attacker, victim, path):
    before = snapshot()
    body = {"resident_id": victim.resident_id, "subject": victim.resident_id, "purpose": "casework"}
    by_id = "{pk}" in path
    response = attacker.get(path.format(pk=victim.pk)) if by_id else attacker.post(path, body, format="json")
    assert_error(response, 403, "permission_denied")
    assert not leaks(response, victim)
    assert snapshot() == before


def test_without_signing_in_nothing_is_answered(victim):
    before = snapshot()
    client = APIClient()
    for path in [*ME_READS, f"/api/v1/staff/citizens/{victim.pk}/?purpose=casework"]:
        assert_error(client.get(path), (401, 403), "not_authenticated")
    assert_error(client.post("/api/v1/me/consents/notify_sms/withdraw/"), (401, 403), "not_authenticated")
    assert snapshot() == before


# -- staff out of their lane -----------------------------------------------------------------------


@pytest.mark.parametrize("role, purpose", [(Role.CASEWORKER, "casework"), (Role.COUNTER_STAFF, "counter_service")])
def test_staff_outside_their_region_find_no_one(victim, role, purpose):
    # given staff for Liuzhou (4502) and a person in Nanning (4501)
    client = APIClient()
    client.force_login(StaffFactory(role=role, region_scope="450200"))
    before = snapshot()
    # when they read the person by id and by ID number
    by_id = client.get(f"/api/v1/staff/citizens/{victim.pk}/", {"purpose": purpose})
    by_number = client.post(
        "/api/v1/staff/citizens/", {"resident_id": victim.resident_id, "purpose": purpose}, format="json"
    )
    # then the person does not exist for them, and no read is logged
    for response in (by_id, by_number):
        assert_error(response, 404, "not_found")
        assert not leaks(response, victim)
    assert snapshot() == before


def test_an_unknown_person_and_an_unknown_id_look_the_same(victim):
    client = APIClient()
    client.force_login(StaffFactory(role=Role.CASEWORKER, region_scope="450100"))
    before = snapshot()
    assert_error(client.get("/api/v1/staff/citizens/999999/", {"purpose": "casework"}), 404, "not_found")
    stranger = resident_id_make(region="450103", sequence=987)
    lookup = {"resident_id": stranger, "purpose": "casework"}
    assert_error(client.post("/api/v1/staff/citizens/", lookup, format="json"), 404)
    assert snapshot() == before


@pytest.mark.parametrize("role", [Role.DEPARTMENT_FEED, Role.AUDITOR, Role.CATALOG_EDITOR])
def test_roles_without_citizen_read_are_refused(victim, role):
    client = APIClient()
    client.force_login(StaffFactory(role=role, region_scope="450000"))
    before = snapshot()
    for response in (
        client.get(f"/api/v1/staff/citizens/{victim.pk}/", {"purpose": "audit"}),
        client.post("/api/v1/staff/citizens/", {"resident_id": victim.resident_id, "purpose": "audit"}, format="json"),
        client.get("/api/v1/me/facts/"),
    ):
        assert_error(response, 403, "permission_denied")
        assert not leaks(response, victim)
    assert snapshot() == before


def test_a_feed_account_cannot_search_the_access_log(victim):
    client = APIClient()
    client.force_login(StaffFactory(role=Role.DEPARTMENT_FEED))
    assert_error(client.get("/api/v1/audit/access-log/"), 403, "permission_denied")


def test_staff_need_a_purpose_and_nothing_is_logged_without_one(victim):
    client = APIClient()
    client.force_login(StaffFactory(role=Role.CASEWORKER, region_scope="450100"))
    before = snapshot()
    for purpose in ("", "curiosity"):
        error = assert_error(client.get(f"/api/v1/staff/citizens/{victim.pk}/", {"purpose": purpose}), 400)
        assert error["code"] == "purpose_required" and "purpose" in error["fields"]
    assert snapshot() == before


def test_staff_asking_for_a_sensitive_fact_without_consent_are_refused(citizen):
    # given a person who has not consented to sensitive facts
    client = APIClient()
    client.force_login(StaffFactory(role=Role.CASEWORKER, region_scope="450100"))
    fact_record(citizen=citizen, key="household_size", value=2, source=FactSource.SELF_DECLARED)
    before = snapshot()
    # when a caseworker asks for their disability level
    response = client.get(
        f"/api/v1/staff/citizens/{citizen.pk}/", {"purpose": "casework", "fields": "household_size,disability_level"}
    )
    # then it is refused, says why, and no read is logged
    error = assert_error(response, 403, "sensitive_consent_required")
    assert "fields" in error["fields"]
    assert snapshot() == before
    # and an unknown field is a clear error too
    assert_error(
        client.get(f"/api/v1/staff/citizens/{citizen.pk}/", {"purpose": "casework", "fields": "shoe_size"}),
        400,
        "unknown_fact",
    )
    assert snapshot() == before


def test_sensitive_facts_withdrawn_are_not_shown_to_staff(citizen):
    consent_grant(citizen=citizen, purpose=Purpose.SENSITIVE_FACTS, channel="web")
    fact_record(citizen=citizen, key="disability_level", value=1, source=FactSource.SELF_DECLARED)
    from profiles.services.consent import consent_withdraw

    consent_withdraw(citizen=citizen, purpose=Purpose.SENSITIVE_FACTS, channel="web")
    client = APIClient()
    client.force_login(StaffFactory(role=Role.CASEWORKER, region_scope="450100"))
    response = client.get(f"/api/v1/staff/citizens/{citizen.pk}/", {"purpose": "casework"})
    assert response.status_code == 200
    assert "disability_level" not in {fact["key"] for fact in response.json()["facts"]}
    assert "disability_level" not in AccessLogEntry.objects.get().fields


# -- signing in ------------------------------------------------------------------------------------


def test_repeated_wrong_passwords_lock_signing_in_even_with_the_right_one(citizen):
    client = APIClient()
    before = snapshot()
    # when someone tries six wrong passwords
    answers = [
        client.post(
            "/api/v1/auth/token/",
            {"username": citizen.resident_id, "password": f"wrong-{n}"},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        for n in range(6)
    ]
    # then the first are refused as wrong, and from the limit on signing in is locked, in the one shape
    for response in answers[:4]:
        assert_error(response, 400, "invalid_credentials")
    for response in answers[4:]:
        error = assert_error(response, (403, 429), "locked_out")
        assert "locked" in error["message"] and "right password" in error["message"]
    # and the right password is refused too, with the message in the caller's language
    right = client.post(
        "/api/v1/auth/token/",
        {"username": citizen.resident_id, "password": PASSWORD},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert "锁定" in assert_error(right, (403, 429), "locked_out")["message"]
    assert snapshot() == before
    # and django-axes holds the keyed hash, never the ID number
    attempt = AccessAttempt.objects.get()
    assert attempt.username == login_name(citizen.resident_id)
    assert citizen.resident_id not in f"{attempt.username} {attempt.get_data} {attempt.post_data}"


def test_a_session_post_without_the_csrf_token_is_refused(citizen):
    # given a browser session made by a real sign-in
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(request=HttpRequest(), username=login_name(citizen.resident_id), password=PASSWORD)
    before = snapshot()
    # when it writes without the CSRF token
    for response in (
        client.post("/api/v1/me/consents/personalisation/grant/"),
        client.patch("/api/v1/me/", {"personalisation_enabled": False}, format="json"),
        client.post("/api/v1/me/facts/", {"facts": {"household_size": 2}}, format="json"),
        client.post("/api/v1/auth/token/revoke/"),
    ):
        # then it is refused and nothing changes
        assert "CSRF" in assert_error(response, 403, "permission_denied")["message"]
    assert snapshot() == before
    # while the same request with the token goes through
    client.cookies["csrftoken"] = "a" * 32
    granted = client.post("/api/v1/me/consents/personalisation/grant/", HTTP_X_CSRFTOKEN="a" * 32)
    assert granted.status_code == 201


# -- bad input -------------------------------------------------------------------------------------


def _number_with_wrong_check_digit() -> str:
    good = resident_id_make(region="450103")
    wrong = next(c for c in "0123456789X" if c != check_character(good[:17]))
    return good[:17] + wrong


def _number_born_in_the_future() -> str:
    born = timezone.localdate() + datetime.timedelta(days=40)
    return resident_id_make(region="450103", born=born.strftime("%Y%m%d"))


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (_number_with_wrong_check_digit(), "wrong_check_digit"),
        (_number_born_in_the_future(), "invalid_birth_date"),
        ("45010319800101", "invalid_format"),
    ],
)
def test_signing_up_with_a_bad_id_number_is_a_field_error(db, number, code):
    before = snapshot()
    response = APIClient().post(
        "/api/v1/auth/signup/", {"resident_id": number, "name": "张伟", "password": PASSWORD}, format="json"
    )
    error = assert_error(response, 400, code)
    assert error["fields"]["resident_id"]
    assert snapshot() == before


def test_signing_up_with_a_weak_password_stores_nothing(citizen):
    before = snapshot()
    weak = {"resident_id": resident_id_make(), "name": "张伟", "password": "123"}
    assert "password" in assert_error(APIClient().post("/api/v1/auth/signup/", weak, format="json"), 400)["fields"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("facts", "field", "code"),
    [
        ({"birth_date": "2999-01-01", "sex": "female"}, "facts.birth_date", "invalid_facts"),
        ({"shoe_size": 42, "sex": "female"}, "facts.shoe_size", "invalid_facts"),
        ({"household_size": "many", "sex": "female"}, "facts.household_size", "invalid_facts"),
        ({"is_veteran": "perhaps"}, "facts.is_veteran", "invalid_facts"),
        ({"sex": "female", "disability_level": 2}, "facts.disability_level", "sensitive_consent_required"),
        (
            {"household_income_monthly_per_capita": 800},
            "facts.household_income_monthly_per_capita",
            "sensitive_consent_required",
        ),
    ],
)
def test_bad_facts_are_a_field_error_and_nothing_is_stored(citizen, attacker, facts, field, code):
    before = snapshot()
    response = attacker.post("/api/v1/me/facts/", {"facts": facts}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    error = assert_error(response, 400, code)
    assert error["fields"][field], error
    assert snapshot() == before
    assert not FactValue.objects.filter(citizen=citizen).exists()


def test_a_body_that_is_not_facts_is_a_400(attacker):
    before = snapshot()
    assert "facts" in assert_error(attacker.post("/api/v1/me/facts/", {"facts": "lots"}, format="json"), 400)["fields"]
    assert_error(attacker.post("/api/v1/me/facts/", "{broken", content_type="application/json"), 400, "parse_error")
    switch = attacker.patch("/api/v1/me/", {"personalisation_enabled": "maybe"}, format="json")
    assert "personalisation_enabled" in assert_error(switch, 400)["fields"]
    assert_error(attacker.post("/api/v1/me/consents/world_domination/grant/"), 400, "unknown_purpose")
    assert snapshot() == before
