"""The health check at /health/ (django-health-check): the database, the cache (Redis when REDIS_URL is
set), the Celery broker (Redis) and the Celery workers (a ping each must answer).

In the embedded default (no REDIS_URL) the cache is in the process's memory and Celery runs tasks eagerly
in the web process: there is no broker and no worker to ask, so the Celery check reports that, and passes.
`/healthz` stays the bare liveness answer (the load balancer's and the benchmarks').
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from health_check.views import HealthCheckView
from redis.asyncio import Redis as RedisClient

from services_portal.celery import app

CELERY_PING_SECONDS = 2


@dataclasses.dataclass
class Broker(Redis):
    """The Celery broker's Redis answers a ping. Shown without its address."""

    def __repr__(self) -> str:
        return "Redis(broker)"


@dataclasses.dataclass
class CeleryWorkers(Ping):
    """Celery workers answer a ping and every queue has one. Shown without the app's repr."""

    def __repr__(self) -> str:
        return "Celery(workers)"


@dataclasses.dataclass
class CeleryEager(HealthCheck):
    """Celery runs tasks eagerly in the web process (no REDIS_URL): there is no worker to be down."""

    async def run(self) -> None:
        return None

    def __repr__(self) -> str:
        return "Celery(eager: tasks run in the web process)"


def health_checks() -> list[Any]:
    """The checks for the settings in force now."""
    checks: list[Any] = [Database, Cache]
    broker = str(app.conf.broker_url or "")
    if broker.startswith(("redis://", "rediss://")):
        checks.append((Broker, {"client_factory": lambda: RedisClient.from_url(broker, socket_connect_timeout=2)}))
    if app.conf.task_always_eager:
        checks.append(CeleryEager)
    else:
        checks.append((CeleryWorkers, {"app": app, "timeout": datetime.timedelta(seconds=CELERY_PING_SECONDS)}))
    return checks


class PortalHealthView(HealthCheckView):
    """django-health-check's view (HTML, JSON with Accept or ?format=json, text, OpenMetrics): 200 when
    every check passes, 500 otherwise. Its HTML page is the portal's own (no inline styles)."""

    template_name = "monitoring/health.html"

    def get_checks(self) -> Any:
        self.checks = health_checks()
        return super().get_checks()
