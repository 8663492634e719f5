"""Benchmark: a department delivers fact rows through the real API into PostgreSQL, beside a raw COPY.

For each batch (new values, then changed values that supersede them) it prints rows per second through the
API (the server's work: the request body is encoded beforehand, as the department's client does), and in the
same run a raw `COPY` of the same rows into a table like the facts' own (same columns, indexes and foreign
keys, made anew), as a ratio. Casework detection is a background task after commit (feeds.tasks.detect_batch):
it is timed on its own, not in the API's figure. Asserts nothing. `make bench` runs it small; at scale:

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
        python tests/bench/bench_feed_ingest.py --rows 100000

The database named there is created if missing and emptied first: never point it at a real one. Without
BENCH_DATABASE_URL it runs on a throwaway SQLite file: SQLite's figures, not PostgreSQL's.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.common import arguments_parse, database_url  # noqa: E402 - needs ROOT on the path


def setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    # Tasks wait in an in-memory queue no worker reads: detection is run and timed on its own below.
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services_portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    call_command("catalog_import", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def population(people: int) -> list[str]:
    """People who agreed to data matching and sensitive facts, created in bulk; returns their ID numbers."""
    from profiles.models import Citizen, ConsentEvent, ConsentNotice
    from profiles.notices import consent_notices_load
    from profiles.purposes import Purpose
    from profiles.resident_id import check_character, resident_id_hash, resident_id_mask

    numbers = []
    for index in range(people):  # unique for up to 336,000 people
        born = f"1970{(index // 28000) % 12 + 1:02d}{(index // 1000) % 28 + 1:02d}"
        first_17 = f"450103{born}{index % 1000:03d}"
        numbers.append(first_17 + check_character(first_17))
    Citizen.objects.bulk_create(
        [
            Citizen(resident_id_hash=resident_id_hash(n), resident_id_masked=resident_id_mask(n), region_code="450103")
            for n in numbers
        ],
        batch_size=5000,
    )
    consent_notices_load()
    notices = {n.purpose: n for n in ConsentNotice.objects.all()}
    events = [
        ConsentEvent(citizen_id=citizen_id, purpose=purpose, granted=True, notice=notices[purpose], channel="web")
        for citizen_id in Citizen.objects.values_list("pk", flat=True)
        for purpose in (Purpose.DATA_MATCHING, Purpose.SENSITIVE_FACTS)
    ]
    ConsentEvent.objects.bulk_create(events, batch_size=10000)
    return numbers


def rows_for(numbers: list[str], count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    today = datetime.date(2026, 11, 1)
    makers = [
        lambda: ("income_monthly", rng.randint(0, 12000)),
        lambda: ("household_income_monthly_per_capita", rng.randint(300, 6000)),
        lambda: ("marital_status", rng.choice(["single", "married", "divorced", "widowed"])),
        lambda: ("household_size", rng.randint(1, 6)),
    ]
    rows = []
    for index in range(count):
        key, value = makers[index % len(makers)]()
        rows.append(
            {
                "resident_id": numbers[(index // len(makers)) % len(numbers)],
                "fact": key,
                "value": value,
                "observed_at": (today - datetime.timedelta(days=rng.randint(1, 300))).isoformat(),
            }
        )
    return rows


ANCHOR_TABLE = "bench_factvalue_copy"


def copy_anchor(rows: list[dict], citizen_ids: dict[str, int], account_id: int) -> float:
    """Seconds for a raw COPY of the same rows into a table like profiles_factvalue (its columns, defaults,
    indexes and foreign keys), made anew, through its commit: the rows go in as they are, with the
    person's id known and no check."""
    from django.db import connection, transaction
    from django.utils import timezone

    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {ANCHOR_TABLE}")
        cursor.execute(f"CREATE TABLE {ANCHOR_TABLE} (LIKE profiles_factvalue INCLUDING ALL)")
        for column, table in (("citizen_id", "profiles_citizen"), ("recorded_by_id", "profiles_user")):
            cursor.execute(
                f"ALTER TABLE {ANCHOR_TABLE} ADD FOREIGN KEY ({column}) REFERENCES {table} (id) "
                "DEFERRABLE INITIALLY DEFERRED"
            )
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        columns = "citizen_id, key, value, source, department, recorded_by_id, observed_at, recorded_at"
        with cursor.cursor.copy(f"COPY {ANCHOR_TABLE} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (
                        citizen_ids[row["resident_id"]],
                        row["fact"],
                        json.dumps(row["value"]),
                        "department_feed",
                        "civil_affairs",
                        account_id,
                        row["observed_at"],
                        now,
                    )
                )
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:  # its foreign keys would stop the next run's flush
        cursor.execute(f"DROP TABLE {ANCHOR_TABLE}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    args = arguments_parse(parser)
    setup(database_url())

    from django.db import connection
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    from profiles.models import Citizen, FactValue, Role, User
    from profiles.resident_id import resident_id_hash
    from services_portal.feeds.models import FeedBatch
    from services_portal.feeds.services import feed_batch_detect

    numbers = population(args.rows // 4)
    ids_by_hash = dict(Citizen.objects.values_list("resident_id_hash", "pk"))
    citizen_ids = {number: ids_by_hash[resident_id_hash(number)] for number in numbers}
    account = User.objects.create(username="civil-affairs-feed", role=Role.DEPARTMENT_FEED, department="civil_affairs")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=account)[1]}")

    for attempt, label in ((1, "new values"), (2, "changed values (supersede)")):
        rows = rows_for(numbers, args.rows, seed=attempt)
        body = json.dumps({"batch_id": f"BENCH-{attempt}", "rows": rows})
        started = time.perf_counter()
        response = client.post("/api/v1/feeds/batches/", body, content_type="application/json")
        elapsed = time.perf_counter() - started
        result = response.json()
        print(
            f"batch {attempt} ({label}): {args.rows:,} rows through the API in {elapsed:.2f} s = "
            f"{args.rows / elapsed:,.0f} rows/s (HTTP {response.status_code}, accepted {result['rows_accepted']:,}, "
            f"rejected {result['rows_rejected']:,})"
        )
        if connection.vendor == "postgresql":
            copied = copy_anchor(rows, citizen_ids, account.pk)
            print(
                f"  raw COPY of the same rows: {copied:.2f} s = {args.rows / copied:,.0f} rows/s; "
                f"API / COPY = {elapsed / copied:.1f}x"
            )
        started = time.perf_counter()
        feed_batch_detect(batch_pk=FeedBatch.objects.get(batch_id=f"BENCH-{attempt}").pk)
        print(f"  casework detection of the batch (background task): {time.perf_counter() - started:.2f} s")
    print(f"fact values stored: {FactValue.objects.count():,}")
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
