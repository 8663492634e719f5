"""Live push in a real Chromium: a citizen's open page shows a new message without a reload, and the
page with the banner has no WCAG 2.2 AA violations (axe-core), in Chinese, English and elder mode.

Django's live server speaks WSGI only, so these tests serve the portal's ASGI application (pages and
the live socket) with Daphne, in a thread of the test process: it reads the same test database as the
test, and shares its channel layer.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext_lazy

from profiles.models import Citizen, ConsentChannel, Role
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from services_portal.catalog.life_events import citizen_tags
from services_portal.catalog.models import Bundle
from services_portal.catalog.services import catalog_import
from services_portal.counter.models import OutreachTask
from services_portal.feeds.services import feed_batch_ingest
from services_portal.notifications.live import nudge
from services_portal.notifications.models import Notification, NotificationKind, Push
from services_portal.notifications.services.inbox import notification_create
from services_portal.notifications.tasks import deliver_pushes
from tests.conftest import postgres_only, required
from tests.e2e.conftest import VARIANTS
from tests.e2e.test_accessibility import check_page
from tests.e2e.test_casework_pages import sign_in_as
from tests.factories import StaffFactory, citizen_make
from tests.workers import wait_for, worker_start, worker_stop

pytestmark = pytest.mark.e2e

HOST = "127.0.0.1"
# The banner goes into a polite live region that is in the page from the start, so that it is read out.
BANNER = ".live-status[role=status][aria-live=polite] .live-banner"


@dataclass(frozen=True)
class AsgiServer:
    url: str
    loop: asyncio.AbstractEventLoop

    def nudge(self, *, citizen_id: int, notification_id: int) -> None:
        """`live.nudge` as a worker calls it. Sent from the server's event loop: the in-memory layer
        (Redis stands between processes in production) only wakes listeners on its own loop, and this
        thread's loop belongs to Playwright."""
        call = sync_to_async(nudge, thread_sensitive=False)(citizen_id=citizen_id, notification_id=notification_id)
        asyncio.run_coroutine_threadsafe(call, self.loop).result(timeout=10)


@pytest.fixture(scope="module")
def asgi_server() -> Iterator[AsgiServer]:
    """Daphne serving services_portal.asgi (and the static files) on a free port.

    Twisted's reactor runs once per process: one server for the module's tests, stopped after them.
    """
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from twisted.internet import reactor

    from services_portal.asgi import application

    server = Server(
        application=ASGIStaticFilesHandler(application),
        endpoints=build_endpoint_description_strings(host=HOST, port=0),
        signal_handlers=False,
        verbosity=0,
    )
    # Django renders error pages (the browser's /favicon.ico is one) on the loop's default executor,
    # whose threads never finish a request and so never close their database connections: a thread of
    # our own, closed after the tests, so that the test database can be dropped.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="asgi-sync")
    reactor._asyncioEventloop.set_default_executor(executor)
    thread = threading.Thread(target=server.run, name="daphne", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.listening_addresses:
        assert thread.is_alive() and time.monotonic() < deadline, "Daphne did not start listening"
        threading.Event().wait(0.05)
    port = server.listening_addresses[0][1]
    yield AsgiServer(url=f"http://{HOST}:{port}", loop=reactor._asyncioEventloop)
    reactor.callFromThread(reactor.stop)
    thread.join(timeout=10)
    executor.submit(connections.close_all).result(timeout=10)
    executor.shutdown()


@pytest.fixture
def site(asgi_server, transactional_db, catalog_data):
    """Replaces the conftest's `site` (Django's WSGI live server) for these tests."""
    catalog_import(data=catalog_data)
    return asgi_server.url


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_a_new_message_shows_on_an_open_page_without_a_reload(new_context, site, asgi_server, variant):
    # given a citizen with one unread message, on a page of the portal, listening
    citizen = citizen_make()
    first = notify(citizen, "first")
    context = new_context(variant)
    sign_in_as(context, site, citizen.user)
    page = context.new_page()
    page.goto(site + "/services/")
    # the count in the header's menu and in the tab bar
    assert page.locator("[data-live-unread-number]").all_text_contents() == ["1", "1"]
    page.locator("[data-live-url][data-live-state=open]").wait_for(state="attached")
    page.evaluate("window.notReloaded = true")

    # when a second message arrives and the push nudges the person's pages
    second = notify(citizen, "second")
    asgi_server.nudge(citizen_id=citizen.pk, notification_id=second.pk)

    # then the banner shows it, in the page's language, with a link to it in the inbox
    link = page.locator(BANNER + " a")
    link.wait_for()
    title = second.title_en if variant.name == "en" else second.title_zh
    assert link.inner_text() == title
    assert link.get_attribute("href") == f"/me/inbox/#message-{second.pk}"
    assert page.locator(BANNER).count() == 1
    # the header counts two unread messages, and the page was not reloaded
    assert page.locator("[data-live-unread-number]").all_text_contents() == ["2", "2"]
    assert page.evaluate("window.notReloaded") is True
    problems: list[str] = []
    check_page(page, variant, "live-banner", problems)
    assert not problems, "\n\n".join(problems)

    # and the link leads to the message in the inbox
    link.click()
    page.wait_for_url(f"**/me/inbox/#message-{second.pk}")
    assert page.locator(f"#message-{second.pk}").is_visible()
    assert page.locator(f"#message-{first.pk}").is_visible()


def notify(citizen, key: str):
    return notification_create(
        citizen=citizen,
        kind=NotificationKind.CASE_DECISION,
        idempotency_key=f"live-{citizen.pk}-{key}",
        title=gettext_lazy("Approved: %(service)s"),
        body=gettext_lazy("Your benefit was approved. You do not need to apply."),
        params={"zh-hans": {"service": f"育儿补贴 {key}"}, "en": {"service": f"Childcare subsidy {key}"}},
        link="/me/cases/1/",
    )


def parent(*, region_code: str, phone: str, purposes) -> Citizen:
    citizen = citizen_make(region_code=region_code)
    citizen.phone = phone
    citizen.save(update_fields=["phone"])
    # a push about a life event is personalised: it needs that consent too
    for purpose in (Purpose.DATA_MATCHING, Purpose.SENSITIVE_FACTS, Purpose.PERSONALISATION, *purposes):
        consent_grant(citizen=citizen, purpose=purpose, channel=ConsentChannel.WEB)
    return citizen


def births(*people: Citizen) -> list[dict]:
    born = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    return [
        {"resident_id": person.resident_id, "fact": "children_birth_dates", "value": [born], "observed_at": born}
        for person in people
    ]


def test_a_birth_from_the_health_feed_reaches_every_parent_once(new_context, site, tmp_path):
    """End to end on PostgreSQL, Redis, a real Celery worker and Chromium (DESIGN section 7)."""
    postgres_only("a worker process shares the test database")
    if "Redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        if required("REQUIRE_REDIS"):
            pytest.fail("REQUIRE_REDIS is set but the channel layer is not Redis")
        pytest.skip("the worker nudges the page through Redis")
    # given three parents of Nanning: one online with an open page, one who takes text messages,
    # and one who is offline and agreed to no channel
    online = parent(region_code="450103", phone="13800000001", purposes=[Purpose.NOTIFY_INBOX])
    texted = parent(region_code="450103", phone="13800000002", purposes=[Purpose.NOTIFY_SMS])
    offline = parent(region_code="450103", phone="", purposes=[])
    feed = StaffFactory(role=Role.DEPARTMENT_FEED, department="health", region_scope="")
    worker = worker_start(
        broker=settings.CELERY_BROKER_URL,
        SMS_BACKEND="services_portal.core.sms.FileBackend",
        SMS_FILE_PATH=str(tmp_path),
        PUSH_DAILY_LIMIT="20",
    )
    try:
        context = new_context(VARIANTS["zh"])
        sign_in_as(context, site, online.user)
        page = context.new_page()
        page.goto(site + "/me/")
        page.locator("[data-live-url][data-live-state=open]").wait_for(state="attached")
        deliver_pushes.app.conf.task_always_eager = False  # the worker delivers; the fixture resets this

        # when the health department's feed delivers the three births
        feed_batch_ingest(account=feed, batch_id="BIRTHS-1", rows=births(online, texted, offline))

        # then the online parent's tag is there, and the birth bundle reaches their open page live
        assert "newborn_parent" in {tag.code for tag in citizen_tags(online)}
        bundle = set(Bundle.objects.get(code="birth").services.values_list("code", flat=True))
        page.locator(BANNER + " a").wait_for(timeout=60_000)
        assert set(online.pushes.values_list("service__code", flat=True)) == bundle
        # the parent who takes text messages gets them from the file gateway, one per service
        messages = tmp_path / "messages.jsonl"
        wait_for(
            lambda: messages.exists() and len(messages.read_text().splitlines()) == len(bundle),
            seconds=60,
            what="a text message per service of the bundle",
        )
        assert {json.loads(line)["phone"] for line in messages.read_text().splitlines()} == {texted.phone}
        # and the offline parent is on their counter's outreach list for the services that warrant it (the
        # childcare subsidy), not for those one asks for (the newborn's hukou registration)
        outreach = set(Bundle.objects.get(code="birth").services.filter(outreach=True).values_list("code", flat=True))
        assert outreach and outreach < bundle
        wait_for(
            lambda: OutreachTask.objects.filter(citizen=offline).count() == len(outreach),
            seconds=60,
            what="outreach tasks for the offline parent",
        )
        tasks = OutreachTask.objects.filter(citizen=offline)
        assert set(tasks.values_list("service__code", flat=True)) == outreach
        assert set(tasks.values_list("region_code", flat=True)) == {"450103"}

        # when the feed delivers the batch again, and the same births in a new batch
        pushes, inbox = Push.objects.count(), Notification.objects.count()
        feed_batch_ingest(account=feed, batch_id="BIRTHS-1", rows=births(online, texted, offline))
        feed_batch_ingest(account=feed, batch_id="BIRTHS-1-AGAIN", rows=births(online, texted, offline))
        deliver_pushes.delay(list(Push.objects.values_list("pk", flat=True)))
        time.sleep(3)

        # then nothing is pushed twice, on any channel
        assert (Push.objects.count(), Notification.objects.count()) == (pushes, inbox)
        assert len(messages.read_text().splitlines()) == len(bundle)
        assert OutreachTask.objects.filter(citizen=offline).count() == len(outreach)
    finally:
        worker_stop(worker)
