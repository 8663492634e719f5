"""Benchmark: applications submitted through the API with an upload each, on PostgreSQL.

Gives `--people` citizens an app token each, then starts daphne on the portal and has `--clients`
concurrent clients submit `--applications` applications (`POST /api/v1/me/applications/`, multipart, one
PDF of `--pages` pages as the material the service asks for, an Idempotency-Key each), every citizen
applying for one service once. Prints applications/s, p50/p95/p99 of submitting one, the errors by status,
and what was stored (applications, cases, files, bytes):

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \
    BENCH_REDIS_URL=redis://127.0.0.1:6379/9 python tests/bench/bench_applications.py --applications 10000

With BENCH_REDIS_URL the tasks an application starts (the pushes telling the person) wait in that Redis,
as they would for the workers in production, and the figure is the web tier's; without it they run
eagerly inside each request. Needs PostgreSQL; the database named is emptied. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_asgi_connections import daphne_start, daphne_stop, free_port  # noqa: E402
from tests.bench.common import arguments_parse, database_url  # noqa: E402 - needs ROOT on the path

APPLY = "/api/v1/me/applications/"
SERVICE = "gx-newborn-medical-insurance"  # online, asks one upload: the birth medical certificate
MATERIAL = "birth_medical_certificate"


def setup(url: str, *, people: int, redis: str) -> list[str]:
    """Schema, catalog, `people` citizens with an app token each; returns the tokens."""
    os.environ["DATABASE_URL"] = url
    if redis:
        os.environ["REDIS_URL"] = redis
    else:
        os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services_portal.settings")
    os.environ.setdefault("PRIVATE_MEDIA_ROOT", tempfile.mkdtemp(prefix="portal-bench-private-"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    call_command("catalog_import", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    if redis:
        import redis as redis_client

        redis_client.Redis.from_url(redis).flushdb()
    from profiles.models import Citizen, User
    from profiles.services.tokens import token_issue

    started = time.perf_counter()
    users = User.objects.bulk_create([User(username=f"bench-apply-{n}") for n in range(people)])
    Citizen.objects.bulk_create(
        [Citizen(user=user, name=f"申请人{n}", region_code="450103") for n, user in enumerate(users)]
    )
    tokens = [token_issue(user=user, device_name="bench")[1] for user in users]
    print(f"set up {people:,} citizens with tokens in {time.perf_counter() - started:.0f} s")
    return tokens


def pdf(pages: int) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    document = canvas.Canvas(buffer)
    for page in range(pages):
        document.drawString(72, 720, f"Birth medical certificate, page {page + 1}")
        document.showPage()
    document.save()
    return buffer.getvalue()


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, str, bytes]]) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content_type, content in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


async def submit(port: int, token: str, document: bytes) -> int:
    content_type, body = multipart(
        [("services", SERVICE), ("declared", "true")],
        [(f"material.{MATERIAL}", "certificate.pdf", "application/pdf", document)],
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            f"POST {APPLY} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: zh-hans\r\n"
            f"Authorization: Token {token}\r\nIdempotency-Key: {uuid.uuid4()}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()
        return int(status_line.split()[1])
    finally:
        writer.close()


async def load(
    port: int, tokens: list[str], clients: int, document: bytes
) -> tuple[list[float], dict[str, int], float]:
    timings: list[float] = []
    errors: dict[str, int] = {}
    queue = iter(tokens)

    async def client() -> None:
        for token in queue:
            started = time.perf_counter()
            try:
                status = await asyncio.wait_for(submit(port, token, document), timeout=60)
            except (OSError, TimeoutError, ValueError, IndexError) as error:
                outcome = type(error).__name__
            else:
                outcome = "" if status == 201 else str(status)
            if outcome:
                errors[outcome] = errors.get(outcome, 0) + 1
            else:
                timings.append((time.perf_counter() - started) * 1000)

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    return timings, errors, time.monotonic() - started


def stored() -> str:
    from django.db.models import Sum

    from services_portal.casework.models import Application, Case, MaterialFile

    files = MaterialFile.objects.aggregate(total=Sum("size"))["total"] or 0
    return (
        f"stored: {Application.objects.count():,} applications, {Case.objects.count():,} cases, "
        f"{MaterialFile.objects.count():,} files ({files / 2**20:.1f} MiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench_applications")
    parser.add_argument("--applications", type=int, default=1000, help="applications submitted (default 1000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--pages", type=int, default=2, help="pages of the PDF uploaded with each (default 2)")
    arguments = arguments_parse(parser)
    url = database_url(postgres_only=True)
    redis = os.environ.get("BENCH_REDIS_URL", "")
    tokens = setup(url, people=arguments.applications, redis=redis)
    document = pdf(arguments.pages)
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, after the server
    overrides = {"PRIVATE_MEDIA_ROOT": os.environ["PRIVATE_MEDIA_ROOT"], "REDIS_URL": redis}
    server = daphne_start(url, overrides, port, log)
    try:
        asyncio.run(load(port, tokens[:1], 1, document))  # warm up: imports, caches
        timings, errors, seconds = asyncio.run(load(port, tokens[1:], arguments.clients, document))
    finally:
        daphne_stop(server)
        log.seek(0)
        server_errors = log.read().decode(errors="replace").strip()
        log.close()
    quantiles = statistics.quantiles(timings, n=100) if len(timings) > 1 else [float("nan")] * 99
    print(
        f"\none daphne process, {arguments.clients} clients, {len(timings):,} applications with a "
        f"{len(document) / 1024:.0f} KiB PDF of {arguments.pages} pages, tasks "
        f"{'queued in Redis' if redis else 'run eagerly in the request'}"
    )
    print(
        f"applications/s {len(timings) / seconds:.1f}   p50 {quantiles[49]:.1f} ms   p95 {quantiles[94]:.1f} ms   "
        f"p99 {quantiles[98]:.1f} ms   errors {errors or 0}"
    )
    print(stored())
    if server_errors:
        print("server log (last lines):\n" + "\n".join(server_errors.splitlines()[-10:]))


if __name__ == "__main__":
    main()
