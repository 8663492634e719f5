"""A batch interrupted halfway leaves nothing (it is one transaction), and delivering it again stores
each fact once and opens each case once. PostgreSQL only: a real process is killed while it writes."""

import datetime
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from profiles.models import Citizen, ConsentEvent, FactValue, Household
from profiles.notices import consent_notices_load
from profiles.purposes import Purpose
from profiles.resident_id import check_character, resident_id_hash, resident_id_mask
from services_portal.casework.models import Case
from services_portal.feeds.models import FeedBatch, FeedRowRejection
from services_portal.feeds.services import feed_batch_ingest
from tests.conftest import ROOT, postgres_only

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = 20_000  # two rows each: a 40,000-row batch
PROACTIVE = 25  # of whom these agreed to benefits without applying
BATCH_ID = "H-2026-INTERRUPTED"

# Delivers the batch in a process of its own; prints its database backend's pid before it starts.
DELIVER = """
import json, sys
import django
django.setup()
from django.db import connection
from profiles.models import User
from services_portal.feeds.services import feed_batch_ingest
rows = json.loads(open(sys.argv[1], encoding="utf-8").read())
account = User.objects.get(pk=int(sys.argv[2]))
with connection.cursor() as cursor:
    cursor.execute("SELECT pg_backend_pid()")
    print(cursor.fetchone()[0], flush=True)
feed_batch_ingest(account=account, batch_id=sys.argv[3], rows=rows)
print("committed", flush=True)
"""


@pytest.fixture(autouse=True)
def _postgres():
    postgres_only("needs a database a second process can write to while this one watches")


def numbers(count: int) -> list[str]:
    result = []
    for index in range(count):
        born = f"1990{(index // 28000) % 12 + 1:02d}{(index // 1000) % 28 + 1:02d}"
        first_17 = f"450103{born}{index % 1000:03d}"
        result.append(first_17 + check_character(first_17))
    return result


@pytest.fixture
def population(catalog) -> list[str]:
    """PEOPLE Nanning residents who agreed to data matching and sensitive facts, made in bulk; the
    first PROACTIVE of them also to benefits without applying. Returns their ID numbers."""
    clear = numbers(PEOPLE)
    Citizen.objects.bulk_create(
        [
            Citizen(resident_id_hash=resident_id_hash(n), resident_id_masked=resident_id_mask(n), region_code="450103")
            for n in clear
        ],
        batch_size=5000,
    )
    consent_notices_load()  # a flushed database has lost the migration's notices
    from profiles.models import ConsentNotice

    notices = {notice.purpose: notice for notice in ConsentNotice.objects.all()}
    ids = list(Citizen.objects.order_by("pk").values_list("pk", flat=True))
    events = [
        ConsentEvent(citizen_id=citizen_id, purpose=purpose, granted=True, notice=notices[purpose], channel="web")
        for citizen_id in ids
        for purpose in (Purpose.DATA_MATCHING, Purpose.SENSITIVE_FACTS)
    ]
    events += [
        ConsentEvent(
            citizen_id=citizen_id,
            purpose=Purpose.PROACTIVE_BENEFITS,
            granted=True,
            notice=notices[Purpose.PROACTIVE_BENEFITS],
            channel="web",
        )
        for citizen_id in ids[:PROACTIVE]
    ]
    ConsentEvent.objects.bulk_create(events, batch_size=10000)
    return clear


def birth_rows(clear: list[str]) -> list[dict]:
    """A birth and a pregnancy status for each person: two rows each, all health department facts."""
    today = timezone.localdate()
    rows = []
    for index, number in enumerate(clear):
        born = (today - datetime.timedelta(days=index % 300 + 1)).isoformat()
        rows.append({"resident_id": number, "fact": "children_birth_dates", "value": [born], "observed_at": born})
        rows.append({"resident_id": number, "fact": "is_pregnant", "value": False, "observed_at": born})
    return rows


def database_url() -> str:
    settings = connection.settings_dict
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    host = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    return f"postgres://{quote(settings['USER'], safe='')}{password}@{host}/{settings['NAME']}"


def query(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def writing_facts(pid: int) -> bool:
    """Whether that backend, inside an open transaction, has started inserting fact values."""
    return bool(
        query(
            "SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.pid = %s AND c.relname = 'profiles_factvalue' AND l.mode = 'RowExclusiveLock' "
            "AND a.xact_start IS NOT NULL",
            [pid],
        )
    )


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.005)


def stored_health_facts() -> int:
    return FactValue.objects.filter(department="health").count()


def assert_stored_once(rows: list[dict]) -> None:
    """Every accepted row is one current fact value, and nothing is there twice."""
    batch = FeedBatch.objects.get(department="health", batch_id=BATCH_ID)
    assert (batch.rows_total, batch.rows_accepted, batch.rows_rejected) == (len(rows), len(rows), 0)
    assert stored_health_facts() == len(rows)
    assert not FactValue.objects.filter(superseded_at__isnull=False).exists()
    twice = FactValue.objects.values("citizen_id", "key").annotate(n=Count("id")).filter(n__gt=1)
    assert not twice.exists()


def assert_one_case_per_person_service_and_period() -> None:
    twice = Case.objects.values("citizen_id", "service_id", "period").annotate(n=Count("id")).filter(n__gt=1)
    assert not twice.exists()
    assert Case.objects.filter(service__code="gx-childcare-subsidy").count() == PROACTIVE


def test_a_batch_killed_while_it_writes_leaves_nothing_and_delivering_it_again_stores_it_once(
    population, health_feed, tmp_path: Path
):
    # given a 40,000-row batch on its way in, in a process of its own
    rows = birth_rows(population)
    payload = tmp_path / "batch.json"
    payload.write_text(json.dumps(rows), encoding="utf-8")
    environment = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "services_portal.settings"}
    environment.pop("REDIS_URL", None)
    delivery = subprocess.Popen(
        [sys.executable, "-c", DELIVER, str(payload), str(health_feed.pk), BATCH_ID],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pid = int(delivery.stdout.readline())

        # when it is killed shortly after it starts writing fact values
        wait_for(lambda: writing_facts(pid) or delivery.poll() is not None, 120, "the delivery to write facts")
        assert delivery.poll() is None, delivery.stderr.read()
        time.sleep(0.05)
        was_writing = writing_facts(pid)
        delivery.send_signal(signal.SIGKILL)
        delivery.wait(timeout=30)
    finally:
        if delivery.poll() is None:
            delivery.kill()
        delivery.stdout.close()
        delivery.stderr.close()
    assert delivery.returncode == -signal.SIGKILL
    assert was_writing, "the delivery had finished its transaction before it was killed"
    # PostgreSQL rolls the dead client's transaction back once it notices the client is gone
    wait_for(lambda: not query("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]), 60, "the backend to end")

    # then nothing of the batch is stored: no batch, no fact, no rejection, no household, no case
    batch = FeedBatch.objects.filter(department="health", batch_id=BATCH_ID).first()
    if batch is None:
        assert stored_health_facts() == 0
        assert not FeedRowRejection.objects.exists() and not Household.objects.exists()
        assert not Case.objects.exists()
    else:  # the whole batch committed before the kill landed: then all of it, exactly once
        assert_stored_once(rows)
    assert Citizen.objects.count() == PEOPLE

    # when the department delivers the same batch again (detection runs as it commits)
    again = feed_batch_ingest(account=health_feed, batch_id=BATCH_ID, rows=rows)

    # then each fact is stored once, and each proactive person has one case
    assert again.rows_accepted == len(rows)
    assert_stored_once(rows)
    assert_one_case_per_person_service_and_period()

    # and a third delivery changes nothing and opens nothing
    third = feed_batch_ingest(account=health_feed, batch_id=BATCH_ID, rows=rows)
    assert third.pk == again.pk and FeedBatch.objects.count() == 1
    assert_stored_once(rows)
    assert_one_case_per_person_service_and_period()


def test_a_failure_right_after_the_first_bulk_write_leaves_nothing(population, health_feed):
    # given a database connection that fails right after the first bulk write of fact values went
    # through: at the first statement (the ORM's or raw SQL) to reach the database once the batch's
    # fact values are in its transaction, however they were written (COPY passes no execute_wrapper)
    rows = birth_rows(population[:6000])
    written = []

    def failing_after_the_first_fact_write(execute, sql, params, many, context):
        with context["connection"].connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM profiles_factvalue WHERE department = 'health'")
            (count,) = cursor.fetchone()
        if count:
            written.append(count)
            raise ConnectionError("the database went away")
        return execute(sql, params, many, context)

    # when the batch is delivered
    with pytest.raises(ConnectionError), connection.execute_wrapper(failing_after_the_first_fact_write):
        feed_batch_ingest(account=health_feed, batch_id=BATCH_ID, rows=rows)

    # then the rows that write stored are gone with the rest: the batch is one transaction
    assert len(written) == 1 and written[0] > 0
    assert not FeedBatch.objects.exists() and stored_health_facts() == 0
    assert not FeedRowRejection.objects.exists() and not Case.objects.exists()

    # and delivering it again once the database is back stores it once
    feed_batch_ingest(account=health_feed, batch_id=BATCH_ID, rows=rows)
    assert_stored_once(rows)
    assert Case.objects.filter(service__code="gx-childcare-subsidy").count() == PROACTIVE
