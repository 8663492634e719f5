"""App tokens (one per device, expiring, hashed, revocable one by one), signed-in devices, and how long
a browser session lasts by role."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from qsessions.models import Session
from rest_framework.test import APIClient

from profiles.models import AppToken, Role
from tests.factories import PASSWORD, StaffFactory

PHONE_APP = "Xiaomi 14 app"
TABLET_APP = "iPad app"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def sign_in_app(username: str, device_name: str = "", password: str = PASSWORD) -> APIClient:
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": username, "password": password, "device_name": device_name},
        format="json",
    )
    assert response.status_code == 200, response.json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    client.token = response.json()["token"]
    return client


def sign_in_browser(username: str, user_agent: str = CHROME) -> Client:
    browser = Client(HTTP_USER_AGENT=user_agent)
    response = browser.post("/account/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return browser


# -- tokens --------------------------------------------------------------------------------------


def test_each_device_gets_its_own_token_and_revoking_one_leaves_the_other(citizen):
    # given the citizen signed in on a phone and on a tablet
    phone = sign_in_app(citizen.resident_id, PHONE_APP)
    tablet = sign_in_app(citizen.resident_id, TABLET_APP)
    # then there are two tokens, each named after its device
    assert phone.token != tablet.token
    names = AppToken.objects.filter(auth_token__user=citizen.user).values_list("device_name", flat=True)
    assert sorted(names) == sorted([PHONE_APP, TABLET_APP])
    # when the phone gives up its token
    response = phone.post("/api/v1/auth/token/revoke/")
    # then the phone is signed out and the tablet still works
    assert response.status_code == 200 and response.json() == {"revoked": 1}
    assert phone.get("/api/v1/me/").status_code == 401
    assert tablet.get("/api/v1/me/").status_code == 200


def test_revoking_all_tokens_signs_every_app_out(citizen):
    phone = sign_in_app(citizen.resident_id, PHONE_APP)
    tablet = sign_in_app(citizen.resident_id, TABLET_APP)
    response = phone.post("/api/v1/auth/token/revoke/", {"all": True}, format="json")
    assert response.json() == {"revoked": 2}
    assert phone.get("/api/v1/me/").status_code == 401
    assert tablet.get("/api/v1/me/").status_code == 401


def test_tokens_are_stored_only_as_hashes(citizen):
    # given a token handed to an app
    app = sign_in_app(citizen.resident_id, PHONE_APP)
    # then no column of any token row holds it
    rows = list(AuthToken.objects.values())
    assert rows and all(app.token not in str(value) for row in rows for value in row.values())
    assert AuthToken.objects.get(user=citizen.user).digest != app.token


def test_an_expired_token_is_refused_with_401_and_www_authenticate(citizen):
    app = sign_in_app(citizen.resident_id, PHONE_APP)
    assert app.get("/api/v1/me/").status_code == 200
    # when the token is not used for longer than it lives
    with time_machine.travel(timezone.now() + settings.REST_KNOX["TOKEN_TTL"] + datetime.timedelta(minutes=1)):
        response = app.get("/api/v1/me/")
    # then it is refused as unauthenticated, saying how to authenticate
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]["code"] == "authentication_failed"
    assert not AuthToken.objects.filter(user=citizen.user).exists()


def test_the_token_answer_says_when_it_expires(citizen):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": citizen.resident_id, "password": PASSWORD}, format="json"
    )
    expiry = datetime.datetime.fromisoformat(response.json()["expiry"])
    assert expiry - timezone.now() > settings.REST_KNOX["TOKEN_TTL"] - datetime.timedelta(minutes=1)


@pytest.mark.parametrize("authorization", [None, "Token not-a-real-token", "Token "])
def test_a_missing_or_invalid_token_is_401_with_www_authenticate(db, authorization):
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"error"}


def test_a_signed_in_citizen_on_a_staff_api_is_forbidden_not_unauthenticated(citizen):
    app = sign_in_app(citizen.resident_id, PHONE_APP)
    response = app.get(f"/api/v1/staff/citizens/{citizen.pk}/", {"purpose": "counter_service"})
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response


def test_past_the_limit_a_new_sign_in_revokes_the_oldest_token(citizen, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    first = sign_in_app(citizen.resident_id, "first")
    sign_in_app(citizen.resident_id, "second")
    third = sign_in_app(citizen.resident_id, "third")
    assert AuthToken.objects.filter(user=citizen.user).count() == 2
    assert first.get("/api/v1/me/").status_code == 401
    assert third.get("/api/v1/me/").status_code == 200


# -- signed-in devices ---------------------------------------------------------------------------


def test_the_devices_api_lists_browsers_and_apps_and_signs_one_out(citizen):
    # given the citizen signed in in a browser and in two apps
    sign_in_browser(citizen.resident_id)
    phone = sign_in_app(citizen.resident_id, PHONE_APP)
    tablet = sign_in_app(citizen.resident_id, TABLET_APP)
    # when the phone lists the devices
    devices = phone.get("/api/v1/me/devices/").json()
    # then it sees all three, itself first and marked as this device
    assert (devices[0]["name"], devices[0]["current"]) == (PHONE_APP, True)
    assert sorted((device["kind"], device["name"], device["current"]) for device in devices[1:]) == [
        ("app", TABLET_APP, False),
        ("web", "Chrome 120 · Windows 10", False),
    ]
    assert all(device["expires_at"] for device in devices)
    # and no id is a session key or a token
    keys = set(Session.objects.values_list("session_key", flat=True))
    assert not {device["id"] for device in devices} & keys
    assert all(device["id"] not in phone.token + tablet.token for device in devices)
    # when it signs the tablet out
    tablet_id = next(device["id"] for device in devices if device["name"] == TABLET_APP)
    assert phone.delete(f"/api/v1/me/devices/{tablet_id}/").status_code == 204
    # then the tablet is signed out and the phone is not
    assert tablet.get("/api/v1/me/").status_code == 401
    assert phone.get("/api/v1/me/").status_code == 200
    assert phone.delete(f"/api/v1/me/devices/{tablet_id}/").status_code == 404


def test_signing_out_all_others_from_the_api_keeps_only_the_caller(citizen):
    browser = sign_in_browser(citizen.resident_id)
    phone = sign_in_app(citizen.resident_id, PHONE_APP)
    tablet = sign_in_app(citizen.resident_id, TABLET_APP)
    response = phone.post("/api/v1/me/devices/sign-out-others/")
    assert response.json() == {"signed_out": 2}
    assert phone.get("/api/v1/me/").status_code == 200
    assert tablet.get("/api/v1/me/").status_code == 401
    assert browser.get("/me/").status_code == 302


def test_the_devices_page_lists_devices_and_signs_one_out(citizen):
    # given the citizen in two browsers and an app
    browser = sign_in_browser(citizen.resident_id)
    other_browser = sign_in_browser(
        citizen.resident_id, user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"
    )
    app = sign_in_app(citizen.resident_id, PHONE_APP)
    # when the first browser opens the devices page (linked from the account page)
    assert 'href="/me/devices/"' in browser.get("/me/").content.decode()
    page = browser.get("/me/devices/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    # then it lists the app by name and itself as this device, with a sign-out for the others only
    assert page.status_code == 200
    assert PHONE_APP in text and "Chrome 120" in text and "this device" in text
    assert text.count('name="device"') == 2
    # when it signs the app out
    app_id = next(device["id"] for device in app.get("/api/v1/me/devices/").json() if device["current"])
    response = browser.post("/me/devices/", {"device": app_id})
    # then the app is signed out, the other browser and this one are not
    assert response.status_code == 302
    assert app.get("/api/v1/me/").status_code == 401
    assert other_browser.get("/me/").status_code == 200
    assert browser.get("/me/").status_code == 200


def test_signing_out_every_other_device_from_the_page_also_revokes_tokens(citizen):
    browser = sign_in_browser(citizen.resident_id)
    other_browser = sign_in_browser(citizen.resident_id)
    app = sign_in_app(citizen.resident_id, PHONE_APP)
    response = browser.post("/me/devices/", {"action": "sign_out_others"})
    assert response.status_code == 302
    assert other_browser.get("/me/").status_code == 302  # to the sign-in page
    assert app.get("/api/v1/me/").status_code == 401
    assert browser.get("/me/").status_code == 200
    assert not AuthToken.objects.filter(user=citizen.user).exists()


@pytest.mark.parametrize(
    "path", ["/me/devices/", "/account/password/", "/account/password-reset/", "/account/password-reset/code/"]
)
def test_the_identity_pages_render_in_elder_mode(citizen, path):
    browser = sign_in_browser(citizen.resident_id)
    browser.post("/display/elder-mode/", {"elder_mode": "on", "next": "/"})
    response = browser.get(path)
    assert response.status_code == 200
    assert 'class="container hotline"' in response.content.decode()  # elder mode's visible hotline


# -- session age by role -------------------------------------------------------------------------


def test_a_staff_session_ends_sooner_than_a_citizens(citizen):
    # given a counter clerk and a citizen signing in on the page
    StaffFactory(username="clerk1", role=Role.COUNTER_STAFF)
    staff_browser = sign_in_browser("clerk1")
    citizen_browser = sign_in_browser(citizen.resident_id)
    # then the staff session lasts the staff age, fixed at sign-in; the citizen's the citizen age
    staff_age = staff_browser.session.get_expiry_age()
    citizen_age = citizen_browser.session.get_expiry_age()
    assert staff_age <= settings.SESSION_AGE_STAFF_SECONDS
    assert staff_age > settings.SESSION_AGE_STAFF_SECONDS - 60
    assert citizen_age == settings.SESSION_AGE_CITIZEN_SECONDS
    assert staff_age < citizen_age
    # and past the staff age the staff member is signed out, however busy, while the citizen is not
    later = timezone.now() + datetime.timedelta(seconds=settings.SESSION_AGE_STAFF_SECONDS + 60)
    with time_machine.travel(later):
        assert staff_browser.get("/me/devices/").status_code == 302
        assert citizen_browser.get("/me/devices/").status_code == 200
