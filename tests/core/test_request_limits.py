"""Throttles and body limits that hold behind a proxy: sign-up, sign-in, code sending and password reset
are throttled per client address on the pages and the API alike, the address read only as
TRUSTED_PROXY_COUNT says (rotating X-Forwarded-For escapes nothing); and a body larger than its caller
may send is refused with 413 before anything reads it."""

import json

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from services_portal.core.middleware import AsgiBodyCap
from tests.factories import birth_row, resident_id_make

PROXY = "10.0.0.2"
CLIENT = "198.51.100.66"
MIB = 1024 * 1024


@pytest.fixture
def low_rates(monkeypatch):
    """The shipped rates, with the four strict scopes at 3 a minute, to reach them quickly."""
    rates = {**SimpleRateThrottle.THROTTLE_RATES}
    rates.update({scope: "3/minute" for scope in ("signup", "sign_in", "code_send", "password_reset")})
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def sign_in_api(headers: dict, n: int):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": f"nobody{n}", "password": "wrong"}, format="json", **headers
    )


@pytest.mark.parametrize(
    ("proxies", "rotating"),
    [
        # no proxy: the client writes whatever it likes in the header, and it is ignored
        (0, lambda n: {"REMOTE_ADDR": CLIENT, "HTTP_X_FORWARDED_FOR": f"203.0.113.{n}"}),
        # one proxy: the client's own part of the header rotates; the proxy's right-most entry does not
        (1, lambda n: {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"203.0.113.{n}, {CLIENT}"}),
    ],
)
def test_rotating_x_forwarded_for_does_not_escape_the_sign_in_throttle(db, settings, low_rates, proxies, rotating):
    settings.TRUSTED_PROXY_COUNT = proxies
    # given three tries, each naming another address in X-Forwarded-For
    for n in range(3):
        assert sign_in_api(rotating(n), n).status_code == 400
    # when the client tries again under yet another name
    response = sign_in_api(rotating(99), 99)
    # then it is throttled, in the one error shape
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    # while another client through the same proxy is not
    other = (
        {"REMOTE_ADDR": "203.0.113.50"}
        if proxies == 0
        else {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.50"}
    )
    assert sign_in_api(other, 100).status_code == 400


def test_the_sign_in_page_shares_the_apis_allowance_and_answers_with_a_translated_page(db, low_rates):
    headers = {"REMOTE_ADDR": CLIENT}
    for n in range(2):
        assert sign_in_api(headers, n).status_code == 400
    browser = Client(HTTP_ACCEPT_LANGUAGE="zh-hans", **headers)
    assert browser.post("/account/login/", {"username": "nobody", "password": "wrong"}).status_code == 400
    # the fourth try, on the page, is over the rate
    response = browser.post("/account/login/", {"username": "nobody", "password": "wrong"})
    assert response.status_code == 429
    assert "尝试次数过多" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    # reading the page is not a try
    assert browser.get("/account/login/").status_code == 200


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (
            "/account/signup/",
            lambda: {"resident_id": resident_id_make(), "name": "x", "password1": "a", "password2": "b"},
        ),
        ("/account/password-reset/", lambda: {"resident_id": resident_id_make()}),
        (
            "/account/password-reset/code/",
            lambda: {"resident_id": resident_id_make(), "code": "1", "new_password1": "a", "new_password2": "a"},
        ),
    ],
)
def test_the_account_forms_are_throttled_per_address(db, low_rates, path, data):
    browser = Client(REMOTE_ADDR=CLIENT)
    answers = [browser.post(path, data()).status_code for _ in range(4)]
    assert 429 not in answers[:3] and answers[3] == 429
    assert Client(REMOTE_ADDR="203.0.113.50").post(path, data()).status_code != 429


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/signup/", {"resident_id": "450103199001011234", "name": "x", "password": "y"}),
        ("/api/v1/auth/password-reset/", {"resident_id": "450103199001011234"}),
    ],
)
def test_the_account_apis_are_throttled_per_address(db, low_rates, path, body):
    client = APIClient()
    answers = [client.post(path, body, format="json", REMOTE_ADDR=CLIENT).status_code for _ in range(4)]
    assert 429 not in answers[:3] and answers[3] == 429


# -- body limits -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/screener/", "/api/v1/auth/signup/"])
def test_a_large_anonymous_post_is_refused_before_it_is_read(db, path):
    # given a 1 MiB body that is not even JSON: parsing it would be a 400
    body = b"{" + b"x" * MIB
    # when an anonymous client posts it
    response = APIClient().post(path, body, content_type="application/json")
    # then it is refused as too large, in the one error shape, unparsed
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert response["Connection"] == "close"


def test_a_large_anonymous_form_post_is_refused_with_a_page(db):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/account/login/", {"username": "x" * 100 * 1024, "password": "y"}
    )
    assert response.status_code == 413
    assert "The request is too large" in response.content.decode()


def test_a_small_anonymous_post_goes_through(db):
    response = APIClient().post("/api/v1/screener/", {"facts": {}}, format="json")
    assert response.status_code != 413


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def test_a_feed_account_may_post_a_large_batch(health_feed, parent):
    # given a 2 MiB batch (one row, and a long note the feed's serializer ignores)
    batch = {"batch_id": "BIG-1", "rows": [birth_row(parent)], "note": "x" * 2 * MIB}
    body = json.dumps(batch)
    assert len(body) > 2 * MIB
    # when the health department's feed account delivers it
    response = _token_client(health_feed).post("/api/v1/feeds/batches/", body, content_type="application/json")
    # then it is accepted
    assert response.status_code == 201, response.content[:500]
    assert response.json()["rows_accepted"] == 1


def test_a_signed_in_citizen_may_not_post_a_large_body_outside_the_feeds(citizen):
    body = json.dumps({"facts": {"household_size": 2}, "note": "x" * 2 * MIB})
    response = _token_client(citizen.user).post("/api/v1/me/facts/", body, content_type="application/json")
    assert response.status_code == 413


def test_a_forged_token_header_earns_no_large_body_on_the_feeds(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token forged")
    body = json.dumps({"batch_id": "X", "rows": [], "note": "x" * 2 * MIB})
    response = client.post("/api/v1/feeds/batches/", body, content_type="application/json")
    # refused for the token, before the body is read
    assert response.status_code == 401


# -- under an ASGI server, before Django reads the body ------------------------------------------------


async def _asgi(path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> tuple[int, bool]:
    """Run AsgiBodyCap over an app that reads the whole body; returns the status and whether the app
    got the whole body."""
    read_whole = []

    async def app(scope, receive, send):
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        read_whole.append(size)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    communicator = ApplicationCommunicator(AsgiBodyCap(app), scope)
    for index, chunk in enumerate(chunks):
        await communicator.send_input({"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1})
    start = await communicator.receive_output(timeout=5)
    await communicator.receive_output(timeout=5)
    return start["status"], bool(read_whole)


def test_under_asgi_a_body_without_a_length_is_cut_off_at_the_cap():
    status, read = async_to_sync(_asgi)("/api/v1/screener/", [b"x" * (MIB // 2)] * 3, [])
    assert status == 413 and not read


def test_under_asgi_a_declared_length_over_the_cap_is_refused_at_once():
    status, read = async_to_sync(_asgi)("/api/v1/screener/", [b""], [(b"content-length", str(2 * MIB).encode())])
    assert status == 413 and not read


def test_under_asgi_the_feeds_may_send_large_bodies():
    status, read = async_to_sync(_asgi)("/api/v1/feeds/batches/", [b"x" * MIB] * 2, [])
    assert status == 200 and read


def test_throttled_requests_go_through_while_the_cache_is_down(db, settings, caplog):
    # given throttle counts kept in a Redis that does not answer (nothing listens on this port)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    # when a visitor uses the throttled screener API
    response = APIClient().post("/api/v1/screener/", {"facts": {}}, format="json")
    # then they are answered, and the outage is in the log instead of a 500
    assert response.status_code == 200, response.content[:300]
    assert "throttle counts unavailable" in caplog.text
