"""Benchmark: the recommender, on PostgreSQL.

Simulates a population (or reuses one), trains implicit's ALS and LightFM through the real training
service, batch-scores everyone in chunks as a Celery worker would, and calls the "for you" API as
signed-in citizens. Prints training times, people scored per second beside implicit's own batch
`recommend` on the same people (the anchor) and the ratio, API latency p50/p95, and the peak memory
of training with evaluation in a fresh process with everyone read at once and a chunk at a time
(step `memory`, on BENCH_DATABASE_URL); asserts nothing. `make bench` runs it small; at province scale:

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
import tracemalloc
from pathlib import Path

import numpy as np

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


def rss_mib() -> float:
    """This process's resident memory now (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def train() -> None:
    from django.conf import settings

    from recommender.services.training import model_train

    traced = bool(os.environ.get("BENCH_TRACEMALLOC"))
    if traced:
        tracemalloc.start()
    before = rss_mib()
    started = time.perf_counter()
    outcome = model_train()
    allocated = (
        f"; allocations traced at their peak {tracemalloc.get_traced_memory()[1] / 2**20:.0f} MiB" if traced else ""
    )
    model = outcome.model
    print(
        f"training: {model.people_count:,} people, {model.interaction_count:,} positive interactions; "
        f"ALS fit {model.metrics['als_seconds']:.1f} s, LightFM fit {model.metrics['lightfm_seconds']:.1f} s, "
        f"whole training with evaluation {time.perf_counter() - started:.1f} s; peak RSS {peak_mib():.0f} MiB "
        f"({peak_mib() - before:+.0f} MiB over the {before:.0f} MiB before training; "
        f"people read {settings.RECOMMENDER_SCORE_CHUNK:,} at a time){allocated}"
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
    """Batch scoring as the Celery chunks run it, beside implicit's own batch `recommend` for the same
    people in the same chunks, fed from the same database (each chunk's interactions read in bulk, then
    ALS user factors recalculated and the top N ranked, already-liked items filtered)."""
    from implicit.cpu.als import AlternatingLeastSquares
    from scipy import sparse
    from threadpoolctl import threadpool_limits

    from profiles.purposes import Purpose
    from profiles.selectors import citizen_ids_with_consent
    from recommender.features import catalog_index, interaction_matrices
    from recommender.models import RecommenderModel
    from recommender.services.scoring import STORED_PER_PERSON, scores_store
    from recommender.services.training import artifact_load

    ids = citizen_ids_with_consent(Purpose.PERSONALISATION)
    chunks = [ids[s : s + chunk] for s in range(0, len(ids), chunk)]
    # One BLAS thread for both: a worker process has one core to itself.
    with threadpool_limits(limits=1, user_api="blas"):
        started, cpu_started = time.perf_counter(), time.process_time()
        stored = sum(scores_store(model_id=model_id, citizen_ids=part) for part in chunks)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started

        artifact = artifact_load(RecommenderModel.objects.get(pk=model_id))
        index = catalog_index()
        model = AlternatingLeastSquares(
            factors=artifact.als_item_factors.shape[1],
            regularization=artifact.als_regularization,
            alpha=artifact.als_alpha,
            num_threads=1,
        )
        model.item_factors = artifact.als_item_factors
        started, cpu_started = time.perf_counter(), time.process_time()
        recommend_seconds = 0.0
        for part in chunks:
            positives, *_rest = interaction_matrices(part, index)
            user_items = sparse.csr_matrix(positives)
            recommend_started = time.perf_counter()
            model.recommend(
                np.arange(len(part)),
                user_items,
                N=STORED_PER_PERSON,
                filter_already_liked_items=True,
                recalculate_user=True,
            )
            recommend_seconds += time.perf_counter() - recommend_started
        anchor_seconds, anchor_cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    ours, anchor = stored / seconds, len(ids) / anchor_seconds
    print(
        f"batch scoring: {stored:,} people in {seconds:.2f} s = {ours:,.0f} people/s "
        f"(chunks of {chunk}, one process; {stored / cpu_seconds:,.0f} people per CPU second of this process); "
        f"peak RSS {peak_mib():.0f} MiB"
    )
    print(
        f"implicit recommend (N={STORED_PER_PERSON}, recalculate_user, filter liked) on the same {len(ids):,} people: "
        f"{anchor_seconds:.2f} s = {anchor:,.0f} people/s with each chunk's interactions read from the database "
        f"({len(ids) / anchor_cpu_seconds:,.0f} per CPU second; {len(ids) / max(recommend_seconds, 1e-9):,.0f} "
        "people/s for recommend alone)"
    )
    print(f"  ratio: batch scoring is {anchor / ours:.1f}x slower than implicit's batch recommend")


def training_memory(people: int, chunk: int) -> None:
    """Training with evaluation in a fresh process, people read all at once and then a chunk at a time:
    the peak memory each needs (of a process that has done nothing else)."""
    import subprocess

    for size in (max(people, 1), chunk):
        # tracemalloc counts what Python and NumPy allocate, which RSS hides behind the libraries' own.
        environment = {**os.environ, "RECOMMENDER_SCORE_CHUNK": str(size), "BENCH_TRACEMALLOC": "1"}
        run = subprocess.run(
            [sys.executable, __file__, "--reuse", "--steps", "train"],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        print(
            f"training in a fresh process, {size:,} people a chunk: "
            + next(line for line in run.stdout.splitlines() if line.startswith("training:"))
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
    parser.add_argument("--steps", default="train,score,api,memory", help="Which of train, score, api, memory to run.")
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
    if "memory" in steps:
        if not os.environ.get("BENCH_DATABASE_URL"):
            print("training memory: skipped, it reruns training in fresh processes on BENCH_DATABASE_URL")
        else:
            from profiles.models import Citizen

            training_memory(Citizen.objects.count(), arguments.chunk)
    if "api" in steps:
        api_latency(arguments.requests)


if __name__ == "__main__":
    main()
