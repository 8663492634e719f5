"""Real Celery workers for the tests that ask for one: a process of its own, on the test's PostgreSQL
database and a Redis broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

from django.db import connection

from tests.conftest import ROOT


def worker_start(*, broker: str, **settings: str) -> subprocess.Popen:
    """`celery worker` (one process, solo pool) with these settings as environment variables."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PUSH_QUIET_HOURS": "off",  # the tests run at any hour
        **settings,
    }
    command = [sys.executable, "-m", "celery", "-A", "services_portal", "worker", "--pool=solo", "--loglevel=INFO"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def worker_stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds} s for {what}")
