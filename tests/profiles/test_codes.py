"""One-time codes (profiles/services/codes.py): hashed, expiring, few tries, single use, revoked on
reissue, throttled."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone, translation

from profiles.models import CodePurpose, OneTimeCode
from profiles.services.codes import CodeThrottled, code_issue, code_redeem, code_send
from services_portal.core import sms
from services_portal.core.errors import PortalError
from tests.factories import citizen_make


@pytest.fixture
def person(db):
    return citizen_make()


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


def _wrong(plain: str) -> str:
    return "1" * len(plain) if plain != "1" * len(plain) else "2" * len(plain)


def test_only_a_keyed_hash_of_the_code_is_stored(person):
    code, plain = code_issue(purpose=CodePurpose.BIND_BY_PHONE, citizen=person, user=person.user)
    stored = " ".join(str(value) for value in OneTimeCode.objects.filter(pk=code.pk).values().first().values())
    assert plain not in stored and len(code.code_hash) == 64
    assert len(plain) == 6 and plain.isdigit()


def test_a_counter_code_is_eight_characters_easy_to_read_aloud(person):
    _code, plain = code_issue(purpose=CodePurpose.COUNTER_ACTIVATION, citizen=person)
    assert len(plain) == 8 and not set(plain) & set("01OIL")
    # typed in lower case, with a space, or in full-width characters, it is the same code
    typed = " ".join([plain[:4].lower(), plain[4:]])
    assert code_redeem(purpose=CodePurpose.COUNTER_ACTIVATION, plain=typed, citizen=person).used_at is not None


def test_a_code_works_once(person):
    _code, plain = code_issue(purpose=CodePurpose.BIND_BY_PHONE, citizen=person, user=person.user)
    assert code_redeem(purpose=CodePurpose.BIND_BY_PHONE, plain=plain, citizen=person, user=person.user)
    with pytest.raises(PortalError) as caught:
        code_redeem(purpose=CodePurpose.BIND_BY_PHONE, plain=plain, citizen=person, user=person.user)
    assert caught.value.code == "code_invalid"


def test_a_code_expires(person, settings):
    settings.CODE_MINUTES = 10
    _code, plain = code_issue(purpose=CodePurpose.BIND_BY_PHONE, citizen=person, user=person.user)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)), pytest.raises(PortalError) as caught:
        code_redeem(purpose=CodePurpose.BIND_BY_PHONE, plain=plain, citizen=person, user=person.user)
    assert caught.value.code == "code_expired"


def test_a_counter_code_lives_as_long_as_its_own_setting(person, settings):
    settings.COUNTER_ACTIVATION_CODE_MINUTES = 30
    before = timezone.now()
    code, _plain = code_issue(purpose=CodePurpose.COUNTER_ACTIVATION, citizen=person)
    assert before + datetime.timedelta(minutes=30) <= code.expires_at <= timezone.now() + datetime.timedelta(minutes=30)


def test_wrong_tries_are_counted_and_the_last_one_kills_the_code(person, settings):
    settings.CODE_MAX_ATTEMPTS = 3
    code, plain = code_issue(purpose=CodePurpose.BIND_BY_PHONE, citizen=person, user=person.user)
    for left in (2, 1):
        with pytest.raises(PortalError) as caught:
            code_redeem(purpose=CodePurpose.BIND_BY_PHONE, plain=_wrong(plain), citizen=person, user=person.user)
        assert caught.value.code == "code_wrong" and str(left) in caught.value.message
    with pytest.raises(PortalError) as caught:
        code_redeem(purpose=CodePurpose.BIND_BY_PHONE, plain=_wrong(plain), citizen=person, user=person.user)
    assert caught.value.code == "code_wrong" and "last try" in caught.value.message
    code.refresh_from_db()
    assert code.attempts == 3
    # then even the right code is refused
    with pytest.raises(PortalError) as caught:
        code_redeem(purpose=CodePurpose.BIND_BY_PHONE, plain=plain, citizen=person, user=person.user)
    assert caught.value.code == "code_exhausted"


def test_a_new_code_revokes_the_one_before(person, settings):
    settings.CODE_RESEND_AFTER_SECONDS = 0
    first, first_plain = code_issue(purpose=CodePurpose.BIND_BY_PHONE, citizen=person, user=person.user)
    _second, second_plain = code_issue(purpose=CodePurpose.BIND_BY_PHONE, citizen=person, user=person.user)
    first.refresh_from_db()
    assert first.revoked_at is not None
    if first_plain != second_plain:
        with pytest.raises(PortalError):
            code_redeem(purpose=CodePurpose.BIND_BY_PHONE, plain=first_plain, citizen=person, user=person.user)
    assert code_redeem(purpose=CodePurpose.BIND_BY_PHONE, plain=second_plain, citizen=person, user=person.user)


def test_a_code_for_one_account_is_not_another_accounts(person):
    other = citizen_make()
    _code, plain = code_issue(purpose=CodePurpose.BIND_BY_PHONE, citizen=person, user=person.user)
    with pytest.raises(PortalError) as caught:
        code_redeem(purpose=CodePurpose.BIND_BY_PHONE, plain=plain, citizen=person, user=other.user)
    assert caught.value.code == "code_invalid"


def test_asking_again_at_once_and_too_often_an_hour_is_throttled(person, settings):
    settings.CODE_RESEND_AFTER_SECONDS = 60
    settings.CODE_SEND_LIMIT_PER_HOUR = 3
    code_issue(purpose=CodePurpose.BIND_BY_PHONE, citizen=person, user=person.user)
    with pytest.raises(CodeThrottled) as caught:
        code_issue(purpose=CodePurpose.BIND_BY_PHONE, citizen=person, user=person.user)
    assert caught.value.code == "code_too_soon" and caught.value.status_code == 429
    start = timezone.now()
    for minutes in (2, 4):
        with time_machine.travel(start + datetime.timedelta(minutes=minutes)):
            code_issue(purpose=CodePurpose.BIND_BY_PHONE, citizen=person, user=person.user)
    with time_machine.travel(start + datetime.timedelta(minutes=6)), pytest.raises(CodeThrottled) as caught:
        code_issue(purpose=CodePurpose.BIND_BY_PHONE, citizen=person, user=person.user)
    assert caught.value.code == "code_limit"
    with time_machine.travel(start + datetime.timedelta(minutes=62)):
        code_issue(purpose=CodePurpose.BIND_BY_PHONE, citizen=person, user=person.user)


def test_a_code_is_texted_with_how_long_it_lasts(person, settings):
    settings.SMS_BACKEND = "services_portal.core.sms.LocmemBackend"
    sms.LocmemBackend.outbox.clear()
    code, plain = code_issue(purpose=CodePurpose.BIND_BY_PHONE, citizen=person, user=person.user)
    code_send(code=code, plain=plain, phone="13912345678")
    [message] = sms.LocmemBackend.outbox
    assert message["phone"] == "13912345678" and plain in message["text"] and "10 minutes" in message["text"]
    sms.LocmemBackend.outbox.clear()
