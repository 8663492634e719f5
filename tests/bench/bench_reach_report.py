"""Benchmark: the reach report of a province, and the operator's view served from it.

Stages, each in a process of its own so that its peak memory (max RSS) is its own:

* simulate: the population simulator fills the database (skipped with --reuse);
* ledger: the reach ledger refreshed for everyone (`reach_ledger_refresh`: the population evaluator over the
  whole catalog, in chunks), first from an empty ledger (every row written), then a day later (the nightly
  run: rows kept, only changes written);
* figures: the day's figures taken from the ledger (`reach_figures_take`), for a fortnight of days;
* dashboard: the operator's view through Django's test client, as an administrator (the province), a region
  head (a city) and on a county, and a table's CSV export: --requests each, the median, p95 and slowest.

Prints each stage's time, rate and peak memory; asserts nothing. The figures of issue 15:

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_report \\
        python tests/bench/bench_reach_report.py --people 1000000

Needs PostgreSQL (skips without); the database is emptied unless --reuse is given. Never name a real one.
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.common import arguments_parse, database_url  # noqa: E402 - needs ROOT on the path

STAGES = ("simulate", "ledger", "figures", "dashboard")
SEED = 20261123
DAYS = 14


def environment() -> dict[str, str]:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "services_portal.settings",
        "OPENBLAS_NUM_THREADS": "1",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }
    environment.pop("REDIS_URL", None)  # Celery eager, the in-process cache: nothing but PostgreSQL measured
    return environment


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(stage: str, seconds: float, detail: str) -> None:
    print(f"{stage:<16} {seconds:8.1f} s  peak RSS {peak_mib():6.0f} MiB  {detail}", flush=True)


def today() -> datetime.datetime:
    from django.utils import timezone

    return timezone.now()


def stage_simulate(people: int) -> None:
    from django.core.management import call_command

    from recommender.simulator import population_simulate

    call_command("migrate", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    call_command("catalog_import", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    started = time.perf_counter()
    summary = population_simulate(people=people, seed=SEED)
    seconds = time.perf_counter() - started
    report("simulate", seconds, f"{summary.people:,} people, {summary.rows:,} rows")


def stage_ledger() -> None:
    from django.db import connection

    from services_portal.reach.models import ReachEntry
    from services_portal.reach.services.ledger import reach_ledger_refresh

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE reach_reachentry, reach_reachfigure")
    began = today() - datetime.timedelta(days=DAYS)
    for label, now in (("ledger (first)", began), ("ledger (nightly)", began + datetime.timedelta(days=1))):
        ledger = reach_ledger_refresh(now=now)
        report(
            label,
            ledger.seconds,
            f"{ledger.people:,} people = {ledger.people / ledger.seconds:,.0f} people/s; {ledger.eligible:,} "
            f"eligible entries, {ledger.created:,} created, {ledger.ended:,} ended",
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reach_reachentry")
    print(f"ledger: {ReachEntry.objects.count():,} rows")


def stage_figures() -> None:
    from django.utils import timezone

    from services_portal.reach.services.figures import reach_figures_take

    last = timezone.localdate()
    started = time.perf_counter()
    rows = 0
    seconds: list[float] = []
    for days_ago in range(DAYS - 1, -1, -1):
        day_started = time.perf_counter()
        rows += reach_figures_take(on=last - datetime.timedelta(days=days_ago))
        seconds.append(time.perf_counter() - day_started)
    report(
        "figures",
        time.perf_counter() - started,
        f"{DAYS} days, {rows:,} figure rows; a day's take: median {statistics.median(seconds):.1f} s, "
        f"slowest {max(seconds):.1f} s",
    )


def stage_dashboard(requests: int) -> None:
    from django.test import Client

    from profiles.models import Role, User
    from tests.factories import MODEL_BACKEND

    staff = {
        "province": User.objects.get_or_create(username="bench-admin", defaults={"role": Role.ADMINISTRATOR})[0],
        "city": User.objects.get_or_create(
            username="bench-head", defaults={"role": Role.REGION_HEAD, "region_scope": "450100"}
        )[0],
    }
    pages = [
        ("province", "/oversight/"),
        ("city", "/oversight/"),
        ("city", "/oversight/450103/"),
        ("city", "/oversight/450100/?services=all"),
        ("province", "/oversight/450000/groups.csv"),
    ]
    for who, path in pages:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(staff[who], backend=MODEL_BACKEND)
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(path)
            timings.append(1000 * (time.perf_counter() - started))
            assert response.status_code == 200, f"{path}: {response.status_code}"
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(0.95 * len(timings)))]
        print(
            f"dashboard {who:<8} {path:<36} median {statistics.median(timings):7.1f} ms  p95 {p95:7.1f} ms  "
            f"slowest {timings[-1]:7.1f} ms",
            flush=True,
        )
    print(f"dashboard: peak RSS {peak_mib():.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=3_000)
    parser.add_argument("--requests", type=int, default=40, help="requests per page of the operator's view")
    parser.add_argument("--reuse", action="store_true", help="keep the population already in the database")
    parser.add_argument("--stages", default=",".join(STAGES), help="which of " + ", ".join(STAGES) + " to run")
    parser.add_argument("--stage", help=argparse.SUPPRESS)  # one stage, in the child process
    arguments = arguments_parse(parser)
    os.environ["DATABASE_URL"] = database_url(postgres_only=True)
    if arguments.stage:
        os.environ.update(environment())
        import django

        django.setup()
        if arguments.stage == "simulate":
            stage_simulate(arguments.people)
        elif arguments.stage == "dashboard":
            stage_dashboard(arguments.requests)
        else:
            globals()[f"stage_{arguments.stage}"]()
        return
    stages = [stage for stage in arguments.stages.split(",") if not (arguments.reuse and stage == "simulate")]
    for stage in stages:
        command = [sys.executable, __file__, "--stage", stage, "--people", str(arguments.people)]
        subprocess.run([*command, "--requests", str(arguments.requests)], check=True, env=environment())  # noqa: S603


if __name__ == "__main__":
    main()
