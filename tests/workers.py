"""Concurrency for the tests that ask for it: real Celery workers (a process of their own, on the test's
PostgreSQL database and a Redis broker), and actions raced in threads with connections of their own."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
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


def race(*actions: Callable[[], object]) -> list:
    """Run each action in its own thread (and so its own database connection), all released at once;
    returns what each returned or raised."""
    barrier = threading.Barrier(len(actions))
    outcomes: list = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = action()
        except Exception as error:  # noqa: BLE001 - the outcome under test
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes
