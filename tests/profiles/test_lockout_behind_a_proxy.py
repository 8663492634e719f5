"""Lockout that holds behind a proxy: the (account, address) pair is locked, never the address for every
account nor the account for every address; many failures on one account from anywhere lead to a
step-up (a texted code, or a short wait without a verified phone), never a block; and the client's
address is read only as TRUSTED_PROXY_COUNT says, so a forged X-Forwarded-For frames no one."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from qsessions.models import Session
from rest_framework.test import APIClient

from profiles.models import OneTimeCode
from services_portal.core.sms import LocmemBackend
from tests.factories import PASSWORD, StaffFactory, department_phone_give

PROXY = "10.0.0.2"
OWNER = "203.0.113.7"
ATTACKER = "198.51.100.66"
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _texts_in_memory(texts):
    """Every test here sends its text messages to memory."""


@pytest.fixture
def phone_citizen(citizen):
    """A citizen whose mobile number a department delivered: the phone a sign-in code may go to."""
    return department_phone_give(citizen, PHONE)


def token(username: str, password: str, *, address: str, xff: str | None = None, via_proxy: bool = False, **data):
    """Ask for an app token as a client at `address`, sending X-Forwarded-For `xff` if given; with
    `via_proxy`, through the proxy, which connects from PROXY and sends on `xff` as X-Forwarded-For."""
    headers = {"REMOTE_ADDR": PROXY if via_proxy else address}
    if xff is not None:
        headers["HTTP_X_FORWARDED_FOR"] = xff
    body = {"username": username, "password": password, **data}
    return APIClient().post("/api/v1/auth/token/", body, format="json", HTTP_ACCEPT_LANGUAGE="en", **headers)


def error_code(response) -> str:
    return response.json()["error"]["code"]


def fail_from_many_addresses(username: str, count: int) -> None:
    """`count` wrong passwords for one account, each from an address of its own."""
    for n in range(count):
        assert token(username, f"wrong-{n}", address=f"192.0.2.{n + 1}").status_code == 400


def texted_code() -> str:
    assert [message["phone"] for message in LocmemBackend.outbox] == [PHONE]
    return re.search(r"\b(\d{6})\b", LocmemBackend.outbox[-1]["text"]).group(1)


# -- the pair, not the address nor the account -----------------------------------------------------


def test_five_failures_from_one_address_lock_only_that_account_from_that_address(citizen, other_citizen):
    # given five wrong passwords for one account from one address (a NAT, a school, the TLS proxy)
    for n in range(5):
        token(citizen.resident_id, f"wrong-{n}", address=ATTACKER)
    assert error_code(token(citizen.resident_id, PASSWORD, address=ATTACKER)) == "locked_out"
    # when another person behind the same address signs in, and the account's owner from elsewhere
    neighbour = token(other_citizen.resident_id, PASSWORD, address=ATTACKER)
    owner = token(citizen.resident_id, PASSWORD, address=OWNER)
    # then both sign in
    assert neighbour.status_code == 200, neighbour.json()
    assert owner.status_code == 200, owner.json()


def test_the_pair_lock_shows_the_lockout_page_on_the_web_and_not_for_others(citizen, other_citizen):
    browser = Client(REMOTE_ADDR=ATTACKER, HTTP_ACCEPT_LANGUAGE="en")
    for n in range(5):
        browser.post("/account/login/", {"username": citizen.resident_id, "password": f"wrong-{n}"})
    locked = browser.post("/account/login/", {"username": citizen.resident_id, "password": PASSWORD})
    assert locked.status_code == 429 and "Signing in is paused" in locked.content.decode()
    neighbour = Client(REMOTE_ADDR=ATTACKER).post(
        "/account/login/", {"username": other_citizen.resident_id, "password": PASSWORD}
    )
    assert neighbour.status_code == 302 and neighbour["Location"] == "/me/"


# -- the client's address: X-Forwarded-For only as far as it is trusted ------------------------------


@pytest.mark.parametrize(
    ("proxies", "attacker_sends", "owner_sends"),
    [
        # no proxy: the header is the attacker's own words
        (0, {"address": ATTACKER, "xff": OWNER}, {"address": OWNER}),
        # one proxy: it appends the address it saw; what the client wrote before that counts for nothing
        (
            1,
            {"address": ATTACKER, "xff": f"{OWNER}, {ATTACKER}", "via_proxy": True},
            {"address": OWNER, "xff": OWNER, "via_proxy": True},
        ),
    ],
)
def test_a_forged_x_forwarded_for_does_not_frame_the_owners_address(
    settings, citizen, proxies, attacker_sends, owner_sends
):
    settings.TRUSTED_PROXY_COUNT = proxies
    # given an attacker who names the owner's address in X-Forwarded-For with five wrong passwords
    for n in range(5):
        token(citizen.resident_id, f"wrong-{n}", **attacker_sends)
    # then the attacker's own address is the one locked
    assert error_code(token(citizen.resident_id, PASSWORD, **attacker_sends)) == "locked_out"
    # and the owner, at the address named, still signs in
    response = token(citizen.resident_id, PASSWORD, **owner_sends)
    assert response.status_code == 200, response.json()


# -- many addresses: a step-up, never a block --------------------------------------------------------


def test_nobody_can_lock_a_citizen_out_by_knowing_their_id_number(phone_citizen):
    # given wrong passwords for the citizen's number from twelve addresses, none locked on its own
    fail_from_many_addresses(phone_citizen.resident_id, 12)
    # when the owner signs in from home with the right password
    first = token(phone_citizen.resident_id, PASSWORD, address=OWNER)
    # then they are not refused but asked for the code texted to their verified phone
    assert first.status_code == 403 and error_code(first) == "step_up_required", first.json()
    assert "139****5678" in first.json()["error"]["message"]
    code = texted_code()
    # and with the code they sign in
    second = token(phone_citizen.resident_id, PASSWORD, address=OWNER, code=code)
    assert second.status_code == 200, second.json()
    assert OneTimeCode.objects.get().used_at is not None


def test_under_the_soft_lock_the_right_password_alone_or_with_a_wrong_code_does_not_sign_in(phone_citizen):
    fail_from_many_addresses(phone_citizen.resident_id, 10)
    # an attacker who has guessed the password from yet another address
    assert error_code(token(phone_citizen.resident_id, PASSWORD, address=ATTACKER)) == "step_up_required"
    right = texted_code()
    wrong = "000000" if right != "000000" else "111111"
    refused = token(phone_citizen.resident_id, PASSWORD, address=ATTACKER, code=wrong)
    assert refused.status_code == 400 and error_code(refused) == "code_wrong"
    # and a wrong password with the right code is still a wrong password
    assert error_code(token(phone_citizen.resident_id, "wrong-again", address=ATTACKER, code=right)) == (
        "invalid_credentials"
    )


def test_the_owner_passes_the_step_up_on_the_sign_in_page(phone_citizen):
    fail_from_many_addresses(phone_citizen.resident_id, 10)
    browser = Client(REMOTE_ADDR=OWNER, HTTP_ACCEPT_LANGUAGE="en")
    # the right password leads to the code page, not into the account
    response = browser.post("/account/login/", {"username": phone_citizen.resident_id, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/account/login/code/"
    assert browser.get("/me/").status_code == 302
    page = browser.get("/account/login/code/").content.decode()
    assert "139****5678" in page and PHONE not in page
    # a wrong code is refused on its field
    wrong = browser.post("/account/login/code/", {"code": "12345x"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    # the texted code signs in
    done = browser.post("/account/login/code/", {"code": texted_code()})
    assert done.status_code == 302 and done["Location"] == "/me/"
    assert browser.get("/me/").status_code == 200


def test_without_a_verified_phone_the_step_up_is_a_short_wait_for_the_address_that_failed(settings, citizen):
    # given an account with no verified phone (the number it was signed up with is only a claim)
    citizen.phone = ""
    citizen.save(update_fields=["phone"])
    fail_from_many_addresses(citizen.resident_id, 10)
    # when the owner signs in from an address the guessing did not come from: at once
    assert token(citizen.resident_id, PASSWORD, address=OWNER).status_code == 200
    # while an address that has just given a wrong password waits, even with the right one
    assert token(citizen.resident_id, "wrong-once-more", address=ATTACKER).status_code == 400
    waiting = token(citizen.resident_id, PASSWORD, address=ATTACKER)
    assert waiting.status_code == 429 and error_code(waiting) == "sign_in_wait"
    assert "10 minutes" in waiting.json()["error"]["message"]
    # and only for a while: never a block
    later = timezone.now() + datetime.timedelta(minutes=settings.SIGN_IN_STEP_UP_WAIT_MINUTES + 1)
    with time_machine.travel(later):
        assert token(citizen.resident_id, PASSWORD, address=ATTACKER).status_code == 200


def test_the_wait_shows_on_the_sign_in_page(citizen):
    citizen.phone = ""
    citizen.save(update_fields=["phone"])
    fail_from_many_addresses(citizen.resident_id, 9)
    browser = Client(REMOTE_ADDR="192.0.2.1", HTTP_ACCEPT_LANGUAGE="en")
    assert browser.post("/account/login/", {"username": citizen.resident_id, "password": "x-wrong"}).status_code == 400
    response = browser.post("/account/login/", {"username": citizen.resident_id, "password": PASSWORD})
    assert response.status_code == 429 and "Try again in 10 minutes" in response.content.decode()


def test_staff_accounts_have_the_same_step_up_as_accounts_without_a_phone(db):
    staff = StaffFactory(username="counter7")
    fail_from_many_addresses("counter7", 10)
    assert token(staff.username, PASSWORD, address=OWNER).status_code == 200


def test_the_devices_list_records_the_clients_address_not_the_proxys(settings, citizen):
    settings.TRUSTED_PROXY_COUNT = 1
    browser = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.200, {OWNER}")
    response = browser.post("/account/login/", {"username": citizen.resident_id, "password": PASSWORD})
    assert response.status_code == 302
    assert Session.objects.get(user=citizen.user).ip == OWNER
