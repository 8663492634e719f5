"""Signing up, in and out, the lockout, and closing the account: as a person without JavaScript does it."""

from __future__ import annotations

import pytest

from profiles.models import Citizen, FactSource, FactValue, Role, User
from profiles.services.facts import fact_record
from tests.factories import PASSWORD, StaffFactory, resident_id_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def signup_data(**overrides: str) -> dict[str, str]:
    return {
        "resident_id": resident_id_make(),
        "name": "李华",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "phone": "",
        **overrides,
    }


def sign_in(client, identifier: str, password: str = PASSWORD, **headers):
    return client.post("/account/login/", {"username": identifier, "password": password}, **headers)


@pytest.mark.parametrize(
    ("path", "headers", "heading"),
    [
        ("/account/signup/", EN, "Create an account"),
        ("/account/signup/", ZH, "创建账户"),
        ("/account/login/", EN, "Sign in"),
        ("/account/login/", ZH, "登录"),
        ("/account/closed/", EN, "Your account is closed"),
        ("/account/closed/", ZH, "您的账户已注销"),
    ],
)
def test_the_account_pages_are_in_the_page_language(client, db, path, headers, heading):
    response = client.get(path, **headers)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.content.decode()


def test_signing_up_signs_in_and_shows_the_profile(client, db):
    # given a person with a resident ID number
    data = signup_data(phone="13800138000")
    # when they sign up
    response = client.post("/account/signup/", data, **EN)
    # then they are signed in and taken to their account
    assert response.status_code == 302 and response["Location"] == "/me/"
    profile = client.get("/me/", **EN).content.decode()
    assert "Your account is ready" in profile
    assert data["resident_id"][:4] + "*" * 10 + data["resident_id"][-4:] in profile
    assert data["resident_id"] not in profile
    assert Citizen.objects.get(user__isnull=False).phone == "13800138000"


@pytest.mark.parametrize(
    ("headers", "message"),
    [(EN, "This ID number is not valid: check the last character and try again."), (ZH, "身份证号码无效")],
)
def test_a_wrong_check_digit_is_refused_with_the_services_message(client, db, headers, message):
    # given a number whose last character is wrong
    number = resident_id_make()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    # when it is used to sign up, with passwords that differ
    response = client.post("/account/signup/", signup_data(resident_id=wrong, password2="something-else-1"), **headers)
    # then each field says what is wrong, in the page language, and nothing is stored
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert 'id="id_resident_id_error"' in html and 'id="id_password2_error"' in html
    assert not Citizen.objects.exists()


def test_the_services_refusals_show_on_their_fields(client, citizen):
    response = client.post("/account/signup/", signup_data(password1="1234567890", password2="1234567890"), **EN)
    html = response.content.decode()
    assert response.status_code == 400 and 'id="id_password1_error"' in html and "entirely numeric" in html


def test_signing_in_with_a_resident_id_number(client, citizen):
    assert "Resident ID number or staff user name" in client.get("/account/login/", **EN).content.decode()
    assert "身份证号码或工作人员用户名" in client.get("/account/login/", **ZH).content.decode()
    # a lower-case x and spaces are the same number
    typed = f" {citizen.resident_id[:6]} {citizen.resident_id[6:].lower()} "
    response = sign_in(client, typed, **EN)
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert client.get("/me/").status_code == 200


def test_staff_sign_in_with_a_user_name_and_auditors_land_on_the_access_log(client, db):
    StaffFactory(username="auditor1", role=Role.AUDITOR, region_scope="")
    response = sign_in(client, "auditor1")
    assert response.status_code == 302 and response["Location"] == "/audit/access-log/"


def test_a_wrong_password_is_refused_in_the_page_language(client, citizen):
    response = sign_in(client, citizen.resident_id, "wrong-password-1", **ZH)
    assert response.status_code == 400
    assert "密码不匹配" in response.content.decode()


def test_signing_out_is_a_post(client, citizen):
    sign_in(client, citizen.resident_id)
    assert client.get("/account/logout/").status_code == 405
    page = client.get("/me/").content.decode()
    assert 'action="/account/logout/"' in page and "csrfmiddlewaretoken" in page.split('action="/account/logout/"')[1]
    assert client.post("/account/logout/").status_code == 302
    assert client.get("/me/")["Location"].startswith("/account/login/")


@pytest.mark.parametrize(
    ("headers", "texts"),
    [
        (EN, ["signing in is paused for an hour", "try again in an hour", "call the hotline"]),
        (ZH, ["已暂停登录 1 小时", "请 1 小时后再试", "请拨打热线"]),
    ],
)
def test_five_wrong_passwords_lock_the_account_with_a_clear_message(client, citizen, headers, texts):
    # given four wrong passwords
    for _ in range(4):
        assert sign_in(client, citizen.resident_id, "wrong-password-1", **headers).status_code == 400
    # when the fifth is wrong too
    response = sign_in(client, citizen.resident_id, "wrong-password-1", **headers)
    # then the lockout page says what happened and what to do, and the right password waits too
    html = response.content.decode()
    assert response.status_code == 429
    for text in texts:
        assert text in html
    assert citizen.resident_id not in html and citizen.user.username not in html
    assert sign_in(client, citizen.resident_id, **headers).status_code == 429


@pytest.mark.parametrize(("headers", "heading"), [(EN, "Close my account"), (ZH, "注销账户")])
def test_the_close_page_is_in_the_page_language(client, citizen, headers, heading):
    client.force_login(citizen.user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/me/close/", **headers)
    assert response.status_code == 200 and f"<h1>{heading}</h1>" in response.content.decode()


def test_closing_the_account_erases_it_and_the_person_cannot_sign_in_again(client, citizen):
    # given a signed-in citizen with a fact
    fact_record(citizen=citizen, key="household_size", value=3, source=FactSource.SELF_DECLARED)
    sign_in(client, citizen.resident_id)
    # when they confirm with a wrong password, nothing happens
    response = client.post("/me/close/", {"password": "not-my-password"}, **EN)
    assert response.status_code == 400 and "This is not your password." in response.content.decode()
    assert FactValue.objects.filter(citizen=citizen).exists()
    # when they confirm with their password
    response = client.post("/me/close/", {"password": PASSWORD}, **EN)
    # then they are signed out and told what was erased and what is kept
    assert response.status_code == 302 and response["Location"] == "/account/closed/"
    goodbye = client.get("/account/closed/", **EN).content.decode()
    assert "What we erased" in goodbye and "The record of who looked at your data" in goodbye
    assert client.get("/me/")["Location"].startswith("/account/login/")
    citizen.refresh_from_db()
    assert citizen.erased_at is not None and not FactValue.objects.filter(citizen=citizen).exists()
    assert not User.objects.filter(role=Role.CITIZEN).exists()
    # and the ID number and password no longer sign in
    assert sign_in(client, citizen.resident_id).status_code == 400
