"""Benchmark: a new service published for a group of people, pushed through the outbox by real Celery
workers (Redis broker) into PostgreSQL, with 1 and then 2 workers.

Simulates the population (reuse it with --reuse), gives everyone a phone, an account to those who used
the web or the app lately, and the personalisation consent, and adds a life event everyone is in
(adults). Then, per worker count: empties the outbox, starts the workers (`celery worker --pool=solo`,
one process each), publishes a new service for adults the way the catalog does (`new_service_announce`
in the publishing transaction) and waits until the queue is empty and no delivery is open.

Prints pushes written and messages delivered (inbox rows, live nudges, text messages to the file
backend, outreach tasks) per second, the time until the last one was delivered, and each worker's peak
memory; asserts nothing. `make bench` runs it small; at province scale:

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_push BENCH_REDIS_URL=redis://127.0.0.1:6379/3 \\
        python tests/bench/bench_push_fanout.py --people 100000

Needs both, and skips without them: BENCH_DATABASE_URL, a PostgreSQL database created if missing and, unless
--reuse is given, emptied first; BENCH_REDIS_URL, flushed before each run. Never name real ones.
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.common import (  # noqa: E402 - needs ROOT on the path
    arguments_parse,
    database_url,
    redis_url,
    workers_start,
    workers_stop,
)

SMS_DIRECTORY = Path(tempfile.gettempdir()) / "portal-bench-push-sms"
NEW_SERVICE = "bench-new-service-for-adults"


def environment() -> dict[str, str]:
    """What the workers and this process share: the bench database and broker (main() sets them), no quiet
    hours (the bench may run at night), a daily limit no one reaches, text messages to a file."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "services_portal.settings",
        "OPENBLAS_NUM_THREADS": "1",
        "PUSH_QUIET_HOURS": "off",
        "PUSH_DAILY_LIMIT": "1000",
        "SMS_BACKEND": "services_portal.core.sms.FileBackend",
        "SMS_FILE_PATH": str(SMS_DIRECTORY),
    }


def setup(*, reuse: bool) -> None:
    os.environ.update(environment())
    import django

    django.setup()
    from django.core.management import call_command

    from services_portal.celery import app

    call_command("migrate", verbosity=0)
    if not reuse:
        # The seed catalog's services are "new" too: let their (empty) fan-outs run here, not in the workers.
        app.conf.task_always_eager = True
        call_command("flush", "--noinput", verbosity=0)
        call_command("catalog_import", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        app.conf.task_always_eager = False


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def population(people: int) -> None:
    """Simulated people, each with a phone; an account for those who used the web or the app in the
    last 90 days; everyone allowing personalisation (so that the whole group is pushed)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from profiles.models import Citizen, ConsentEvent, User
    from profiles.purposes import Purpose
    from profiles.services.consent import notice_current
    from recommender.models import Interaction
    from recommender.simulator import population_simulate

    started = time.perf_counter()
    population_simulate(people=people, seed=20261123)
    print(f"simulated {people:,} people in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            # never a test number of the file backend (…0000, …0001, …9999)
            cursor.execute("UPDATE profiles_citizen SET phone = '139' || lpad(id::text, 7, '0') || '5'")
        since = timezone.now() - datetime.timedelta(days=90)
        online = sorted(
            set(
                Interaction.objects.filter(channel__in=["web", "app"], occurred_at__gte=since).values_list(
                    "citizen_id", flat=True
                )
            )
        )
        User.objects.bulk_create(
            [User(username=f"bench-{pk}", password="!", role="citizen") for pk in online], batch_size=5000
        )
        users = dict(User.objects.filter(username__startswith="bench-").values_list("username", "pk"))
        Citizen.objects.bulk_update(
            [Citizen(pk=pk, user_id=users[f"bench-{pk}"]) for pk in online], ["user"], batch_size=5000
        )
        Citizen.objects.update(personalisation_enabled=True)
        notice = notice_current(Purpose.PERSONALISATION)
        ConsentEvent.objects.bulk_create(
            [
                ConsentEvent(citizen_id=pk, purpose=Purpose.PERSONALISATION, granted=True, notice=notice, channel="web")
                for pk in Citizen.objects.values_list("pk", flat=True)
            ],
            batch_size=10000,
        )
    print(f"phones, {len(online):,} accounts and consents in {time.perf_counter() - started:.1f} s")


def outbox_empty() -> None:
    import redis
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE notifications_delivery, notifications_push, notifications_notification, "
            "counter_outreachtask, notifications_fanout"
        )
    from services_portal.catalog.models import ServiceItem

    ServiceItem.objects.filter(code=NEW_SERVICE).delete()
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    for path in SMS_DIRECTORY.glob("*.jsonl"):
        path.unlink()


def publish() -> float:
    """Publish the new service for adults, as the catalog does; returns the moment it committed."""
    from django.db import transaction

    from services_portal.catalog.models import Category, Department, LifeEvent, ServiceItem
    from services_portal.notifications.services.triggers import new_service_announce

    adults, _ = LifeEvent.objects.get_or_create(
        code="bench_adults",
        defaults={"name_zh": "成年人", "name_en": "Adults", "expression": "age >= 18"},
    )
    with transaction.atomic():
        service = ServiceItem.objects.create(
            code=NEW_SERVICE,
            name_zh="成年人新服务",
            name_en="A new service for adults",
            description_zh="基准测试用的新服务。",
            description_en="A new service for the benchmark.",
            category=Category.objects.order_by("code").first(),
            department=Department.objects.order_by("code").first(),
        )
        service.life_events.set([adults])
        new_service_announce(service=service)
    return time.time()


def busy() -> bool:
    import redis

    from services_portal.notifications.models import Delivery, DeliveryState, Fanout, Push

    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    queued = broker.llen("celery") + broker.hlen("unacked")
    open_rows = Delivery.objects.filter(
        state__in=[DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.TEMPORARY_FAILURE]
    ).exists()
    waiting = Push.objects.filter(routed_at__isnull=True).exists()
    dispatched = not Fanout.objects.filter(dispatched_at__isnull=True).exists()
    return bool(queued) or open_rows or waiting or not dispatched


def run(workers: int) -> None:
    from django.db.models import Count, Max, Min

    from services_portal.notifications.models import Delivery, DeliveryState, Push

    outbox_empty()
    log = (SMS_DIRECTORY.parent / "portal-bench-push-workers.log").open("a")  # noqa: SIM115
    processes = workers_start(workers, env=environment(), log=log)
    try:
        published = publish()
        time.sleep(1)
        while busy():
            time.sleep(0.5)
        finished = time.time()
    finally:
        peaks = workers_stop(processes)
    pushes = Push.objects.aggregate(n=Count("pk"), last=Max("created_at"), first=Min("created_at"))
    delivered = Delivery.objects.filter(state=DeliveryState.DELIVERED)
    last = delivered.aggregate(last=Max("updated_at"))["last"]
    by_channel = dict(delivered.values("channel").annotate(n=Count("pk")).values_list("channel", "n"))
    failed = Delivery.objects.exclude(state=DeliveryState.DELIVERED).count()
    messages = sum(by_channel.values())
    until_last = last.timestamp() - published
    written = pushes["last"].timestamp() - published
    print(
        f"{workers} worker{'s' if workers > 1 else ''}: {pushes['n']:,} pushes written in {written:.1f} s "
        f"({pushes['n'] / written:,.0f}/s); {messages:,} messages delivered "
        f"({', '.join(f'{channel} {n:,}' for channel, n in sorted(by_channel.items()))}; {failed} not delivered); "
        f"the last {until_last:.1f} s after publishing = {messages / until_last:,.0f} messages/s, "
        f"{pushes['n'] / until_last:,.0f} pushes/s end to end (idle {finished - last.timestamp():.1f} s before "
        f"the bench saw it); worker peak RSS {', '.join(f'{peak:.0f}' for peak in peaks)} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--reuse", action="store_true", help="Keep the population already in the database.")
    parser.add_argument("--workers", default="1,2", help="Worker counts to run, in order.")
    arguments = arguments_parse(parser)
    os.environ["REDIS_URL"] = redis_url()
    os.environ["DATABASE_URL"] = database_url(postgres_only=True)
    setup(reuse=arguments.reuse)
    if not arguments.reuse:
        population(arguments.people)
    from profiles.models import Citizen

    print(f"{Citizen.objects.count():,} people in the database; this process's peak RSS {peak_mib():.0f} MiB")
    for count in (int(n) for n in arguments.workers.split(",")):
        run(count)


if __name__ == "__main__":
    main()
