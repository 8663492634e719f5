"""What the benchmarks share: their arguments, and the scratch database and broker they may empty.

`make bench` runs every `bench_*.py` here with the same BENCH_ARGS, small by default; a benchmark that needs
PostgreSQL or Redis says so and skips when BENCH_DATABASE_URL or BENCH_REDIS_URL does not name a scratch one.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

NO_DATABASE = (
    "BENCH_DATABASE_URL is not set: on a throwaway SQLite file (for PostgreSQL's figures, name a scratch database, "
    "e.g. BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench)"
)


def arguments_parse(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The benchmark's own options. Every benchmark is given the same BENCH_ARGS, so options that only
    another one has are left aside, and said so, rather than refused."""
    arguments, others = parser.parse_known_args()
    if others:
        print(f"(left aside, not options of {parser.prog}: {' '.join(others)})")
    return arguments


def skip(reason: str) -> None:
    print(f"skipped: {reason}")
    sys.exit(0)


def database_url(*, postgres_only: bool = False) -> str:
    """BENCH_DATABASE_URL, the PostgreSQL database created if missing; without it, a throwaway SQLite file, or
    a skip for a benchmark that measures PostgreSQL itself. Benchmarks empty it: never name a real one."""
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url.startswith("postgres"):
        if postgres_only:
            skip("needs PostgreSQL: set BENCH_DATABASE_URL=postgres://... to a scratch database")
        if url:
            return url
        print(NO_DATABASE)
        folder = tempfile.mkdtemp(prefix="portal-bench-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        return f"sqlite:///{folder}/bench.sqlite3"
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    # The append-only tables refuse TRUNCATE, which `flush` uses, unless the session says it means it (profiles'
    # migration 0008), as the test suite's does.
    return url + "?options=-c%20portal.allow_truncate%3Don"


def redis_url() -> str:
    """BENCH_REDIS_URL, which the benchmark flushes; a skip without it."""
    url = os.environ.get("BENCH_REDIS_URL", "")
    if not url:
        skip("needs Redis: set BENCH_REDIS_URL=redis://127.0.0.1:6379/<a scratch index>")
    return url


def workers_start(count: int, *, env: dict[str, str], log: IO[str] | None = None) -> list[subprocess.Popen]:
    """`count` Celery workers (one process each, solo pool) on the portal, with `env`; output to `log`
    (by default the benchmark's own). Waits a moment for them to connect before the work arrives."""
    command = [sys.executable, "-m", "celery", "-A", "services_portal", "worker", "--pool=solo", "--loglevel=WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    root = Path(__file__).resolve().parents[2]
    processes = [
        subprocess.Popen(  # noqa: S603 - our own worker command
            [*command, "-n", f"bench{number}@%h"], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        for number in range(1, count + 1)
    ]
    time.sleep(4)
    return processes


def workers_stop(processes: list[subprocess.Popen]) -> list[float]:
    """Stop the workers; returns each one's peak resident memory in MiB."""
    peaks = []
    for process in processes:
        status = Path(f"/proc/{process.pid}/status").read_text()
        peaks.append(int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]) / 1024)
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=120)
    return peaks
