"""Benchmark: the whole catalog evaluated for simulated people, and the screener's latency.

Prints, in one run, person-service evaluations per second of (a) the population evaluator, building its
columns from the fact dicts included, (b) the anchor: a plain two-valued numpy evaluation of the same
criteria on the same columns (written here; it ignores what unknown facts could be), (c) the per-person
engine on a sample, and their ratios. Asserts nothing. `make bench` runs it at 50,000 people; larger:
`python tests/bench/bench_eligibility.py --people 500000 --screener-requests 500`.
It uses its own SQLite file, never the portal's database.
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.common import arguments_parse, database_url  # noqa: E402 - needs ROOT on the path

# One core: numpy's element-wise work is single-threaded; keep BLAS (and Polars, were it loaded) to one thread.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("POLARS_MAX_THREADS", "1")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    # Measure the screener, not the throttle.
    os.environ["THROTTLE_ANON"] = os.environ["THROTTLE_USER"] = "1000000/minute"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services_portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    call_command("catalog_import", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def people_simulate(count: int, today: datetime.date, *, unknown_share: float) -> list[dict]:
    """Realistic people from the population simulator, each fact left unknown with `unknown_share`."""
    import numpy as np

    from recommender.simulator.population import cohort_draw

    rng = np.random.default_rng(20261101)
    people = list(cohort_draw(rng, count, today=today).facts())
    dropped = rng.random((count, 32)) < unknown_share
    return [
        {key: value for k, (key, value) in enumerate(facts.items()) if not dropped[i, k]}
        for i, facts in enumerate(people)
    ]


def anchor_compile(node, leaves):
    """The plain vectorised evaluation the population evaluator is measured against: the same criteria on
    the same columns, two-valued (an unknown fact makes a comparison false), no stand-ins, no assignments."""
    import numpy as np
    from rule_engine import ast

    from services_portal.eligibility.derived import DERIVED_FACTS

    if isinstance(node, ast.BooleanExpression):
        return lambda rows: np.full(rows.size, bool(node.value))
    if isinstance(node, ast.LogicExpression):
        left, right = anchor_compile(node.left, leaves), anchor_compile(node.right, leaves)
        if node.type == "and":
            return lambda rows: left(rows) & right(rows)
        return lambda rows: left(rows) | right(rows)
    if isinstance(node, ast.UnaryExpression) and node.type == "not":
        inner = anchor_compile(node.right, leaves)
        return lambda rows: ~inner(rows)

    def number(operand):
        if isinstance(operand, ast.FloatExpression):
            value = float(operand.value)
            return lambda rows: value
        name = operand.name
        if name in DERIVED_FACTS:
            return lambda rows: np.where(rows.derived(name).present, rows.derived(name).values, np.nan)
        return lambda rows: rows.number(name).values

    symbols = [
        n
        for n in (getattr(node, "left", None), getattr(node, "right", None), node)
        if isinstance(n, ast.SymbolExpression)
    ]
    name = symbols[0].name if symbols else getattr(getattr(node, "member", None), "name", None)
    if (
        name in DERIVED_FACTS
        and DERIVED_FACTS[name].rule_type.name == "BOOLEAN"
        or name
        and name not in DERIVED_FACTS
        and leaves(name)
    ):
        # a yes/no or text fact: evaluated once per category by rule-engine, looked up by code (False if unknown)
        def table(rows, name=name):
            if name in DERIVED_FACTS:
                column = rows.derived(name)
                codes, categories = np.where(column.present, column.values, -1).astype(np.int32), (False, True)
            else:
                column = rows.code(name)
                codes, categories = column.codes, column.categories
            lookup = np.array([bool(node.evaluate({name: c})) for c in categories] + [False])
            return lookup[codes]

        return table
    if isinstance(node, ast.ContainsExpression):
        member, values = number(node.member), np.array([float(item.value) for item in node.container.value])
        return lambda rows: np.isin(member(rows), values)
    left, right = number(node.left), number(node.right)
    operation = {
        "lt": np.less,
        "le": np.less_equal,
        "gt": np.greater,
        "ge": np.greater_equal,
        "eq": np.equal,
        "ne": np.not_equal,
    }[node.type]
    return lambda rows: operation(left(rows), right(rows))


def facts_loaded(people: list[dict]) -> None:
    """(d) The same people's facts stored, then read back for the population evaluator in bulk
    (population_load: on PostgreSQL one COPY) beside facts_for, which the per-person paths use."""
    from django.db import connection
    from django.utils import timezone

    from profiles.facts import FACTS
    from profiles.facts.codec import fact_encode
    from profiles.models import Citizen, FactSource, FactValue
    from services_portal.eligibility.facts import facts_for
    from services_portal.eligibility.population import population_load

    citizens = Citizen.objects.bulk_create([Citizen(name=f"person {i}") for i in range(len(people))], batch_size=5000)
    now = timezone.now()
    FactValue.objects.bulk_create(
        (
            FactValue(
                citizen=citizen, key=key, value=fact_encode(value), source=FactSource.SELF_DECLARED, observed_at=now
            )
            for citizen, facts in zip(citizens, people, strict=True)
            for key, value in facts.items()
            if key in FACTS
        ),
        batch_size=10_000,
    )
    ids = [citizen.pk for citizen in citizens]
    population_load(ids[:100])
    started = time.perf_counter()
    population_load(ids)
    bulk = time.perf_counter() - started
    started = time.perf_counter()
    facts_for(citizens)
    one_by_one = time.perf_counter() - started
    print(
        f"(d) facts read for {len(ids):,} people on {connection.vendor}: population_load {len(ids) / bulk:,.0f} "
        f"people/s, facts_for {len(ids) / one_by_one:,.0f} people/s ({one_by_one / bulk:.1f}x), wall clock"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--sample", type=int, default=2_000, help="people the per-person engine evaluates")
    parser.add_argument("--unknown-share", type=float, default=0.2)
    parser.add_argument("--screener-requests", type=int, default=200)
    parser.add_argument("--load-people", type=int, default=10_000, help="people stored and read back in bulk")
    args = arguments_parse(parser)

    setup_django(database_url())
    import numpy as np
    from django.test import Client

    from profiles.facts import FACTS
    from services_portal.catalog.rules import catalog_rules
    from services_portal.core.startup import web_process_ready
    from services_portal.eligibility.engine import eligibility_evaluate
    from services_portal.eligibility.population import population_evaluate, population_from_facts
    from services_portal.eligibility.population.columns import Rows

    today = datetime.date(2026, 11, 1)
    people = people_simulate(args.people, today, unknown_share=args.unknown_share)
    services = catalog_rules()
    criteria = sum(len(service.criteria) for service in services)
    distinct = {criterion.compiled.text: criterion.compiled for service in services for criterion in service.criteria}
    evaluations = len(people) * len(services)
    print(
        f"catalog: {len(services)} services, {criteria} criteria ({len(distinct)} distinct); "
        f"people: {len(people):,}, each fact unknown with p={args.unknown_share}; one core (OPENBLAS_NUM_THREADS=1)"
    )

    def coded(key):
        fact = FACTS.get(key)
        return fact is not None and fact.type in ("choice", "boolean", "region", "text")

    anchors = {text: anchor_compile(compiled.rule.statement.expression, coded) for text, compiled in distinct.items()}
    # warm up both (compiled criteria, standards tables) on a few people
    population_evaluate(population_from_facts(people[:100]), on=today, services=services)

    def best_of_three(run):
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            run()
            best = min(best, time.process_time() - started)
        return best

    def anchor_evaluate(population):
        rows = Rows(population, today)  # derived facts worked out afresh, as population_evaluate does
        met = {text: evaluate(rows) for text, evaluate in anchors.items()}
        eligible = np.empty((len(services), population.size), dtype=bool)
        for j, service in enumerate(services):
            eligible[j] = np.logical_and.reduce(
                [met[c.compiled.text] for c in service.criteria] or [np.ones(population.size, dtype=bool)]
            )
        return eligible.T

    # Both start from the same columns, built from the fact dicts once per run: that time is in both figures.
    build = best_of_three(lambda people=people: population_from_facts(people))
    population = population_from_facts(people)
    evaluation = {
        "population": best_of_three(lambda p=population: population_evaluate(p, on=today, services=services)),
        "anchor": best_of_three(lambda p=population: anchor_evaluate(p)),
    }
    total = {name: build + seconds for name, seconds in evaluation.items()}

    sample = people[: args.sample]
    started = time.process_time()
    for facts in sample:
        eligibility_evaluate(facts=facts, on=today, services=services)
    per_person = (time.process_time() - started) / (len(sample) * len(services))

    print(f"building the columns from the fact dicts: {build:.3f} s CPU")
    print(
        f"(a) population_evaluate: {evaluations / total['population']:>12,.0f} person-service evaluations/s, columns "
        f"built included ({evaluation['population']:.3f} s CPU to evaluate)"
    )
    print(
        f"(b) anchor, plain two-valued numpy on the same columns: {evaluations / total['anchor']:>12,.0f} /s, built "
        f"included ({evaluation['anchor']:.3f} s CPU to evaluate)"
    )
    print(f"(c) per-person engine, {len(sample):,} people: {1 / per_person:>12,.0f} /s")
    print(
        f"ratios: population / anchor {total['population'] / total['anchor']:.2f}x with the columns built (goal: "
        f"within 2x), {evaluation['population'] / evaluation['anchor']:.2f}x evaluation alone; population is "
        f"{per_person * evaluations / total['population']:.0f}x faster than the per-person engine"
    )
    print(f"people per second (whole catalog each): {len(people) / total['population']:,.0f}")
    del population, sample
    facts_loaded(people[: args.load_people])

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
