"""Benchmark: the whole catalog evaluated for generated people, and the screener's latency.

Prints figures; asserts nothing. `make bench` runs it small; at province scale:
`python tests/bench/bench_eligibility.py --people 100000 --screener-requests 500`.
It uses its own SQLite file, never the portal's database.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.common import arguments_parse  # noqa: E402 - needs ROOT on the path


def setup_django(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.pop("REDIS_URL", None)
    # Measure the screener, not the throttle.
    os.environ["THROTTLE_ANON"] = os.environ["THROTTLE_USER"] = "1000000/minute"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services_portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("catalog_import", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def person(rng: random.Random, counties: list[str], today: datetime.date) -> dict:
    """Raw facts of a made-up person; about a fifth of the facts are left unknown."""
    age = rng.randint(0, 95)
    region = rng.choice(counties)
    raw = {
        "birth_date": today - datetime.timedelta(days=age * 365 + rng.randint(0, 364)),
        "sex": rng.choice(["female", "male"]),
        "region_code": region,
        "hukou_region_code": region if rng.random() < 0.85 else rng.choice(counties),
        "hukou_type": rng.choice(["urban", "rural"]),
        "household_size": rng.randint(1, 6),
        "household_income_monthly_per_capita": round(rng.lognormvariate(7.6, 0.7), 2),
        "employment_status": rng.choice(["employed", "self_employed", "unemployed", "student", "retired"]),
        "unemployment_insured": rng.random() < 0.4,
        "pension_insured": rng.random() < 0.7,
        "disability_level": rng.choice([0] * 18 + [1, 2, 3, 4]),
        "medical_out_of_pocket_annual": round(rng.expovariate(1 / 4000), 2),
        "is_veteran": rng.random() < 0.03,
        "owns_home": rng.random() < 0.7,
        "is_pregnant": rng.random() < 0.02,
    }
    if 20 <= age <= 45 and rng.random() < 0.4:
        raw["children_birth_dates"] = [today - datetime.timedelta(days=rng.randint(0, 365 * 10))]
    if 20 <= age <= 30 and rng.random() < 0.5:
        raw["graduation_date"] = today - datetime.timedelta(days=rng.randint(0, 365 * 4))
    if 50 <= age <= 65:
        raw["retirement_date"] = today + datetime.timedelta(days=rng.randint(-3650, 3650))
    return {key: value for key, value in raw.items() if rng.random() > 0.2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--screener-requests", type=int, default=200)
    args = arguments_parse(parser)

    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder) / "bench.sqlite3")
        from django.test import Client

        from profiles.facts import facts_clean
        from services_portal.catalog.rules import catalog_rules
        from services_portal.core.startup import web_process_ready
        from services_portal.eligibility.engine import eligibility_evaluate
        from services_portal.reference import regions

        today = datetime.date(2026, 11, 1)
        rng = random.Random(20261101)
        counties = [region.code for region in regions.all_regions() if region.level == "county"]
        people = [facts_clean(person(rng, counties, today), today=today) for _ in range(args.people)]
        services = catalog_rules()
        criteria = sum(len(service.criteria) for service in services)

        started = time.process_time()
        outcomes = 0
        for facts in people:
            outcomes += len(eligibility_evaluate(facts=facts, on=today, services=services))
        cpu = time.process_time() - started

        print(f"catalog: {len(services)} services, {criteria} criteria; people: {len(people):,}")
        print(f"person-service evaluations: {outcomes:,} in {cpu:.1f} s CPU (one core)")
        print(f"person-service evaluations per second: {outcomes / cpu:,.0f}")
        print(f"people per second (whole catalog each): {len(people) / cpu:,.0f}")

        del people  # the screener is measured as a web process runs: without 100k people in memory,
        web_process_ready()  # and after its start-up work
        client = Client()
        answers = {
            "age": 72,
            "region_code": "450103",
            "hukou_region_code": "450103",
            "hukou_type": "urban",
            "household_income_monthly_per_capita": 700,
            "disability_level": 2,
            "pension_insured": True,
        }
        client.post("/api/v1/screener/", {"facts": answers}, content_type="application/json")
        latencies = []
        for _ in range(args.screener_requests):
            begun = time.perf_counter()
            response = client.post("/api/v1/screener/", {"facts": answers}, content_type="application/json")
            latencies.append((time.perf_counter() - begun) * 1000)
            assert response.status_code == 200
        quantiles = statistics.quantiles(latencies, n=100)
        print(
            f"screener API, full catalog, {args.screener_requests} requests: "
            f"p50 {quantiles[49]:.1f} ms, p95 {quantiles[94]:.1f} ms"
        )
        print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
