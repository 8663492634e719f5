"""Benchmark: how many PostgreSQL connections one daphne process holds under a burst of concurrent requests.

Starts daphne on the portal three times, once for each way of keeping connections, and fires `--clients`
concurrent requests at `/healthz` and a page of the catalog API for `--seconds`; prints requests/s (all, and
those answered 200), p50/p95 of those answered 200, errors and the peak number of the process's connections
in pg_stat_activity, side by side:

* kept 60 s, no pool: the production default before (CONN_MAX_AGE=60 under daphne);
* none kept, no pool: CONN_MAX_AGE=0 with DATABASE_POOL_MAX_SIZE=0;
* none kept, pool: the portal's ASGI settings now (DATABASE_POOL_MAX_SIZE, default 10).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench python tests/bench/bench_asgi_connections.py

Needs PostgreSQL (skips without BENCH_DATABASE_URL); the database named there is emptied. Daphne connects
as a role of its own that may hold at most `--connection-limit` connections, so that the old setting runs
into that limit ("too many connections for role") rather than the server's, which others may share. The
requests go to 127.0.0.1 only and stop after `--seconds`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.common import arguments_parse, database_url  # noqa: E402 - needs ROOT on the path

PATHS = ["/healthz", "/api/v1/services/"]
SETTINGS = [
    ("kept 60 s, no pool", {"DJANGO_SETTINGS_MODULE": "tests.bench.settings_kept_connections"}),
    ("none kept, no pool", {"CONN_MAX_AGE": "0", "DATABASE_POOL_MAX_SIZE": "0"}),
    ("none kept, pool", {}),
]


@dataclass
class Run:
    name: str
    seconds: float = 0.0
    timings: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    peak_connections: int = 0


def setup(url: str) -> None:
    """The schema and the published catalog, as the owner (BENCH_DATABASE_URL's role)."""
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services_portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    call_command("catalog_import", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def web_role(url: str, limit: int) -> tuple[str, str]:
    """A login role for daphne that reads and writes every table and holds at most `limit` connections;
    returns its name and its DATABASE_URL."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    database = parts.path.lstrip("/")
    role = f"{database}_web"
    with psycopg.connect(url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
        verb = "ALTER" if exists else "CREATE"
        connection.execute(
            sql.SQL(verb + " ROLE {} LOGIN PASSWORD 'bench' CONNECTION LIMIT {}").format(
                sql.Identifier(role), sql.Literal(limit)
            )
        )
        connection.execute(sql.SQL("GRANT pg_read_all_data, pg_write_all_data TO {}").format(sql.Identifier(role)))
    server = parts.netloc.rsplit("@", 1)[-1]
    return role, urlunsplit((parts.scheme, f"{role}:bench@{server}", parts.path, parts.query, ""))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def daphne_start(database: str, overrides: dict[str, str], port: int, log) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL", "PORTAL_ENV"}}
    env = {
        **clean,
        "DATABASE_URL": database,
        "DJANGO_SETTINGS_MODULE": "services_portal.settings",
        # the load comes from one address, which both throttles count for an anonymous caller
        "THROTTLE_ANON": "1000000/minute",
        "THROTTLE_USER": "1000000/minute",
        "LOG_LEVEL": "ERROR",
        **overrides,
    }
    server = subprocess.Popen(  # noqa: S603 - our own server command
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "services_portal.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,  # a file, not a pipe: a full pipe would stop the server when its errors fill it
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise SystemExit(f"daphne stopped: {log.read().decode(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("daphne did not answer /healthz within 60 s")


def daphne_stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def connections_watch(owner_url: str, role: str, stop: threading.Event, run: Run) -> None:
    """Samples the web role's connections every 50 ms until `stop`."""
    import psycopg

    with psycopg.connect(owner_url, autocommit=True) as connection:
        while not stop.is_set():
            (count,) = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", [role]
            ).fetchone() or (0,)
            run.peak_connections = max(run.peak_connections, count)
            time.sleep(0.05)


def connections_settled(owner_url: str, role: str) -> None:
    """Waits (up to 10 s) until no connection of the web role is left from the run before."""
    import psycopg

    with psycopg.connect(owner_url, autocommit=True) as connection:
        for _ in range(100):
            row = connection.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s", [role]).fetchone()
            if not row or not row[0]:
                return
            time.sleep(0.1)


async def request(port: int, path: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()
        return int(status_line.split()[1])
    finally:
        writer.close()


async def load(port: int, clients: int, seconds: float, run: Run) -> None:
    deadline = time.monotonic() + seconds

    async def client(number: int) -> None:
        sent = number
        while time.monotonic() < deadline:
            path = PATHS[sent % len(PATHS)]
            sent += 1
            started = time.perf_counter()
            try:
                status = await asyncio.wait_for(request(port, path), timeout=10)
            except (OSError, TimeoutError, ValueError, IndexError) as error:
                outcome = f"{type(error).__name__} {path}"
            else:
                outcome = "" if status == 200 else f"{status} {path}"
            if outcome:
                run.errors[outcome] = run.errors.get(outcome, 0) + 1
            else:
                run.timings.append((time.perf_counter() - started) * 1000)

    started = time.monotonic()
    await asyncio.gather(*(client(number) for number in range(clients)))
    run.seconds = time.monotonic() - started


def measure(name: str, overrides: dict[str, str], web_url: str, owner_url: str, role: str, arguments) -> Run:
    connections_settled(owner_url, role)
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, after the server
    server = daphne_start(web_url, overrides, port, log)
    run = Run(name)
    stop = threading.Event()
    watcher = threading.Thread(target=connections_watch, args=(owner_url, role, stop, run))
    watcher.start()
    try:
        asyncio.run(load(port, arguments.clients, arguments.seconds, run))
    finally:
        stop.set()
        watcher.join()
        daphne_stop(server)
        log.close()
    return run


def report(runs: list[Run], arguments) -> None:
    print(
        f"\n{arguments.clients} concurrent clients for {arguments.seconds:.0f} s on one daphne process, "
        f"{' and '.join(PATHS)} in turn; the web role may hold {arguments.connection_limit} connections"
    )
    width = max(len(run.name) for run in runs) + 2
    print(f"{'':{width}}{'requests/s':>11}{'200s/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'errors':>9}{'peak connections':>18}")
    for run in runs:
        answered = len(run.timings)
        failed = sum(run.errors.values())
        quantiles = statistics.quantiles(run.timings, n=100) if answered > 1 else [float("nan")] * 99
        print(
            f"{run.name:{width}}{(answered + failed) / run.seconds:>11.0f}{answered / run.seconds:>8.0f}"
            f"{quantiles[49]:>9.0f}{quantiles[94]:>9.0f}"
            f"{failed:>9}{run.peak_connections:>18}"
        )
    for run in runs:
        if run.errors:
            kinds = ", ".join(f"{kind} x{count}" for kind, count in sorted(run.errors.items()))
            print(f"errors, {run.name}: {kinds}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench_asgi_connections")
    parser.add_argument("--clients", type=int, default=200, help="concurrent requests (default 200)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each setting is loaded (default 10)")
    parser.add_argument(
        "--connection-limit", type=int, default=50, help="connections daphne's role may hold (default 50)"
    )
    arguments = arguments_parse(parser)
    url = database_url(postgres_only=True)
    setup(url)
    owner_url = url.split("?", 1)[0]
    role, web_url = web_role(owner_url, arguments.connection_limit)
    runs = [measure(name, overrides, web_url, owner_url, role, arguments) for name, overrides in SETTINGS]
    report(runs, arguments)


if __name__ == "__main__":
    main()
