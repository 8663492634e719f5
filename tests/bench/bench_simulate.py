"""Benchmark: the population simulator filling a database.

Prints people per second, rows written and peak memory; asserts nothing. It adds to the database named by
BENCH_DATABASE_URL (migrating it and importing the catalog when it has none), so name a scratch one; without
it, a throwaway SQLite file. `make bench` runs it small; at province scale:

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_sim \\
        python tests/bench/bench_simulate.py --people 100000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.common import arguments_parse, database_url  # noqa: E402 - needs ROOT on the path


def setup() -> None:
    os.environ["DATABASE_URL"] = database_url()
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services_portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if settings.PRODUCTION:
        sys.exit("Refusing to benchmark against a production database.")
    call_command("migrate", verbosity=0)
    from services_portal.catalog.models import ServiceItem

    if not ServiceItem.objects.exists():
        call_command("catalog_import", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=None, help="default: the simulator's own")
    parser.add_argument("--days", type=int, default=180)
    args = arguments_parse(parser)
    setup()

    from django.db import connection

    from recommender.simulator import DEFAULT_SEED, population_simulate

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    started = time.perf_counter()
    summary = population_simulate(
        people=args.people, seed=args.seed if args.seed is not None else DEFAULT_SEED, days=args.days, stdout=sys.stdout
    )
    elapsed = time.perf_counter() - started
    for line in summary.lines():
        print(line)
    print(
        f"{summary.people:,} people in {elapsed:.1f} s = {summary.people / elapsed:,.0f} people/s; "
        f"{summary.rows:,} rows written = {summary.rows / elapsed:,.0f} rows/s "
        f"({summary.interactions_total / max(summary.people, 1):.1f} interactions and "
        f"{summary.facts / max(summary.people, 1):.1f} facts per person)"
    )
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
