"""Benchmark: a province-scale run, stage by stage, on PostgreSQL and real Celery workers.

Stages, each in a process of its own so that its peak memory is its own:

* simulate: the population simulator fills the database (skipped with --reuse);
* evaluate: the whole catalog for everyone, read from the database in chunks by region (the population
  evaluator: `population_load` then `population_evaluate`), in one process;
* train: implicit's ALS and LightFM through the real training service, with its evaluation;
* score: everyone who allows personalisation batch-scored in chunks, in one process;
* detect: the proactive detection sweep (`casework.tasks.detect_sweep`: chunks by region on the broker) run by
  1 and then 2 Celery workers, the cases it opened removed before each run so that each does the same work;
  then once more with the cases kept, as a nightly run finds them (nothing new to open).

Prints each stage's time, rate and peak memory (max RSS), and the workers' scaling; asserts nothing.
`make bench` runs it small; the one-million-person run of issue 13:

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_million BENCH_REDIS_URL=redis://127.0.0.1:6379/5 \\
        python tests/bench/bench_province_run.py --people 1000000

Needs both, and skips without them; the database is created if missing and, unless --reuse is given, emptied;
the Redis database is flushed before each detection run. Never name real ones.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
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

STAGES = ("simulate", "evaluate", "train", "score", "detect")
CHUNK = 5000


def environment() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "services_portal.settings",
        "OPENBLAS_NUM_THREADS": "1",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }


def django_setup() -> None:
    os.environ.update(environment())
    import django

    django.setup()


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(stage: str, seconds: float, detail: str) -> None:
    print(f"{stage:<9} {seconds:8.1f} s  peak RSS {peak_mib():6.0f} MiB  {detail}", flush=True)


def stage_simulate(people: int) -> None:
    from django.core.management import call_command

    from recommender.simulator import population_simulate

    call_command("migrate", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    call_command("catalog_import", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    started = time.perf_counter()
    summary = population_simulate(people=people, seed=20261123)
    seconds = time.perf_counter() - started
    report("simulate", seconds, f"{summary.people:,} people = {summary.people / seconds:,.0f}/s, {summary.rows:,} rows")


def _everyone_by_region() -> list[list[int]]:
    from profiles.models import Citizen
    from services_portal.core.tasks import chunks_by_region

    people = Citizen.objects.filter(erased_at__isnull=True).order_by("region_code", "pk")
    return chunks_by_region(people.values_list("region_code", "pk").iterator(chunk_size=50_000), CHUNK)


def stage_evaluate() -> None:
    from django.utils import timezone

    from services_portal.catalog.rules import catalog_rules
    from services_portal.eligibility.population import ELIGIBLE, MAYBE, population_evaluate, population_load

    rules = catalog_rules()
    on = timezone.localdate()
    started = time.perf_counter()
    people = eligible = maybe = 0
    loading = 0.0
    for chunk in _everyone_by_region():
        loaded = time.perf_counter()
        population = population_load(chunk)
        loading += time.perf_counter() - loaded
        outcomes = population_evaluate(population, on=on, services=rules).outcomes
        people += len(chunk)
        eligible += int((outcomes == ELIGIBLE).sum())
        maybe += int((outcomes == MAYBE).sum())
    seconds = time.perf_counter() - started
    evaluations = people * len(rules)
    report(
        "evaluate",
        seconds,
        f"{people:,} people x {len(rules)} services = {evaluations / seconds:,.0f} person-service evaluations/s "
        f"({loading:.1f} s of it reading facts); {eligible:,} eligible, {maybe:,} maybe",
    )


def stage_train() -> None:
    from recommender.services.training import model_train

    started = time.perf_counter()
    outcome = model_train(activate=True)
    model = outcome.model
    report(
        "train",
        time.perf_counter() - started,
        f"{model.people_count:,} people, {model.interaction_count:,} positive interactions; ALS fit "
        f"{model.metrics['als_seconds']:.1f} s, LightFM fit {model.metrics['lightfm_seconds']:.1f} s; "
        f"served: {outcome.served}",
    )


def stage_score() -> None:
    from django.conf import settings

    from profiles.purposes import Purpose
    from profiles.selectors import citizen_ids_with_consent
    from recommender.features import personalised_ids
    from recommender.models import ModelStatus, RecommenderModel
    from recommender.services.scoring import scores_store

    model = RecommenderModel.objects.get(status=ModelStatus.ACTIVE)
    ids = sorted(personalised_ids(citizen_ids_with_consent(Purpose.PERSONALISATION)))
    chunk = settings.RECOMMENDER_SCORE_CHUNK
    started = time.perf_counter()
    stored = sum(scores_store(model_id=model.pk, citizen_ids=ids[s : s + chunk]) for s in range(0, len(ids), chunk))
    seconds = time.perf_counter() - started
    report("score", seconds, f"{stored:,} people = {stored / seconds:,.0f} people/s (chunks of {chunk})")


def stage_detect(workers: int, *, again: bool = False) -> float:
    """The sweep run by `workers` workers; `again`: with the cases of the run before kept, as a nightly
    run finds them (nothing new to open), else from none."""
    import redis
    from django.db import connection

    from services_portal.casework.models import Case
    from services_portal.casework.tasks import detect_sweep

    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    broker.flushdb()
    if not again:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE casework_case CASCADE")
    before = Case.objects.count()
    processes = workers_start(workers, env=environment())
    try:
        started = time.perf_counter()
        people = detect_sweep()
        time.sleep(1)
        while broker.llen("celery") or broker.hlen("unacked"):
            time.sleep(0.2)
        seconds = time.perf_counter() - started
    finally:
        peaks = workers_stop(processes)
    report(
        f"detect/{workers}{' again' if again else ''}",
        seconds,
        f"{people:,} people with the consent = {people / seconds:,.0f} people/s, {Case.objects.count() - before:,} "
        f"cases opened; worker peak RSS {', '.join(f'{peak:.0f}' for peak in peaks)} MiB",
    )
    return seconds


def stage_run(stage: str, arguments: argparse.Namespace) -> None:
    django_setup()
    if stage == "simulate":
        stage_simulate(arguments.people)
    elif stage == "detect":
        timings = {workers: stage_detect(workers) for workers in (int(n) for n in arguments.workers.split(","))}
        if 1 in timings and 2 in timings:
            print(f"detect: 2 workers {timings[1] / timings[2]:.2f}x as fast as 1 (2 cores, shared with the database)")
        stage_detect(max(timings), again=True)
    else:
        globals()[f"stage_{stage}"]()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=3_000)
    parser.add_argument("--reuse", action="store_true", help="Keep the population already in the database.")
    parser.add_argument("--stages", default=",".join(STAGES), help="Which of " + ", ".join(STAGES) + " to run.")
    parser.add_argument("--workers", default="1,2", help="Worker counts for the detection sweep, in order.")
    parser.add_argument("--stage", help=argparse.SUPPRESS)  # one stage, in the child process
    arguments = arguments_parse(parser)
    os.environ["REDIS_URL"] = redis_url()
    os.environ["DATABASE_URL"] = database_url(postgres_only=True)
    if arguments.stage:
        stage_run(arguments.stage, arguments)
        return
    stages = [stage for stage in arguments.stages.split(",") if not (arguments.reuse and stage == "simulate")]
    for stage in stages:
        command = [sys.executable, __file__, "--stage", stage, "--people", str(arguments.people)]
        subprocess.run([*command, "--workers", arguments.workers], check=True, env=environment())  # noqa: S603


if __name__ == "__main__":
    main()
