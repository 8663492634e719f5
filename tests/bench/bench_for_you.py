"""Benchmark: the "for you" API served by one daphne process, beside the same server's `/healthz`.

Simulates a population on PostgreSQL, trains a model and batch-scores everyone (as the nightly run
would), gives `--tokens` citizens an app token each, then starts daphne on the portal and, for each
number of concurrent clients in `--clients`, loads `/healthz` and then `GET /api/v1/me/recommendations/`
(signed in with a token, as the app does, each request as a citizen picked in turn) for `--seconds`,
the two paths taking turns (`--turns`) so that both see the same load from anything else on the machine.
Prints per path requests/s, p50 and p95, and the "for you" p95 over `/healthz` p95 as a ratio:

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench python tests/bench/bench_for_you.py

With `--reuse` the population, model and scores of an earlier run are kept (only tokens are added).
Needs PostgreSQL (skips without BENCH_DATABASE_URL); the database named there is emptied unless --reuse.
The requests go to 127.0.0.1 only. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_asgi_connections import daphne_start, daphne_stop, free_port  # noqa: E402
from tests.bench.common import arguments_parse, database_url  # noqa: E402 - needs ROOT on the path

HEALTH = "/healthz"
FOR_YOU = "/api/v1/me/recommendations/"


@dataclass
class Run:
    path: str
    clients: int
    seconds: float = 0.0
    timings: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return len(self.timings) / self.seconds if self.seconds else 0.0

    def quantile(self, percent: int) -> float:
        if len(self.timings) < 2:
            return float("nan")
        return statistics.quantiles(self.timings, n=100)[percent - 1]


def setup(url: str, *, reuse: bool, people: int) -> None:
    """Schema, catalog, population, an active model and its stored scores, in this process."""
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)  # tasks run eagerly here
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services_portal.settings")
    os.environ.setdefault("MEDIA_ROOT", str(ROOT / "var" / "bench-media"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if reuse:
        return
    call_command("flush", "--noinput", verbosity=0)
    call_command("catalog_import", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    from profiles.purposes import Purpose
    from profiles.selectors import citizen_ids_with_consent
    from recommender.services.scoring import scores_store
    from recommender.services.training import model_train
    from recommender.simulator import population_simulate

    started = time.perf_counter()
    population_simulate(people=people, seed=20261203)
    model = model_train().model
    ids = citizen_ids_with_consent(Purpose.PERSONALISATION)
    for start in range(0, len(ids), 2000):
        scores_store(model_id=model.pk, citizen_ids=ids[start : start + 2000])
    print(f"set up {people:,} people, model v{model.version}, scores stored in {time.perf_counter() - started:.0f} s")


def tokens_issue(count: int) -> list[str]:
    """App tokens for `count` citizens picked at random (with or without consent to personalisation)."""
    from profiles.models import Citizen, User
    from profiles.services.tokens import token_issue

    ids = list(Citizen.objects.filter(erased_at__isnull=True).order_by("pk").values_list("pk", flat=True))
    plain = []
    for citizen_id in random.Random(13).sample(ids, min(count, len(ids))):
        citizen = Citizen.objects.get(pk=citizen_id)
        if citizen.user_id is None:
            citizen.user = User.objects.create(username=f"bench-for-you-{citizen_id}")
            citizen.save(update_fields=["user"])
        plain.append(token_issue(user=citizen.user, device_name="bench")[1])
    return plain


async def request(port: int, path: str, token: str | None) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        authorization = f"Authorization: Token {token}\r\n" if token else ""
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: zh-hans\r\n{authorization}"
            "Connection: close\r\n\r\n".encode()
        )
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()
        return int(status_line.split()[1])
    finally:
        writer.close()


async def load(port: int, run: Run, tokens: list[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    turn = iter(range(10**9))

    async def client() -> None:
        while time.monotonic() < deadline:
            token = tokens[next(turn) % len(tokens)] if run.path == FOR_YOU else None
            started = time.perf_counter()
            try:
                status = await asyncio.wait_for(request(port, run.path, token), timeout=30)
            except (OSError, TimeoutError, ValueError, IndexError) as error:
                outcome = type(error).__name__
            else:
                outcome = "" if status == 200 else str(status)
            if outcome:
                run.errors[outcome] = run.errors.get(outcome, 0) + 1
            else:
                run.timings.append((time.perf_counter() - started) * 1000)

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(run.clients)))
    run.seconds += time.monotonic() - started


def report(runs: list[Run], arguments: argparse.Namespace) -> None:
    print(
        f"\none daphne process, {arguments.seconds:.0f} s per path and number of clients, {arguments.tokens} citizens"
    )
    print(
        f"{'path':<30}{'clients':>8}{'requests/s':>11}{'/ healthz':>10}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}"
        f"{'p95 / healthz':>15}"
    )
    health = {run.clients: run for run in runs if run.path == HEALTH}
    for run in runs:
        anchor = health[run.clients]
        print(
            f"{run.path:<30}{run.clients:>8}{run.per_second:>11.1f}{run.per_second / anchor.per_second:>9.2f}x"
            f"{run.quantile(50):>9.1f}{run.quantile(95):>9.1f}{sum(run.errors.values()):>8}"
            f"{run.quantile(95) / anchor.quantile(95):>14.2f}x"
        )
    for run in runs:
        if run.errors:
            print(f"errors, {run.path} x{run.clients}: {run.errors}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench_for_you")
    parser.add_argument("--people", type=int, default=3000, help="simulated people (default 3000)")
    parser.add_argument("--tokens", type=int, default=300, help="signed-in citizens the clients take turns as")
    parser.add_argument("--clients", default="1,8", help="numbers of concurrent clients (default 1,8)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each path is loaded (default 10)")
    parser.add_argument("--turns", type=int, default=5, help="turns the time is split into, paths alternating")
    parser.add_argument("--reuse", action="store_true", help="keep the population and model of an earlier run")
    arguments = arguments_parse(parser)
    url = database_url(postgres_only=True)
    setup(url, reuse=arguments.reuse, people=arguments.people)
    tokens = tokens_issue(arguments.tokens)
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, after the server
    server = daphne_start(url, {"MEDIA_ROOT": os.environ["MEDIA_ROOT"]}, port, log)
    runs = []
    try:
        for path in (HEALTH, FOR_YOU):
            asyncio.run(load(port, Run(path, 1), tokens[:1], 1.0))  # warm up: imports, caches, the model
        for clients in [int(c) for c in arguments.clients.split(",")]:
            pair = [Run(HEALTH, clients), Run(FOR_YOU, clients)]
            # In turns of a second or two, so that both paths see the same load from whatever else runs here.
            for _turn in range(arguments.turns):
                for run in pair:
                    asyncio.run(load(port, run, tokens, arguments.seconds / arguments.turns))
            runs += pair
    finally:
        daphne_stop(server)
        log.seek(0)
        errors = log.read().decode(errors="replace").strip()
        log.close()
    report(runs, arguments)
    if errors:
        print(f"\ndaphne's log (last lines):\n{errors[-1500:]}")


if __name__ == "__main__":
    main()
