"""The live inbox (ws/live/): a signed-in citizen's open pages hear of their own new messages, nobody
else's; visitors, staff and feeds are turned away; a nudge never fails the push that sends it.

Sockets go through the real ASGI application (origin check, session cookie, router) with a session
made by signing in. The in-memory layer serves the suite; one test runs against real Redis, mandatory
where REQUIRE_REDIS (or CI) is set.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from functools import partial

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.utils.translation import gettext_lazy

from services_portal.asgi import application
from services_portal.notifications import live
from services_portal.notifications.live import nudge
from services_portal.notifications.models import Notification, NotificationKind
from services_portal.notifications.services.inbox import notification_create
from tests.conftest import required
from tests.factories import MODEL_BACKEND

ORIGIN = "http://127.0.0.1:8000"

# The consumer reads the database from its own thread: the data must be committed.
live_db = pytest.mark.django_db(transaction=True)


def notify(citizen, key: str) -> Notification:
    return notification_create(
        citizen=citizen,
        kind=NotificationKind.CASE_DECISION,
        idempotency_key=f"{citizen.pk}-{key}",
        title=gettext_lazy("Approved: %(service)s"),
        body=gettext_lazy("Your benefit was approved. You do not need to apply."),
        params={"zh-hans": {"service": "育儿补贴"}, "en": {"service": "Childcare subsidy"}},
        link="/me/cases/1/",
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def headers_for(client: Client | None, *, origin: str = ORIGIN) -> list[tuple[bytes, bytes]]:
    """What a browser sends with the handshake: its page's origin and the session cookie, if any."""
    headers = [(b"origin", origin.encode())]
    if client is not None:
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        headers.append((b"cookie", f"{cookie.key}={cookie.value}".encode()))
    return headers


def socket(headers: list[tuple[bytes, bytes]], *, language: str = "zh-hans") -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/live/?language={language}", headers=headers)


async def nudged(**ids: int) -> None:
    """`nudge` as a push sends it: from synchronous code, here on the test's event loop."""
    await sync_to_async(nudge)(**ids)


@live_db
@pytest.mark.parametrize(
    ("language", "title"), [("en", "Approved: Childcare subsidy"), ("zh-hans", "已批准：育儿补贴")]
)
def test_a_citizen_hears_of_their_own_new_message_in_the_page_language(citizen, language, title):
    # given a citizen's page open in a language, and a message already read
    headers = headers_for(signed_in(citizen.user))
    notify(citizen, "earlier")
    Notification.objects.update(read_at="2020-01-01T00:00:00Z")
    notification = notify(citizen, "new")

    async def scenario():
        communicator = socket(headers, language=language)
        connected, _ = await communicator.connect()
        assert connected
        # when the push nudges the person's pages
        await nudged(citizen_id=citizen.pk, notification_id=notification.pk)
        received = await communicator.receive_json_from()
        await communicator.disconnect()
        return received

    message = async_to_sync(scenario)()
    # then the page has the message in its language, and the count of unread ones
    body = notification.body_en if language == "en" else notification.body_zh
    assert message == {
        "type": "notification",
        "id": notification.pk,
        "title": title,
        "body": body,
        "link": "/me/cases/1/",
        "unread": 1,
    }


@live_db
def test_another_persons_message_never_reaches_my_page(citizen, other_citizen):
    # given my page open, and a message for someone else
    headers = headers_for(signed_in(citizen.user))
    mine, theirs = notify(citizen, "mine"), notify(other_citizen, "theirs")

    async def scenario():
        communicator = socket(headers)
        assert (await communicator.connect())[0]
        # when their pages are nudged, and mine is nudged with their message's id
        await nudged(citizen_id=other_citizen.pk, notification_id=theirs.pk)
        await nudged(citizen_id=citizen.pk, notification_id=theirs.pk)
        nothing = await communicator.receive_nothing(timeout=0.5)
        # and then with my own
        await nudged(citizen_id=citizen.pk, notification_id=mine.pk)
        first = await communicator.receive_json_from()
        await communicator.disconnect()
        return nothing, first

    nothing, first = async_to_sync(scenario)()
    # then only my own arrives
    assert nothing is True
    assert first["id"] == mine.pk


@live_db
@pytest.mark.parametrize("who", ["visitor", "caseworker", "health_feed"])
def test_visitors_staff_and_feeds_are_turned_away(request, who):
    client = None if who == "visitor" else signed_in(request.getfixturevalue(who))

    async def scenario():
        return await socket(headers_for(client)).connect()

    connected, _ = async_to_sync(scenario)()
    assert connected is False


@live_db
def test_a_page_of_another_site_cannot_listen(citizen):
    headers = headers_for(signed_in(citizen.user), origin="https://evil.example")

    async def scenario():
        return await socket(headers).connect()

    connected, _ = async_to_sync(scenario)()
    assert connected is False


@live_db
def test_signing_out_elsewhere_silences_an_open_page(citizen):
    # given a page listening, and the person signs out on another page of the same session
    client = signed_in(citizen.user)
    headers = headers_for(client)
    notification = notify(citizen, "a")

    async def scenario():
        communicator = socket(headers)
        assert (await communicator.connect())[0]
        await sync_to_async(client.logout)()
        # when a message arrives
        await nudged(citizen_id=citizen.pk, notification_id=notification.pk)
        output = await communicator.receive_output()
        return output

    # then the page is not told about it: its socket is closed
    assert async_to_sync(scenario)()["type"] == "websocket.close"


@pytest.mark.django_db
def test_a_nudge_with_the_layer_down_does_not_fail_the_push(settings, caplog):
    # given a Redis layer that cannot be reached
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]}}
    }
    # when a nudge is sent
    with caplog.at_level(logging.WARNING, logger="services_portal.notifications.live"):
        result = nudge(citizen_id=1, notification_id=42)
    # then it returns, and the log says the message waits in the inbox
    assert result is None
    [record] = caplog.records
    assert "notification 42 of citizen 1 not sent" in record.getMessage()
    assert record.exc_info is not None


class LayerThatNeverAnswers:
    """A channel layer whose server has stopped answering."""

    extensions = ["groups"]

    def __init__(self, **config):
        pass

    async def group_send(self, group, message):
        await asyncio.sleep(3600)


@pytest.mark.django_db
def test_a_nudge_does_not_wait_for_a_layer_that_does_not_answer(settings, monkeypatch, caplog):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": f"{__name__}.LayerThatNeverAnswers"}}
    monkeypatch.setattr(live, "NUDGE_TIMEOUT_SECONDS", 0.05)
    with caplog.at_level(logging.WARNING, logger="services_portal.notifications.live"):
        nudge(citizen_id=1, notification_id=7)
    assert [record.exc_info[0] for record in caplog.records] == [TimeoutError]


@pytest.fixture
def redis_layer(settings):
    """The Channels layer on the Redis at REDIS_URL, under a prefix of this test's own."""
    if not settings.REDIS_URL:
        if required("REQUIRE_REDIS"):
            pytest.fail("REQUIRE_REDIS is set but REDIS_URL is not")
        pytest.skip("REDIS_URL is not set: the embedded portal uses the in-memory layer")
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": f"test-live-{uuid.uuid4().hex[:8]}"},
        }
    }
    return get_channel_layer()


@live_db
def test_a_nudge_from_a_worker_reaches_the_page_through_redis(redis_layer, citizen, other_citizen):
    # given a page listening through the Redis layer
    assert type(redis_layer).__name__ == "RedisChannelLayer"
    headers = headers_for(signed_in(citizen.user))
    mine, theirs = notify(citizen, "mine"), notify(other_citizen, "theirs")

    async def scenario():
        communicator = socket(headers, language="en")
        assert (await communicator.connect())[0]
        # when a worker (another thread, with its own event loop) nudges both people
        worker = asyncio.get_running_loop().run_in_executor
        await worker(None, partial(nudge, citizen_id=other_citizen.pk, notification_id=theirs.pk))
        await worker(None, partial(nudge, citizen_id=citizen.pk, notification_id=mine.pk))
        received = await communicator.receive_json_from(timeout=5)
        nothing_more = await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()
        return received, nothing_more

    received, nothing_more = async_to_sync(scenario)()
    # then my page has my message, and only that
    assert (received["id"], received["title"], received["unread"]) == (mine.pk, "Approved: Childcare subsidy", 1)
    assert nothing_more is True


# The pages: only a signed-in citizen's pages listen, and the header shows the unread count.


@pytest.mark.django_db
def test_a_citizens_pages_listen_and_count_what_is_unread(client, citizen):
    notify(citizen, "a"), notify(citizen, "b")
    client.force_login(citizen.user, backend=MODEL_BACKEND)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-live-url="/ws/live/?language=en"' in html
    assert 'role="status" aria-live="polite"' in html
    assert "portal/live.js" in html
    assert '<span class="unread-badge" data-live-unread-number>2</span>' in html
    assert "data-live-unread hidden" not in html


@pytest.mark.django_db
def test_no_count_shows_when_everything_is_read(client, citizen):
    client.force_login(citizen.user, backend=MODEL_BACKEND)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-live-url="/ws/live/?language=zh-hans"' in html
    assert "data-live-unread hidden" in html


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["visitor", "caseworker"])
def test_pages_of_visitors_and_staff_do_not_listen(request, client, who):
    if who != "visitor":
        client.force_login(request.getfixturevalue(who), backend=MODEL_BACKEND)
    html = client.get("/").content.decode()
    assert "data-live-url" not in html
    assert "live.js" not in html
