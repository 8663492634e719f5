"""A real Celery worker, on Redis and PostgreSQL, killed while it sends a text message: nothing is lost
and the person gets the message once. The gateway took the message before the kill; a second worker
picks the task up again and sends under the same id, which the gateway drops as a duplicate."""

import json
import signal

import pytest
import redis
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from profiles.models import ConsentChannel
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from services_portal.catalog.models import ServiceItem
from services_portal.notifications.models import Delivery, DeliveryChannel, DeliveryState, Trigger
from services_portal.notifications.services import push_create
from services_portal.notifications.tasks import deliver_pushes
from tests.conftest import postgres_only, required
from tests.factories import citizen_make
from tests.workers import wait_for, worker_start, worker_stop

pytestmark = pytest.mark.django_db(transaction=True)

BROKER = "redis://127.0.0.1:6379/7"  # a database of its own, emptied first
REDELIVER_AFTER_SECONDS = 3


@pytest.fixture
def broker():
    postgres_only("needs a database that a worker process shares with the test")
    client = redis.Redis.from_url(BROKER)
    try:
        client.ping()
    except redis.ConnectionError:
        if required("REQUIRE_REDIS"):
            pytest.fail("Redis is required but not reachable at " + BROKER)
        pytest.skip("Redis is not running")
    client.flushdb()
    yield client
    client.flushdb()


def test_a_worker_killed_mid_send_loses_nothing_and_sends_once(broker, catalog, tmp_path, monkeypatch):
    # given a person reachable only by text message, and a push for them in the outbox
    citizen = citizen_make()
    citizen.phone = "13800005555"
    citizen.save(update_fields=["phone"])
    consent_grant(citizen=citizen, purpose=Purpose.NOTIFY_SMS, channel=ConsentChannel.WEB)
    # (the eager delivery the push would schedule after commit is held back: it goes to Redis below)
    monkeypatch.setattr("services_portal.notifications.services.push._deliver_after_commit", lambda ids: None)
    with transaction.atomic():
        push = push_create(
            citizen=citizen,
            service=ServiceItem.objects.get(code="gx-elderly-allowance"),
            trigger=Trigger.SWEEP,
            key=timezone.localdate().isoformat(),
            title=gettext_lazy("A service for you: %(service)s"),
            body=gettext_lazy("You may be able to get this service."),
            params={"zh-hans": {"service": "高龄津贴"}, "en": {"service": "Old-age allowance"}},
        )
    deliver_pushes.app.conf.task_always_eager = False  # the autouse fixture sets it back for the next test
    with deliver_pushes.app.connection_for_write(BROKER) as queue:
        deliver_pushes.apply_async(([push.pk],), connection=queue)

    # when the first worker is killed after the gateway took the message, and a second one starts
    gateway = {
        "SMS_BACKEND": "tests.notifications.stalling_sms.StallingFileBackend",
        "SMS_FILE_PATH": str(tmp_path),
        "CELERY_VISIBILITY_TIMEOUT": str(REDELIVER_AFTER_SECONDS),
    }
    first = worker_start(broker=BROKER, **gateway)
    try:
        wait_for(lambda: (tmp_path / "stalled").exists(), seconds=60, what="the gateway to take the message")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        first.kill()
    stuck = Delivery.objects.get(push=push, channel=DeliveryChannel.SMS)
    assert stuck.state == DeliveryState.SENDING
    second = worker_start(broker=BROKER, **gateway)
    try:
        wait_for(
            lambda: Delivery.objects.get(pk=stuck.pk).state == DeliveryState.DELIVERED,
            seconds=90,
            what="the second worker to finish the delivery",
        )
    finally:
        worker_stop(second)

    # then the delivery is done, and the gateway holds the message once
    delivered = Delivery.objects.get(pk=stuck.pk)
    assert delivered.attempts == 2
    lines = [json.loads(line) for line in (tmp_path / "messages.jsonl").read_text().splitlines()]
    assert [line["phone"] for line in lines] == ["13800005555"]
