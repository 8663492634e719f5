"""Operations: Prometheus' /metrics (protected, with the portal's own figures), JSON logs carrying the
request id and the Celery task id, and the health check at /health/."""

import datetime
import io
import json
import logging
import uuid

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from knox.models import AuthToken  # noqa: F401 - the feeds' accounts need knox's tables loaded

from profiles.models import Role
from recommender.models import ModelStatus, RecommenderModel
from services_portal.casework.models import Case
from services_portal.catalog.models import ServiceItem
from services_portal.celery import app
from services_portal.counter.models import OutreachTask
from services_portal.feeds.models import FeedBatch
from services_portal.monitoring.logs import PortalFormatter
from services_portal.notifications.models import Delivery, DeliveryChannel, DeliveryState, Push
from services_portal.reach import groups
from services_portal.reach.models import ReachFigure
from tests.conftest import postgres_only, required
from tests.factories import StaffFactory
from tests.workers import wait_for, worker_start, worker_stop

TOKEN = "scrape-" + "x" * 24  # noqa: S105 - a test's own token


def _metrics(client, **headers) -> str:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _value(text: str, sample: str) -> float:
    """The value of one sample line, e.g. 'portal_deliveries{channel="sms",state="delivered"}'."""
    [line] = [line for line in text.splitlines() if line.startswith(sample + " ")]
    return float(line.rsplit(" ", 1)[1])


@pytest.fixture
def figures_to_report(catalog, citizen):
    now = timezone.now()
    service = ServiceItem.objects.filter(essential=True).first()
    texts = {"title_zh": "t", "title_en": "t", "body_zh": "b", "body_en": "b"}
    waiting = Push.objects.create(citizen=citizen, service=service, trigger="sweep", idempotency_key="k1", **texts)
    Push.objects.filter(pk=waiting.pk).update(created_at=now - datetime.timedelta(minutes=30))
    sent = Push.objects.create(
        citizen=citizen, service=service, trigger="sweep", idempotency_key="k2", routed_at=now, **texts
    )
    Delivery.objects.create(push=sent, channel=DeliveryChannel.SMS, state=DeliveryState.DELIVERED)
    Delivery.objects.create(push=sent, channel=DeliveryChannel.INBOX, state=DeliveryState.PENDING)
    OutreachTask.objects.create(citizen=citizen, service=service, region_code=citizen.region_code)
    Case.objects.create(citizen=citizen, service=service, region_code=citizen.region_code, state="in_review")
    feed = StaffFactory(role=Role.DEPARTMENT_FEED, department="health", region_scope="")
    FeedBatch.objects.create(
        department="health",
        batch_id="b1",
        account=feed,
        format="json",
        rows_total=12,
        rows_accepted=10,
        rows_rejected=2,
    )
    RecommenderModel.objects.create(
        version=7, status=ModelStatus.ACTIVE, window_start=now, window_end=now, holdout_end=now, activated_at=now
    )
    for group, due, reached in ((groups.ALL, 200, 190), (groups.ELDERLY_80, 8, 4)):
        ReachFigure.objects.create(
            on=timezone.localdate(),
            region_code="450102",
            service=service,
            group=group,
            eligible=due,
            due=due,
            reached_in_time=reached,
        )


def test_metrics_lists_the_request_and_portal_metrics_with_their_values(client, settings, figures_to_report):
    # given a scraper on an allowed address (the test client's is 127.0.0.1), after one page was served
    settings.METRICS_ALLOWED_ADDRESSES = ["127.0.0.1"]
    client.get("/healthz")

    # when it scrapes
    text = _metrics(client)

    # then request latency (django-prometheus) and the portal's own figures are there, with their values
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
    assert _value(text, "portal_outbox_unrouted_pushes") == 1
    assert 29 * 60 <= _value(text, "portal_outbox_lag_seconds") < 60 * 60
    assert _value(text, 'portal_deliveries{channel="sms",state="delivered"}') == 1
    assert _value(text, 'portal_deliveries{channel="inbox",state="pending"}') == 1
    assert _value(text, "portal_delivery_oldest_waiting_seconds") >= 0
    assert _value(text, 'portal_casework_queue{state="in_review"}') == 1
    assert _value(text, "portal_outreach_tasks_open") == 1
    assert _value(text, 'portal_feed_batches{department="health"}') == 1
    assert _value(text, 'portal_feed_rows{department="health",outcome="rejected"}') == 2
    assert 'portal_feed_last_batch_age_seconds{department="health"}' in text
    assert _value(text, "portal_recommender_model_version") == 7
    # the reach figures: everyone's share, and none for a group under the small-cell threshold
    assert _value(text, 'portal_reach_share_reached_in_time{group="all"}') == pytest.approx(0.95)
    assert 'group="elderly_80"' not in text
    assert 'portal_metrics_scrape_errors{section="reach"} 0.0' in text


def test_metrics_refuses_a_scraper_neither_allowed_nor_holding_the_token(client, settings, db):
    # given no allowed address and a token
    settings.METRICS_ALLOWED_ADDRESSES = []
    settings.METRICS_TOKEN = TOKEN

    # when it is asked without the token, with a wrong one, and with the right one
    refused = client.get("/metrics")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    text = _metrics(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    # then only the right token is let in, and the refusals say nothing of the portal
    assert refused.status_code == wrong.status_code == 403
    assert b"portal_" not in refused.content
    assert "portal_outbox_lag_seconds" in text


def test_metrics_with_no_token_configured_refuses_an_empty_bearer(client, settings, db):
    settings.METRICS_ALLOWED_ADDRESSES = []
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_metrics_behind_a_proxy_allow_the_client_address_not_the_proxys(client, settings, db):
    # given a proxy in front (its own address 127.0.0.1) and an allowed monitoring host
    settings.TRUSTED_PROXY_COUNT = 1
    settings.METRICS_ALLOWED_ADDRESSES = ["10.0.0.5"]

    # then the forwarded client decides, not the proxy
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="10.0.0.5").status_code == 200


def _json_lines(handler_stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in handler_stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def json_log():
    """A handler with the production formatter (JSON) on the root logger, written into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(PortalFormatter(renderer="json"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def test_a_log_line_written_while_a_request_is_served_is_json_with_its_request_id(client, db, json_log):
    # when a page that is not there is asked for (Django logs "Not Found" on django.request)
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="trace-1234abcd")

    # then that line is one JSON object carrying the request's id
    [line] = [entry for entry in _json_lines(json_log) if entry.get("logger") == "django.request"]
    assert response.status_code == 404
    assert line["request_id"] == response["X-Request-ID"] == "trace-1234abcd"
    assert line["level"] == "warning"
    assert "Not Found" in line["event"] and line["timestamp"].endswith("Z")


def test_after_the_request_its_id_is_no_longer_on_the_lines(client, db, json_log):
    client.get("/healthz")
    logging.getLogger("services_portal.anything").warning("between requests")
    [line] = [entry for entry in _json_lines(json_log) if entry["event"] == "between requests"]
    assert "request_id" not in line


def test_a_celery_task_logs_with_its_task_id(db, json_log):
    # given a task that logs
    @app.task(name="tests.monitoring.logs_something")
    def logs_something():
        logging.getLogger("services_portal.tasks_test").info("working")

    # when it runs (eagerly here, as in a worker the same signals fire)
    result = logs_something.apply_async(task_id="task-42")

    # then its line carries the task id and name, and none is left bound after it
    [line] = [entry for entry in _json_lines(json_log) if entry["event"] == "working"]
    assert result.id == "task-42"
    assert line["task_id"] == "task-42" and line["task"] == "tests.monitoring.logs_something"
    logging.getLogger("services_portal.tasks_test").warning("after")
    assert "task_id" not in _json_lines(json_log)[-1]


def test_a_resident_id_in_a_json_traceback_is_masked(json_log):
    try:
        raise ValueError("no person 45010319800101002X")
    except ValueError:
        logging.getLogger("services_portal.anything").exception("failed")
    written = json_log.getvalue()
    assert "45010319800101002X" not in written
    assert "4501**********002X" in written
    assert json.loads(written.splitlines()[-1])["exception"]


def test_the_health_check_answers_for_the_database_the_cache_and_celery(client, db):
    # when the health check is asked for JSON
    response = client.get("/health/", HTTP_ACCEPT="application/json")

    # then every check passes; embedded (eager Celery), the Celery check says so and passes
    results = response.json()
    assert response.status_code == 200
    assert results["Database(alias='default')"] == "OK"
    assert results["Cache(alias='default')"] == "OK"
    if app.conf.task_always_eager:
        assert results["Celery(eager: tasks run in the web process)"] == "OK"
    if settings.REDIS_URL:
        assert results["Redis(broker)"] == "OK"


def test_the_health_check_page_is_readable_html(client, db):
    response = client.get("/health/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Database" in response.content


def _redis_url() -> str:
    if not settings.REDIS_URL:
        if required("REQUIRE_REDIS"):
            pytest.fail("REQUIRE_REDIS is set but REDIS_URL is not")
        pytest.skip("REDIS_URL is not set: the embedded portal has no broker")
    return settings.REDIS_URL


@pytest.fixture
def broker_in_use():
    """Celery publishing to the configured Redis, not eager (the autouse fixture sets eager back)."""
    url = _redis_url()
    app.conf.task_always_eager = False
    yield redis.Redis.from_url(url)


def test_without_a_worker_the_health_check_fails_and_the_queue_depth_shows(client, settings, db, broker_in_use):
    # given tasks waiting in the default queue, and no worker
    settings.METRICS_ALLOWED_ADDRESSES = ["127.0.0.1"]
    queue = app.conf.task_default_queue
    broker_in_use.delete(queue)
    broker_in_use.rpush(queue, *[f"message-{uuid.uuid4()}" for _ in range(3)])
    try:
        # when the health check and the metrics are asked
        response = client.get("/health/?format=json")
        text = _metrics(client)
    finally:
        broker_in_use.delete(queue)

    # then Celery is reported down (500) and the queue holds three tasks
    assert response.status_code == 500
    assert response.json()["Celery(workers)"] == "Unavailable: Celery workers unavailable"
    assert response.json()["Redis(broker)"] == "OK"
    assert _value(text, f'portal_celery_queue_length{{queue="{queue}"}}') == 3


@pytest.mark.django_db(transaction=True)
def test_with_a_real_worker_the_health_check_passes(client, broker_in_use):
    postgres_only("the worker runs on the test's PostgreSQL database")
    # given a real Celery worker on the broker
    worker = worker_start(broker=settings.REDIS_URL)
    try:
        # when the health check is asked, until the worker has connected
        wait_for(lambda: client.get("/health/?format=json").status_code == 200, seconds=60, what="the worker's pong")
        # then every check passes, the workers' among them
        assert client.get("/health/?format=json").json()["Celery(workers)"] == "OK"
    finally:
        worker_stop(worker)
