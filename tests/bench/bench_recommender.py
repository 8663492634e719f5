"""Benchmark: the recommender, on PostgreSQL.

Simulates a population (or reuses one), trains implicit's ALS and LightFM through the real training
service, batch-scores everyone in chunks as a Celery worker would, and calls the "for you" API as
signed-in citizens. Prints training times, people scored per second, API latency p50/p95 and peak
memory; asserts nothing. `make bench` runs it small; at province scale:

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_rec \\
        python tests/bench/bench_recommender.py --people 100000

The database named there is created if missing and, unless --reuse is given, emptied first: never
point it at a real one. Without BENCH_DATABASE_URL it runs on a throwaway SQLite file.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.common import arguments_parse, database_url  # noqa: E402 - needs ROOT on the path


def setup(url: str, *, reuse: bool) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)  # tasks run eagerly in this process: one worker's view
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services_portal.settings")
    os.environ.setdefault("MEDIA_ROOT", str(ROOT / "var" / "bench-media"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not reuse:
        call_command("flush", "--noinput", verbosity=0)
        call_command("catalog_import", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def simulate(people: int) -> None:
    from recommender.simulator import population_simulate

    started = time.perf_counter()
    summary = population_simulate(people=people, seed=20261123)
    print(f"simulated {people:,} people in {time.perf_counter() - started:.1f} s: {summary}")


def train() -> None:
    from recommender.services.training import model_train

    started = time.perf_counter()
    outcome = model_train()
    model = outcome.model
    print(
        f"training: {model.people_count:,} people, {model.interaction_count:,} positive interactions; "
        f"ALS fit {model.metrics['als_seconds']:.1f} s, LightFM fit {model.metrics['lightfm_seconds']:.1f} s, "
        f"whole training with evaluation {time.perf_counter() - started:.1f} s; peak RSS {peak_mib():.0f} MiB"
    )
    for method in outcome.evaluation.methods:
        import numpy as np

        ndcg = method.per_user["ndcg"]
        cold = ndcg[outcome.evaluation.cold_start]
        print(
            f"  {method.name:<30} NDCG@10 {np.nanmean(ndcg):.4f}  cold start {np.nanmean(cold):.4f}  "
            f"coverage {method.coverage:.3f}"
        )


def score(model_id: int, chunk: int) -> None:
    from profiles.purposes import Purpose
    from profiles.selectors import citizen_ids_with_consent
    from recommender.services.scoring import scores_store

    ids = citizen_ids_with_consent(Purpose.PERSONALISATION)
    started = time.perf_counter()
    stored = sum(scores_store(model_id=model_id, citizen_ids=ids[s : s + chunk]) for s in range(0, len(ids), chunk))
    seconds = time.perf_counter() - started
    print(
        f"batch scoring: {stored:,} people in {seconds:.1f} s = {stored / seconds:,.0f} people/s "
        f"(chunks of {chunk}, one process); peak RSS {peak_mib():.0f} MiB"
    )


def api_latency(requests: int) -> None:
    from django.test import Client

    from profiles.models import Citizen, User
    from profiles.purposes import Purpose
    from profiles.selectors import citizen_ids_with_consent

    rng = random.Random(7)
    ids = rng.sample(citizen_ids_with_consent(Purpose.PERSONALISATION), requests)
    client = Client()
    timings = []
    for citizen_id in ids:
        citizen = Citizen.objects.get(pk=citizen_id)
        if citizen.user_id is None:
            citizen.user = User.objects.create(username=f"bench-{citizen_id}")
            citizen.save(update_fields=["user"])
        client.force_login(citizen.user)
        started = time.perf_counter()
        response = client.get("/api/v1/me/recommendations/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content
    timings.sort()
    print(
        f'"for you" API, {requests} signed-in people: p50 {statistics.median(timings):.1f} ms, '
        f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms, max {timings[-1]:.1f} ms; peak RSS {peak_mib():.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument(
        "--reuse", action="store_true", help="Keep the population (and the model) already in the database."
    )
    parser.add_argument("--steps", default="train,score,api", help="Which of train, score, api to run.")
    arguments = arguments_parse(parser)
    if arguments.reuse and not os.environ.get("BENCH_DATABASE_URL"):
        parser.error("--reuse needs the database of an earlier run: BENCH_DATABASE_URL")
    steps = set(arguments.steps.split(","))
    setup(database_url(), reuse=arguments.reuse)
    if not arguments.reuse:
        simulate(arguments.people)
    if "train" in steps:
        train()
    if "score" in steps:
        from recommender.models import ModelStatus, RecommenderModel

        score(RecommenderModel.objects.get(status=ModelStatus.ACTIVE).pk, arguments.chunk)
    if "api" in steps:
        api_latency(arguments.requests)


if __name__ == "__main__":
    main()
