"""The portal's own Prometheus metrics, read from the database (and the broker) at scrape time.

Request metrics (latency by view, responses by status ...) come from django-prometheus's middleware;
this collector adds what only the portal knows. Every query is an aggregate over an indexed column or a
small table, so a scrape stays cheap at the province's scale; a section that fails (the broker is down)
is left out of that scrape and counted in `portal_metrics_scrape_errors`, the others still answer.
The README ("Operations") lists every metric.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable, Iterator

import redis
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone
from prometheus_client.core import REGISTRY, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from recommender.models import ModelStatus, RecommenderModel
from services_portal.casework.models import UNDECIDED_STATES, Case
from services_portal.celery import app
from services_portal.counter.models import OutreachOutcome, OutreachTask
from services_portal.feeds.models import FeedBatch
from services_portal.notifications.models import Delivery, DeliveryState, Push
from services_portal.reach.selectors import reach_group_figures

logger = logging.getLogger(__name__)

WAITING_DELIVERY_STATES = (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.TEMPORARY_FAILURE)
# kombu's Redis transport keeps a queue's priorities in lists named queue, queue\x06\x163, ... (its
# default priority steps); a queue's depth is their sum.
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)


def _age_seconds(since: datetime.datetime | None, now: datetime.datetime) -> float:
    return max(0.0, (now - since).total_seconds()) if since else 0.0


def outbox_metrics(now: datetime.datetime) -> Iterator[Metric]:
    due = Push.objects.filter(routed_at__isnull=True).filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
    unrouted = due.aggregate(count=Count("id"), oldest=Min("created_at"))
    pushes = GaugeMetricFamily("portal_outbox_unrouted_pushes", "Pushes due now and not yet routed to a channel.")
    pushes.add_metric([], unrouted["count"])
    yield pushes
    lag = GaugeMetricFamily(
        "portal_outbox_lag_seconds",
        "Age of the oldest push due now and not yet routed (0 when none waits): the outbox's lag.",
    )
    lag.add_metric([], _age_seconds(unrouted["oldest"], now))
    yield lag
    oldest_delivery = Delivery.objects.filter(state__in=WAITING_DELIVERY_STATES).aggregate(oldest=Min("created_at"))
    waiting = GaugeMetricFamily(
        "portal_delivery_oldest_waiting_seconds",
        "Age of the oldest delivery still pending, sending or to be retried (0 when none).",
    )
    waiting.add_metric([], _age_seconds(oldest_delivery["oldest"], now))
    yield waiting
    deliveries = GaugeMetricFamily(
        "portal_deliveries", "Deliveries by channel and state (all kept rows).", labels=["channel", "state"]
    )
    for row in Delivery.objects.values("channel", "state").annotate(count=Count("id")).order_by("channel", "state"):
        deliveries.add_metric([row["channel"], row["state"]], row["count"])
    yield deliveries


def queue_metrics(now: datetime.datetime) -> Iterator[Metric]:
    cases = GaugeMetricFamily("portal_casework_queue", "Cases waiting for a decision, by state.", labels=["state"])
    counts = dict(
        Case.objects.filter(state__in=UNDECIDED_STATES).values_list("state").annotate(count=Count("id")).order_by()
    )
    for state in UNDECIDED_STATES:
        cases.add_metric([str(state)], counts.get(state, 0))
    yield cases
    outreach = OutreachTask.objects.filter(outcome=OutreachOutcome.OPEN).aggregate(
        count=Count("id"), oldest=Min("created_at")
    )
    tasks = GaugeMetricFamily("portal_outreach_tasks_open", "Counter outreach tasks not yet contacted.")
    tasks.add_metric([], outreach["count"])
    yield tasks
    oldest = GaugeMetricFamily("portal_outreach_oldest_open_seconds", "Age of the oldest open outreach task.")
    oldest.add_metric([], _age_seconds(outreach["oldest"], now))
    yield oldest


def celery_metrics(now: datetime.datetime) -> Iterator[Metric]:
    """Queue depths in the Redis broker; nothing when Celery runs eagerly or on another broker."""
    broker = str(app.conf.broker_url or "")
    if app.conf.task_always_eager or not broker.startswith(("redis://", "rediss://")):
        return

    client = redis.Redis.from_url(broker, socket_connect_timeout=1, socket_timeout=1)
    try:
        queue = str(app.conf.task_default_queue)
        names = [queue] + [f"{queue}{PRIORITY_SEPARATOR}{step}" for step in PRIORITY_STEPS[1:]]
        with client.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.llen(name)
            pipe.hlen("unacked")
            *lengths, unacked = pipe.execute()
    finally:
        client.close()
    depth = GaugeMetricFamily("portal_celery_queue_length", "Tasks waiting in a Celery queue.", labels=["queue"])
    depth.add_metric([queue], sum(lengths))
    yield depth
    taken = GaugeMetricFamily(
        "portal_celery_unacked_tasks", "Tasks a worker has taken and not yet acknowledged (running or lost)."
    )
    taken.add_metric([], unacked)
    yield taken


def feed_metrics(now: datetime.datetime) -> Iterator[Metric]:
    batches = GaugeMetricFamily("portal_feed_batches", "Feed batches received, by department.", labels=["department"])
    rows = GaugeMetricFamily(
        "portal_feed_rows", "Feed rows received, by department and outcome.", labels=["department", "outcome"]
    )
    freshness = GaugeMetricFamily(
        "portal_feed_last_batch_age_seconds", "Time since the department's last batch.", labels=["department"]
    )
    per_department = (
        FeedBatch.objects.values("department")
        .annotate(
            batches=Count("id"), accepted=Sum("rows_accepted"), rejected=Sum("rows_rejected"), last=Max("received_at")
        )
        .order_by("department")
    )
    for row in per_department:
        department = row["department"]
        batches.add_metric([department], row["batches"])
        rows.add_metric([department, "accepted"], row["accepted"] or 0)
        rows.add_metric([department, "rejected"], row["rejected"] or 0)
        freshness.add_metric([department], _age_seconds(row["last"], now))
    pending = GaugeMetricFamily(
        "portal_feed_batches_awaiting_detection", "Batches whose casework detection has not run yet."
    )
    pending.add_metric([], FeedBatch.objects.filter(detected_at__isnull=True).count())
    yield from (batches, rows, freshness, pending)


def model_metrics(now: datetime.datetime) -> Iterator[Metric]:
    serving = RecommenderModel.objects.filter(status=ModelStatus.ACTIVE).values("version", "activated_at").first()
    version = GaugeMetricFamily(
        "portal_recommender_model_version", "Version of the recommender model serving (0 when none serves)."
    )
    version.add_metric([], serving["version"] if serving else 0)
    yield version
    age = GaugeMetricFamily("portal_recommender_model_age_seconds", "Time since the serving model was activated.")
    age.add_metric([], _age_seconds(serving["activated_at"], now) if serving else 0)
    yield age


def reach_metrics(now: datetime.datetime) -> Iterator[Metric]:
    """The province's latest reach figures for essential services; a group whose share would rest on
    fewer than REACH_SMALL_CELL people is left out, as it is everywhere the figures leave the portal."""
    share = GaugeMetricFamily(
        "portal_reach_share_reached_in_time",
        "Share of people due (eligible for an essential service for the reach window) reached in time, by group.",
        labels=["group"],
    )
    due = GaugeMetricFamily("portal_reach_due", "People due to have been reached, by group.", labels=["group"])
    for figure in reach_group_figures(region_prefix="", essential_only=True):
        if figure.suppressed or figure.share is None:
            continue
        share.add_metric([figure.group], figure.share)
        due.add_metric([figure.group], figure.due)
    yield share
    yield due


SECTIONS: dict[str, Callable[[datetime.datetime], Iterable[Metric]]] = {
    "outbox": outbox_metrics,
    "queues": queue_metrics,
    "celery": celery_metrics,
    "feeds": feed_metrics,
    "model": model_metrics,
    "reach": reach_metrics,
}


class PortalCollector(Collector):
    """Every section's metrics, read when Prometheus scrapes."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        errors = GaugeMetricFamily(
            "portal_metrics_scrape_errors", "1 when a section could not be read in this scrape.", labels=["section"]
        )
        for name, section in SECTIONS.items():
            try:
                metrics = list(section(now))
            except Exception:
                logger.warning("metrics section %s could not be read", name, exc_info=True)
                errors.add_metric([name], 1)
                continue
            errors.add_metric([name], 0)
            yield from metrics
        yield errors

    def describe(self) -> Iterator[Metric]:
        # Nothing up front: described, the registry would call collect() at registration, reading the database.
        return iter(())


_registered: dict[str, PortalCollector] = {}


def portal_collector_register() -> None:
    """Register the collector once per process with prometheus_client's default registry."""
    if "portal" not in _registered:
        collector = PortalCollector()
        REGISTRY.register(collector)
        _registered["portal"] = collector
