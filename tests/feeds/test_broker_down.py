"""Redis cut for real, then brought back: a feed batch delivered while the broker is down is stored and
answered with success (not a 500 after Celery's retries), and the work it could not queue (casework
detection of the batch, delivery of the pushes it caused) is queued by the scheduled checks once Redis
is back, so nothing is lost.

The test runs its own redis-server on a port of its own and kills it; the Celery app publishes to it for
real (not eagerly). What reaches the queue is read back from Redis and then run, as a worker would."""

import base64
import datetime
import json
import logging
import shutil
import subprocess
import time

import pytest
import redis
import time_machine
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from profiles.models import ConsentChannel
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from services_portal.casework.models import Case
from services_portal.celery import app
from services_portal.feeds.models import FeedBatch
from services_portal.feeds.tasks import detect_batch, detect_pending
from services_portal.notifications.models import Push
from services_portal.notifications.tasks import deliver_pushes, dispatch
from tests.conftest import required
from tests.factories import birth_row

PORT = 6390
BROKER = f"redis://127.0.0.1:{PORT}/0"


class OwnRedis:
    """A redis-server of the test's own, without persistence, that can be killed and started again."""

    def __init__(self, binary: str):
        self.binary = binary
        self.process: subprocess.Popen | None = None
        self.client = redis.Redis(port=PORT, socket_connect_timeout=1)

    def start(self) -> None:
        command = [self.binary, "--port", str(PORT), "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                if self.client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server did not start on port {PORT}")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def messages(self, queue: str = "celery") -> list[tuple[str, list]]:
        """(task name, args) of each message waiting in the queue."""
        found = []
        for raw in self.client.lrange(queue, 0, -1):
            message = json.loads(raw)
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            found.append((message["headers"]["task"], args))
        return found


@pytest.fixture
def own_redis():
    binary = shutil.which("redis-server")
    if binary is None:
        if required("REQUIRE_REDIS"):
            pytest.fail("REQUIRE_REDIS is set but there is no redis-server to run")
        pytest.skip("no redis-server binary")
    server = OwnRedis(binary)
    server.start()
    yield server
    server.kill()


def _publish_to(url: str | None) -> None:
    """Point the Celery app's producers at `url` (None: back to the settings' broker)."""
    app.conf.broker_url = url or app.conf.find_value_for_key("broker_url")
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def real_broker(own_redis):
    """The Celery app publishes to the test's own Redis instead of running tasks eagerly."""
    before = app.conf.broker_url
    app.conf.task_always_eager = False  # the autouse fixture sets it back for the next test
    _publish_to(BROKER)
    yield own_redis
    app.conf.broker_url = before
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def feed_client(health_feed):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=health_feed)[1]}")
    return client


def test_a_batch_delivered_while_redis_is_down_is_stored_and_its_work_queued_when_it_is_back(
    real_broker, feed_client, parent, catalog, django_capture_on_commit_callbacks, caplog
):
    # given a parent who is told of services for them, and Redis down
    for purpose in (Purpose.PERSONALISATION, Purpose.NOTIFY_INBOX):
        consent_grant(citizen=parent, purpose=purpose, channel=ConsentChannel.WEB)
    real_broker.kill()
    # when a department delivers a birth
    with (
        caplog.at_level(logging.WARNING, logger="services_portal.core.tasks"),
        django_capture_on_commit_callbacks(execute=True) as queued,
    ):
        response = feed_client.post(
            "/api/v1/feeds/batches/", {"batch_id": "DOWN-1", "rows": [birth_row(parent)]}, format="json"
        )
    # then the delivery is answered with success, the batch is stored, and what could not be queued is
    # logged and waits in the database: the batch not yet detected, the pushes not yet routed
    assert response.status_code == 201, response.content
    assert response.json()["rows_accepted"] == 1
    assert len(queued) >= 2  # detection of the batch, and delivery of its pushes
    assert "broker unreachable" in caplog.text
    batch = FeedBatch.objects.get(batch_id="DOWN-1")
    assert batch.detected_at is None and batch.detect_citizen_ids == [parent.pk]
    pushes = sorted(Push.objects.filter(citizen=parent, routed_at__isnull=True).values_list("pk", flat=True))
    assert pushes
    assert not Case.objects.filter(citizen=parent).exists()

    # when Redis is back and the scheduled checks run (after the time a queued task would have taken)
    real_broker.start()
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=15)):
        assert detect_pending() == 1
        assert dispatch() >= len(pushes)
    # then the lost work is in the queue
    waiting = real_broker.messages()
    assert (detect_batch.name, [batch.pk]) in waiting
    queued_pushes = sorted(push for name, args in waiting if name == deliver_pushes.name for push in args[0])
    assert set(pushes) <= set(queued_pushes)

    # and when a worker runs it, the case is opened and the batch marked detected; a second run is harmless
    assert detect_batch(batch.pk) == 1
    assert detect_batch(batch.pk) == 0
    batch.refresh_from_db()
    assert batch.detected_at is not None and batch.detect_citizen_ids == []
    assert Case.objects.filter(citizen=parent).count() == 1
    # and the next check finds nothing more owed
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=30)):
        assert detect_pending() == 0


def test_with_redis_up_the_batch_is_queued_at_once_and_not_queued_again(
    real_broker, feed_client, parent, catalog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = feed_client.post(
            "/api/v1/feeds/batches/", {"batch_id": "UP-1", "rows": [birth_row(parent)]}, format="json"
        )
    assert response.status_code == 201
    batch = FeedBatch.objects.get(batch_id="UP-1")
    assert (detect_batch.name, [batch.pk]) in real_broker.messages()
    # when the worker has run it, the scheduled check owes nothing
    detect_batch(batch.pk)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=15)):
        assert detect_pending() == 0
