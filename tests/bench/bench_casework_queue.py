"""Benchmark: the caseworker's queue page and queue API with 100,000 cases.

Writes `--cases` cases (default 100,000) for `--people` people across Guangxi's cities and counties, the
catalog's services, every state and every origin, in bulk (COPY on PostgreSQL, services_portal/core/bulk.py),
then times, through the Django test client in this process, `--requests` requests each of the queue page
(`/casework/`) and the queue API (`/api/v1/casework/cases/`) as a caseworker of one city (Nanning, 450100)
and one department (`--department`, default health), with the default filter and with "overdue only",
and prints p50 and p95 per path (and the plans of the page's queries with `--explain`):

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench python tests/bench/bench_casework_queue.py

With `--reuse` the cases of an earlier run are kept. Needs PostgreSQL (skips without BENCH_DATABASE_URL);
the database named there is emptied unless --reuse. Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.common import arguments_parse, database_url  # noqa: E402 - needs ROOT on the path

CITY = "450100"
# How often each state and origin is met among the cases (a year's work of a province's departments).
STATES = {
    "submitted": 8,
    "in_review": 22,
    "returned": 5,
    "awaiting_second": 3,
    "approved": 20,
    "rejected": 10,
    "refused": 4,
    "delivered": 25,
    "withdrawn": 3,
}
ORIGINS = {"online": 60, "counter": 15, "proactive": 25}
DECIDED = {"approved", "rejected", "refused", "delivered"}


def setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services_portal.settings")
    os.environ.setdefault("MEDIA_ROOT", str(ROOT / "var" / "bench-media"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # one caseworker's few hundred requests a minute are the load measured, not abuse to throttle
    os.environ.setdefault("THROTTLE_USER", "100000/minute")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def population_make(*, cases: int, people: int, seed: int) -> None:
    """The catalog, `people` people and `cases` cases, written in bulk."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from profiles.services.bulk import CitizenInsert, citizens_bulk_insert
    from services_portal.casework.models import Case
    from services_portal.catalog.models import ServiceItem
    from services_portal.core.bulk import rows_insert
    from services_portal.reference import regions

    call_command("flush", "--noinput", verbosity=0)
    call_command("catalog_import", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    started = time.perf_counter()
    rng = random.Random(seed)
    counties = [region.code for region in regions.all_regions() if region.level == "county"]
    # Nanning, the capital, holds a larger share of the people
    weights = [4 if code.startswith("4501") else 1 for code in counties]
    now = datetime.datetime.now(tz=datetime.UTC)
    with transaction.atomic():
        people_rows = [
            CitizenInsert(
                resident_id_hash=hashlib.sha256(f"bench-casework-{seed}-{n}".encode()).hexdigest(),
                resident_id_masked=f"450***********{n % 10000:04d}",
                name=f"居民{n}",
                phone="",
                region_code=region,
                personalisation_enabled=False,
                created_at=now.isoformat(),
            )
            for n, region in enumerate(rng.choices(counties, weights, k=people))
        ]
        citizen_ids = citizens_bulk_insert(people_rows)
        regions_of = [row.region_code for row in people_rows]
        services = list(ServiceItem.objects.order_by("pk").values_list("pk", "processing_days", "benefit_amount_cny"))
        state_names, state_weights = list(STATES), list(STATES.values())
        origin_names, origin_weights = list(ORIGINS), list(ORIGINS.values())
        fields = [
            "citizen",
            "service",
            "origin",
            "period",
            "region_code",
            "amount_cny",
            "state",
            "evidence",
            "criteria",
            "eligibility",
            "version",
            "opened_at",
            "accepted_at",
            "due_on",
            "returned_materials",
            "returned_note",
            "resubmit_by",
            "decided_at",
            "delivered_at",
        ]
        criteria = json.dumps(
            [{"key": "age", "label_zh": "年满60周岁", "label_en": "Aged 60 or over", "status": "met"}]
        )

        def rows():
            for k in range(cases):
                person = k % people
                # distinct services for one person's cases: one case per person, service and period
                service_id, days, amount = services[(k // people * 7 + person) % len(services)]
                state = rng.choices(state_names, state_weights)[0]
                origin = rng.choices(origin_names, origin_weights)[0]
                if origin == "proactive" and state in ("submitted", "refused", "returned"):
                    state = "in_review"
                # what waits was mostly opened in the last weeks; what is decided, over the year
                opened = now - datetime.timedelta(days=rng.uniform(0, 365 if state in DECIDED else 25))
                accepted = None if state in ("submitted", "refused") else opened + datetime.timedelta(hours=4)
                due = (accepted + datetime.timedelta(days=(days or 1) * 7 // 5 + 1)).date() if accepted else None
                decided = opened + datetime.timedelta(days=rng.uniform(1, 30)) if state in DECIDED else None
                delivered = decided + datetime.timedelta(days=2) if state == "delivered" and decided else None
                yield (
                    citizen_ids[person],
                    service_id,
                    origin,
                    "2026",
                    regions_of[person],
                    amount,
                    state,
                    "[]",
                    criteria,
                    "eligible" if origin == "proactive" else rng.choice(["eligible", "maybe", "not_eligible"]),
                    1,
                    opened.isoformat(),
                    accepted.isoformat() if accepted else None,
                    due,
                    "[]",
                    "",
                    (now + datetime.timedelta(days=10)).date() if state == "returned" else None,
                    decided.isoformat() if decided else None,
                    delivered.isoformat() if delivered else None,
                )

        rows_insert(Case, fields, rows())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE casework_case")
    print(f"wrote {people:,} people and {cases:,} cases in {time.perf_counter() - started:.0f} s")


def caseworker_make(department: str):
    from profiles.models import Role, User

    user, _ = User.objects.update_or_create(
        username=f"bench-caseworker-{department}",
        defaults={"role": Role.CASEWORKER, "region_scope": CITY, "department": department},
    )
    return user


def timed(client, path: str, requests: int) -> list[float]:
    client.get(path)  # warm up
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
    return timings


def quantile(timings: list[float], percent: int) -> float:
    return statistics.quantiles(timings, n=100)[percent - 1]


def explain(user) -> None:
    from django.db import connection
    from django.utils import timezone

    from services_portal.casework.selectors import case_queue_for, queue_counts_for

    today = timezone.localdate()
    for overdue in (False, True):
        cases = case_queue_for(user, overdue=overdue, today=today)
        print(f"\n-- the page's cases{', overdue only' if overdue else ''}:")
        print(cases[:20].explain(analyze=True))
        with connection.cursor() as cursor:
            sql, params = cases.values("pk").query.sql_with_params()
            cursor.execute(f"EXPLAIN ANALYZE SELECT count(*) FROM ({sql}) counted", params)  # noqa: S608
            print(f"-- their count{', overdue only' if overdue else ''}:")
            print("\n".join(row[0] for row in cursor.fetchall()))
    with connection.cursor() as cursor:
        connection.force_debug_cursor = True
        queue_counts_for(user, today=today)
        connection.force_debug_cursor = False
        sql = connection.queries[-1]["sql"]
        cursor.execute(f"EXPLAIN ANALYZE {sql}")
        print("-- the header's counts:")
        print("\n".join(row[0] for row in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench_casework_queue")
    parser.add_argument("--cases", type=int, default=100_000, help="cases written (default 100,000)")
    parser.add_argument("--people", type=int, default=25_000, help="people they are about (default 25,000)")
    parser.add_argument("--requests", type=int, default=300, help="requests timed per path (default 300)")
    parser.add_argument("--department", default="health", help="the caseworker's department code")
    parser.add_argument("--explain", action="store_true", help="print the plans of the queue's queries")
    parser.add_argument("--reuse", action="store_true", help="keep the cases of an earlier run")
    parser.add_argument("--seed", type=int, default=20261203)
    arguments = arguments_parse(parser)
    setup(database_url(postgres_only=True))
    if not arguments.reuse:
        population_make(cases=arguments.cases, people=arguments.people, seed=arguments.seed)
    from django.test import Client

    from services_portal.casework.models import Case
    from services_portal.casework.selectors import case_queue_for, queue_counts_for

    print(f"{Case.objects.count():,} cases in the database")
    for department in (arguments.department, ""):
        user = caseworker_make(department)
        counts = queue_counts_for(user)
        print(
            f"\ncaseworker of {CITY}, department {department or '(all)'}: {case_queue_for(user).count():,} waiting, "
            f"{counts.overdue:,} overdue, {counts.submitted:,} submitted, {counts.returned:,} returned"
        )
        if arguments.explain and department:
            explain(user)
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        print(f"{'path':<48}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}")
        for path in (
            "/casework/",
            "/casework/?overdue=on&sort=due",
            "/casework/?page=20",
            "/api/v1/casework/cases/",
            "/api/v1/casework/cases/?overdue=true&sort=due",
        ):
            timings = timed(client, path, arguments.requests)
            print(f"{path:<48}{len(timings):>9}{quantile(timings, 50):>9.1f}{quantile(timings, 95):>9.1f}")


if __name__ == "__main__":
    main()
