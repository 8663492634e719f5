"""Real-name binding (issue 11): an ID number opens nothing; an account joins a person's record only on a
proof of identity (a code to the phone a department holds, or the counter's activation code)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from profiles.models import Citizen, CodePurpose, ConsentChannel, ConsentEvent, FactSource, FactValue, Role, User
from profiles.purposes import Purpose
from profiles.resident_id import resident_id_hash
from profiles.selectors import consent_given, fact_values_current
from profiles.services.accounts import citizen_register
from profiles.services.codes import code_issue
from profiles.services.consent import consent_grant
from profiles.services.facts import fact_record, facts_self_declare
from profiles.services.identity import identity_begin, identity_complete, identity_methods
from services_portal.core import sms
from services_portal.core.errors import PortalError
from services_portal.eligibility.facts import citizen_facts
from services_portal.feeds.services import feed_batch_ingest
from services_portal.notifications.models import Notification, NotificationKind
from tests.factories import PASSWORD, StaffFactory, citizen_make, resident_id_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _texts_in_memory(texts):
    """Every test here sends its text messages to memory."""


def _texts_to(phone: str) -> list[str]:
    return [message["text"] for message in sms.LocmemBackend.outbox if message["phone"] == phone]


def _known_to_health(health_feed, number: str, *, name: str = "王芳", phone: str = "13912345678", extra=()) -> Citizen:
    """A person the health department delivered a name and a mobile number for (and `extra` rows)."""
    rows = [
        {"resident_id": number, "fact": "full_name", "value": name, "observed_at": "2025-01-01"},
        {"resident_id": number, "fact": "mobile_phone", "value": phone, "observed_at": "2025-01-01"},
        *extra,
    ]
    feed_batch_ingest(account=health_feed, batch_id=f"ID-{number}", rows=rows)
    return Citizen.objects.get(resident_id_hash=resident_id_hash(number))


def _sms_code(phone: str) -> str:
    return re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", _texts_to(phone)[-1]).group(0)


# -- the hole: an ID number alone claims nothing ---------------------------------------------------------


def test_signing_up_with_the_number_of_a_feed_made_record_sees_nothing_of_it(health_feed, parent, catalog):
    # given a person whose record holds what departments delivered, consents and a case
    # (the record has no account: its owner never signed up)
    number = parent.resident_id
    fact_record(citizen=parent, key="is_pregnant", value=True, source=FactSource.DEPARTMENT_FEED, department="health")
    record = Citizen.objects.get(pk=parent.pk)
    user = record.user
    record.user = None
    record.bound_at = None
    record.save()
    user.delete()
    facts_before = sorted(FactValue.objects.filter(citizen=record).values_list("pk", flat=True))
    consents_before = ConsentEvent.objects.filter(citizen=record).count()
    # when someone signs up with the number alone
    intruder = citizen_register(resident_id=number, name="冒名者", password=PASSWORD)
    # then their account is a record of its own, which sees none of the person's facts or consents
    assert intruder.pk != record.pk
    assert fact_values_current(intruder) == {}
    assert not consent_given(intruder, Purpose.DATA_MATCHING)
    client = APIClient()
    client.force_login(intruder.user)
    assert client.get("/api/v1/me/facts/").json() == []
    export = client.get("/api/v1/me/export/").json()
    assert export["facts"] == [] and export["consents"] == []
    # and the person's record is untouched, and still has no account
    record.refresh_from_db()
    assert record.user_id is None and record.name == parent.name
    assert sorted(FactValue.objects.filter(citizen=record).values_list("pk", flat=True)) == facts_before
    assert ConsentEvent.objects.filter(citizen=record).count() == consents_before


def test_the_real_person_can_still_sign_up_after_someone_claimed_their_number(db):
    number = resident_id_make()
    citizen_register(resident_id=number, name="冒名者", password="intruder-password-1")
    mine = citizen_register(resident_id=number, name="王芳", password=PASSWORD)
    assert mine.claimed_id_hash == resident_id_hash(number) and mine.resident_id_hash is None


def test_signing_up_answers_the_same_for_a_registered_and_an_unregistered_number(citizen):
    # given a number with a verified account, and a number nobody has
    registered, unknown = citizen.resident_id, resident_id_make()

    def sign_up_page(number: str):
        response = Client().post(
            "/account/signup/",
            {"resident_id": number, "name": "张伟", "password1": PASSWORD, "password2": PASSWORD, "phone": ""},
            **EN,
        )
        return response.status_code, response["Location"]

    def sign_up_api(number: str):
        response = APIClient().post(
            "/api/v1/auth/signup/", {"resident_id": number, "name": "张伟", "password": PASSWORD}, format="json"
        )
        body = response.json()
        return response.status_code, sorted(body), body["identity_verified"], body["name"]

    # when each is used to sign up, on the page and through the API
    # then the answers are the same: nobody learns whether the number is known
    assert sign_up_page(registered) == sign_up_page(unknown) == (302, "/me/")
    assert sign_up_api(registered) == sign_up_api(unknown)
    assert sign_up_api(unknown)[0] == 201 and sign_up_api(unknown)[2] is False


def test_the_owner_is_told_when_someone_signs_up_with_their_number(citizen, django_capture_on_commit_callbacks):
    # given a verified account whose owner's phone is known
    Citizen.objects.filter(pk=citizen.pk).update(phone="13700001111")
    # when someone signs up with the owner's number
    with django_capture_on_commit_callbacks(execute=True):
        citizen_register(resident_id=citizen.resident_id, name="冒名者", password="intruder-password-1")
    # then the owner finds it in their inbox and gets a text message
    [notice] = Notification.objects.filter(citizen=citizen)
    assert notice.kind == NotificationKind.SECURITY and "signed up with your ID number" in notice.title_en
    assert len(_texts_to("13700001111")) == 1


def test_no_one_is_told_when_the_number_has_no_account(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        citizen_register(resident_id=resident_id_make(), name="张伟", password=PASSWORD)
    assert not Notification.objects.exists() and sms.LocmemBackend.outbox == []


# -- signing in --------------------------------------------------------------------------------------------


def _sign_in(client: Client, number: str, password: str):
    return client.post("/account/login/", {"username": number, "password": password}, **EN)


def test_an_unbound_account_signs_in_with_its_id_number_and_two_claims_each_with_their_own_password(db):
    # given two accounts claiming the same number, with different passwords
    number = resident_id_make()
    first = citizen_register(resident_id=number, name="甲", password="first-password-123")
    second = citizen_register(resident_id=number, name="乙", password="second-password-456")
    # when each signs in with the number and their own password
    for account, password in ((first, "first-password-123"), (second, "second-password-456")):
        client = Client()
        response = _sign_in(client, number, password)
        # then each lands in their own account
        assert response.status_code == 302
        assert int(client.session["_auth_user_id"]) == account.user_id
    # and a wrong password signs in no one
    assert _sign_in(Client(), number, "neither-password-789").status_code == 400


def test_a_token_for_an_unbound_account(db):
    number = resident_id_make()
    account = citizen_register(resident_id=number, name="甲", password=PASSWORD)
    response = APIClient().post("/api/v1/auth/token/", {"username": number, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/me/").json()["name"] == account.name


# -- binding by a code to the phone a department delivered ------------------------------------------------


def test_binding_by_text_message_joins_the_record_with_the_department_phone_and_the_matching_name(
    health_feed, django_capture_on_commit_callbacks
):
    # given a person the health department knows, with a name, a phone, and a birth the person declared nothing of
    number = resident_id_make()
    record = _known_to_health(health_feed, number)
    # and the person signs up, states a fact and grants a consent on their fresh account
    account = citizen_register(resident_id=number, name="王 芳", password=PASSWORD, phone="13600000000")
    facts_self_declare(citizen=account, values={"household_size": 3})
    consent_grant(citizen=account, purpose=Purpose.DATA_MATCHING, channel=ConsentChannel.WEB)
    [sms_method] = [method for method in identity_methods(account) if method.method == "sms"]
    assert sms_method.available and "139****5678" in sms_method.detail
    # when they ask for a code, which goes to the department's phone (not the one they typed)
    identity_begin(citizen=account, method="sms")
    assert _texts_to("13600000000") == [] and len(_texts_to("13912345678")) == 1
    # and enter it
    bound = identity_complete(citizen=account, method="sms", data={"code": _sms_code("13912345678")})
    # then the account holds the person's record, verified by text message
    assert bound.pk == record.pk
    bound.refresh_from_db()
    assert bound.user.username == resident_id_hash(number)
    assert bound.bound_by == "sms" and bound.bound_at is not None
    assert citizen_facts(bound)["household_size"] == 3  # what they declared filled what the record lacked
    assert bound.phone == "13600000000"
    assert consent_given(bound, Purpose.DATA_MATCHING)  # replayed as a new ledger row on the record
    # and the fresh record is erased, pseudonymous, its own ledger row kept
    account.refresh_from_db()
    assert account.erased_at is not None and account.user_id is None and account.name == ""
    assert ConsentEvent.objects.filter(citizen=account).count() == 1
    # and the ID number signs in to the bound account
    client = Client()
    assert _sign_in(client, number, PASSWORD).status_code == 302
    assert int(client.session["_auth_user_id"]) == bound.user_id


def test_a_department_value_is_not_overwritten_by_what_the_account_declared(health_feed):
    number = resident_id_make()
    birth = {"resident_id": number, "fact": "birth_date", "value": "1985-06-07", "observed_at": "2025-01-01"}
    record = _known_to_health(health_feed, number)
    # the birth date row needs the person's consent: grant it on their record, as at a counter
    consent_grant(citizen=record, purpose=Purpose.DATA_MATCHING, channel=ConsentChannel.COUNTER, witness=StaffFactory())
    feed_batch_ingest(account=health_feed, batch_id="B-birth", rows=[birth])
    account = citizen_register(resident_id=number, name="王芳", password=PASSWORD)
    facts_self_declare(citizen=account, values={"birth_date": "1990-01-01"})
    identity_begin(citizen=account, method="sms")
    bound = identity_complete(citizen=account, method="sms", data={"code": _sms_code("13912345678")})
    assert citizen_facts(bound)["birth_date"].isoformat() == "1985-06-07"


def test_binding_by_text_message_is_not_offered_when_the_name_differs(health_feed):
    number = resident_id_make()
    _known_to_health(health_feed, number, name="王芳")
    account = citizen_register(resident_id=number, name="李四", password=PASSWORD)
    assert not next(method for method in identity_methods(account) if method.method == "sms").available
    with pytest.raises(PortalError) as caught:
        identity_begin(citizen=account, method="sms")
    assert caught.value.code == "no_department_phone"
    assert sms.LocmemBackend.outbox == []


def test_binding_by_text_message_needs_a_phone_a_department_delivered(db):
    # given a number nobody delivered anything about, and a phone the account typed itself
    account = citizen_register(resident_id=resident_id_make(), name="王芳", password=PASSWORD, phone="13912345678")
    with pytest.raises(PortalError) as caught:
        identity_begin(citizen=account, method="sms")
    assert caught.value.code == "no_department_phone" and sms.LocmemBackend.outbox == []


def test_a_code_sent_to_another_account_does_not_bind_this_one(health_feed):
    number = resident_id_make()
    _known_to_health(health_feed, number)
    owner = citizen_register(resident_id=number, name="王芳", password=PASSWORD)
    intruder = citizen_register(resident_id=number, name="王芳", password="intruder-password-1")
    identity_begin(citizen=owner, method="sms")
    with pytest.raises(PortalError) as caught:
        identity_complete(citizen=intruder, method="sms", data={"code": _sms_code("13912345678")})
    assert caught.value.code == "code_invalid"


def test_binding_is_refused_when_the_identity_has_an_account_and_its_owner_is_told(
    health_feed, django_capture_on_commit_callbacks
):
    # given a person whose record already has a verified account
    number = resident_id_make()
    record = _known_to_health(health_feed, number)
    first = citizen_register(resident_id=number, name="王芳", password=PASSWORD)
    identity_begin(citizen=first, method="sms")
    identity_complete(citizen=first, method="sms", data={"code": _sms_code("13912345678")})
    # and another account claiming the number, holding a counter code issued for the record before
    second = citizen_register(resident_id=number, name="王芳", password="second-password-456")
    _code, plain = code_issue(purpose=CodePurpose.COUNTER_ACTIVATION, citizen=record)
    # when it tries to bind
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PortalError) as caught:
        identity_complete(citizen=second, method="counter", data={"code": plain})
    # then it is refused, says what to do, and the owner is told
    assert caught.value.code == "identity_has_account" and "reset its password" in str(caught.value.message)
    second.refresh_from_db()
    assert second.bound_at is None and second.resident_id_hash is None
    assert Notification.objects.filter(citizen=record, kind=NotificationKind.SECURITY).count() == 1
    record.refresh_from_db()
    assert record.user_id == first.user_id


# -- the verify page and the API ------------------------------------------------------------------------------


def test_an_unbound_account_is_told_it_is_not_verified_and_verifies_on_the_page(health_feed):
    number = resident_id_make()
    record = _known_to_health(health_feed, number)
    account = citizen_register(resident_id=number, name="王芳", password=PASSWORD)
    client = Client()
    client.force_login(account.user)
    profile = client.get("/me/", **EN).content.decode()
    assert "Your identity is not verified" in profile and "/account/verify/" in profile
    page = client.get("/account/verify/", **EN).content.decode()
    assert "139****5678" in page
    response = client.post("/account/verify/", {"method": "sms", "action": "begin"}, **EN)
    assert response.status_code == 200 and "We sent a code" in response.content.decode()
    wrong = client.post("/account/verify/", {"method": "sms", "action": "complete", "code": "000000"}, **EN)
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    code = _sms_code("13912345678")
    response = client.post("/account/verify/", {"method": "sms", "action": "complete", "code": code}, **EN)
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert "Your identity is not verified" not in client.get("/me/", **EN).content.decode()
    assert Citizen.objects.get(user=account.user).pk == record.pk


def test_the_identity_api(health_feed):
    number = resident_id_make()
    _known_to_health(health_feed, number)
    account = citizen_register(resident_id=number, name="王芳", password=PASSWORD)
    client = APIClient()
    client.force_authenticate(account.user)
    status = client.get("/api/v1/me/identity/").json()
    assert status["verified"] is False
    assert {m["method"]: m["available"] for m in status["methods"]} == {"sms": True, "counter": True}
    begun = client.post("/api/v1/me/identity/begin/", {"method": "sms"}, format="json")
    assert begun.status_code == 200 and "139****5678" in begun.json()["detail"]
    code = _sms_code("13912345678")
    done = client.post("/api/v1/me/identity/complete/", {"method": "sms", "code": code}, format="json")
    assert done.status_code == 200 and done.json()["verified"] is True and done.json()["verified_by"] == "sms"
    unknown = client.post("/api/v1/me/identity/begin/", {"method": "fax"}, format="json")
    assert unknown.status_code == 400


# -- department feeds -----------------------------------------------------------------------------------------


def test_a_refused_feed_row_creates_no_person(health_feed):
    number = resident_id_make()
    row = {"resident_id": number, "fact": "is_pregnant", "value": True, "observed_at": "2026-01-01"}
    batch = feed_batch_ingest(account=health_feed, batch_id="B-refused", rows=[row])
    assert batch.rows_rejected == 1 and batch.people_created == 0
    assert not Citizen.objects.exists()


def test_identity_facts_make_a_record_without_consent_and_serve_nothing_else(health_feed):
    number = resident_id_make()
    record = _known_to_health(health_feed, number)
    assert set(fact_values_current(record)) == {"full_name", "mobile_phone"}
    # eligibility, the recommender and casework never see them
    assert citizen_facts(record) == {}


def test_a_person_cannot_state_an_identity_fact_themselves(db):
    account = citizen_make()
    with pytest.raises(PortalError) as caught:
        facts_self_declare(citizen=account, values={"mobile_phone": "13912345678"})
    assert caught.value.code == "identity_fact"


def test_a_ward_is_a_claim_that_department_data_about_the_child_never_reaches(health_feed, parent):
    import datetime

    from django.utils import timezone

    from profiles.services.accounts import ward_register

    born = (timezone.localdate() - datetime.timedelta(days=400)).strftime("%Y%m%d")
    child_number = resident_id_make(born=born)
    ward = ward_register(guardian=parent, resident_id=child_number, name="小明")
    assert ward.resident_id_hash is None and ward.claimed_id_hash == resident_id_hash(child_number)
    row = {"resident_id": child_number, "fact": "full_name", "value": "小明", "observed_at": "2025-01-01"}
    feed_batch_ingest(account=health_feed, batch_id="B-child", rows=[row])
    assert fact_values_current(ward) == {}


def test_staff_usernames_still_sign_in(db):
    StaffFactory(username="counter1", role=Role.COUNTER_STAFF)
    assert _sign_in(Client(), "counter1", PASSWORD).status_code == 302
    assert User.objects.get(username="counter1").role == Role.COUNTER_STAFF
