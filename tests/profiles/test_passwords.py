"""Changing a password, and resetting it by a code texted to the bound phone: signs out every other
device, counts wrong codes, and never tells whether an account exists for an ID number."""

import re

import pytest
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from profiles.models import OneTimeCode
from services_portal.core.sms import LocmemBackend
from tests.factories import PASSWORD, citizen_make, department_phone_give, resident_id_make
from tests.profiles.test_tokens_and_devices import PHONE_APP, sign_in_app, sign_in_browser

NEW_PASSWORD = "a-brand-new-secret-42"
BOUND_PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _texts_in_memory(texts):
    """Every test here sends its text messages to memory."""


@pytest.fixture
def bound_citizen(citizen):
    """A citizen whose mobile number a department delivered: the phone a reset code may go to."""
    return department_phone_give(citizen, BOUND_PHONE)


def texted_code() -> str:
    assert len(LocmemBackend.outbox) == 1, LocmemBackend.outbox
    message = LocmemBackend.outbox[0]
    assert message["phone"] == BOUND_PHONE
    return re.search(r"\b(\d{6})\b", message["text"]).group(1)


def signs_in(username: str, password: str) -> bool:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    return response.status_code == 200


# -- changing the password -----------------------------------------------------------------------


def test_changing_the_password_on_the_page_signs_out_every_other_device(citizen):
    # given the citizen in two browsers and an app
    browser = sign_in_browser(citizen.resident_id)
    other_browser = sign_in_browser(citizen.resident_id)
    app = sign_in_app(citizen.resident_id, PHONE_APP)
    assert 'href="/account/password/"' in browser.get("/me/").content.decode()
    # when the first browser changes the password
    response = browser.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    # then the new password works, this browser stays signed in, the others are signed out
    assert response.status_code == 302
    assert browser.get("/me/").status_code == 200
    assert other_browser.get("/me/").status_code == 302
    assert app.get("/api/v1/me/").status_code == 401
    assert signs_in(citizen.resident_id, NEW_PASSWORD) and not signs_in(citizen.resident_id, PASSWORD)


def test_the_password_is_not_changed_without_the_current_one(citizen):
    browser = sign_in_browser(citizen.resident_id)
    response = browser.post(
        "/account/password/",
        {"old_password": "not-my-password", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "This is not your current password." in response.content.decode()
    assert signs_in(citizen.resident_id, PASSWORD)


def test_a_weak_new_password_is_refused_on_its_field(citizen):
    browser = sign_in_browser(citizen.resident_id)
    response = browser.post(
        "/account/password/", {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert response.status_code == 400
    assert 'id="id_new_password1_error"' in response.content.decode()
    assert signs_in(citizen.resident_id, PASSWORD)


def test_changing_the_password_from_an_app_keeps_that_app_and_signs_out_the_rest(citizen):
    browser = sign_in_browser(citizen.resident_id)
    phone = sign_in_app(citizen.resident_id, PHONE_APP)
    tablet = sign_in_app(citizen.resident_id, "tablet")
    wrong = phone.post("/api/v1/me/password/", {"old_password": "nope", "new_password": NEW_PASSWORD}, format="json")
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "wrong_password"
    response = phone.post(
        "/api/v1/me/password/", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 204
    assert phone.get("/api/v1/me/").status_code == 200
    assert tablet.get("/api/v1/me/").status_code == 401
    assert browser.get("/me/").status_code == 302


# -- resetting it by a code to the bound phone -----------------------------------------------------


def test_a_password_is_reset_by_a_code_to_the_bound_phone_end_to_end(bound_citizen):
    # given the citizen signed in somewhere and forgetting the password
    app = sign_in_app(bound_citizen.resident_id, PHONE_APP)
    browser = sign_in_browser(bound_citizen.resident_id)
    visitor = Client()
    assert 'href="/account/password-reset/"' in visitor.get("/account/login/").content.decode()
    # when they ask for a code with their ID number
    asked = visitor.post("/account/password-reset/", {"resident_id": bound_citizen.resident_id})
    assert asked.status_code == 200
    code = texted_code()
    # and give a wrong code first
    wrong = visitor.post(
        "/account/password-reset/code/",
        {
            "resident_id": bound_citizen.resident_id,
            "code": "000000" if code != "000000" else "111111",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    # then the wrong try counts
    assert wrong.status_code == 400 and "more tries" in wrong.content.decode()
    assert OneTimeCode.objects.get(citizen=bound_citizen).attempts == 1
    # when they give the right one
    done = visitor.post(
        "/account/password-reset/code/",
        {
            "resident_id": bound_citizen.resident_id,
            "code": code,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    # then the password is the new one and every device is signed out
    assert done.status_code == 302 and done["Location"] == "/account/login/"
    assert signs_in(bound_citizen.resident_id, NEW_PASSWORD) and not signs_in(bound_citizen.resident_id, PASSWORD)
    assert app.get("/api/v1/me/").status_code == 401
    assert browser.get("/me/").status_code == 302
    # and the code is used up
    again = APIClient().post(
        "/api/v1/auth/password-reset/confirm/",
        {"resident_id": bound_citizen.resident_id, "code": code, "new_password": "yet-another-secret-77"},
        format="json",
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "code_invalid"


def test_the_api_resets_a_password_by_code(bound_citizen):
    client = APIClient()
    asked = client.post("/api/v1/auth/password-reset/", {"resident_id": bound_citizen.resident_id}, format="json")
    assert asked.status_code == 202
    response = client.post(
        "/api/v1/auth/password-reset/confirm/",
        {"resident_id": bound_citizen.resident_id, "code": texted_code(), "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 204
    assert signs_in(bound_citizen.resident_id, NEW_PASSWORD)
    assert AuthToken.objects.filter(user=bound_citizen.user).count() == 1  # only the one just signed in


def test_too_many_wrong_codes_kill_the_code(bound_citizen, settings):
    client = APIClient()
    client.post("/api/v1/auth/password-reset/", {"resident_id": bound_citizen.resident_id}, format="json")
    code = texted_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.CODE_MAX_ATTEMPTS):
        client.post(
            "/api/v1/auth/password-reset/confirm/",
            {"resident_id": bound_citizen.resident_id, "code": wrong, "new_password": NEW_PASSWORD},
            format="json",
        )
    response = client.post(
        "/api/v1/auth/password-reset/confirm/",
        {"resident_id": bound_citizen.resident_id, "code": code, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "code_exhausted"
    assert signs_in(bound_citizen.resident_id, PASSWORD)


def test_asking_for_a_code_answers_the_same_whether_or_not_an_account_exists(bound_citizen, other_citizen, db):
    # given a number with an account and a bound phone, one with an account but no verified phone,
    # and one with no account at all
    numbers = [bound_citizen.resident_id, other_citizen.resident_id, resident_id_make(region="450102")]
    # when each is asked for, on the API and on the page
    api = [
        APIClient().post("/api/v1/auth/password-reset/", {"resident_id": number}, format="json") for number in numbers
    ]
    pages = [Client().post("/account/password-reset/", {"resident_id": number}) for number in numbers]
    # then the answers are identical (but for the number itself, echoed back into the form)
    assert {(response.status_code, response.content) for response in api} == {(api[0].status_code, api[0].content)}

    def page_text(response, number):
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        return response.status_code, text.replace(number, "NUMBER")

    assert len({page_text(response, number) for response, number in zip(pages, numbers, strict=True)}) == 1
    # and only the bound phone got a text (the page's ask came too soon after the API's: no second one)
    assert [message["phone"] for message in LocmemBackend.outbox] == [BOUND_PHONE]


def test_asking_again_too_soon_answers_the_same_and_sends_nothing_more(bound_citizen):
    first = APIClient().post("/api/v1/auth/password-reset/", {"resident_id": bound_citizen.resident_id}, format="json")
    again = APIClient().post("/api/v1/auth/password-reset/", {"resident_id": bound_citizen.resident_id}, format="json")
    assert (first.status_code, first.content) == (again.status_code, again.content)
    assert len(LocmemBackend.outbox) == 1


def test_an_unbound_account_gets_no_code_even_with_a_phone(db):
    # given an account only signed up (not bound to its person), with the phone it typed at sign-up
    unbound = citizen_make(bound=False)
    unbound.phone = "13800000000"
    unbound.save(update_fields=["phone"])
    # when a reset code is asked for its number
    response = APIClient().post("/api/v1/auth/password-reset/", {"resident_id": unbound.resident_id}, format="json")
    # then the same answer, and no code: nobody proved that phone is the person's
    assert response.status_code == 202
    assert LocmemBackend.outbox == []
    assert not OneTimeCode.objects.filter(user=unbound.user).exists()


def test_a_bound_accounts_own_phone_gets_the_code(citizen):
    citizen.phone = "13800000000"
    citizen.save(update_fields=["phone"])
    APIClient().post("/api/v1/auth/password-reset/", {"resident_id": citizen.resident_id}, format="json")
    assert [message["phone"] for message in LocmemBackend.outbox] == ["13800000000"]


def test_a_code_for_an_unknown_number_fails_as_a_wrong_code_does(bound_citizen, db):
    answers = []
    for number in (bound_citizen.resident_id, resident_id_make(region="450102")):
        response = APIClient().post(
            "/api/v1/auth/password-reset/confirm/",
            {"resident_id": number, "code": "123456", "new_password": NEW_PASSWORD},
            format="json",
        )
        answers.append((response.status_code, response.content))
    # no code was asked for the account: both refusals are the same
    assert answers[0] == answers[1]
    assert answers[0][0] == 400
