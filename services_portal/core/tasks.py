"""Queueing background work without making a request wait for, or fail on, the broker.

Every piece of work the portal queues is first written down in the database (a push in the outbox, a
fan-out, a feed batch not yet looked at by detection), and a scheduled task (the push dispatcher, the
feed detection check) queues again what is still undone. So a broker that is down when a change commits
loses nothing: the request answers at once, a warning is logged, and the work goes out once Redis is back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from celery import Task, current_app
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def task_named(name: str) -> Task:
    """The registered task called `name` (its module and function, as beat names it). A service queues
    its own app's tasks by name: the tasks module imports the services, so the services importing it
    back would make a circle. A web process loads the tasks modules only when asked, as a worker does
    at start; a name no task has raises KeyError rather than sending work nobody will run."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def enqueue(task: Task | str, *args, countdown: float | None = None) -> bool:
    """Send `task(*args)` to the broker; False (and a warning) when the broker cannot be reached.
    `task` is a task or its name (`task_named`).

    No result is kept: waiting on a result store that is down would hold the caller for 20 s."""
    if isinstance(task, str):
        task = task_named(task)
    try:
        # Celery takes a countdown of None as no delay; celery-types admits only a number
        task.apply_async(args, countdown=countdown, ignore_result=True)  # type: ignore[arg-type]
    except OperationalError as error:
        logger.warning("broker unreachable, %s%r left for the dispatcher: %s", task.name, args, error)
        return False
    return True


def enqueue_on_commit(task: Task | str, *args) -> None:
    """Queue `task(*args)` once the caller's transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: enqueue(task, *args))


def chunks_by_region(people: Iterable[tuple[str, int]], size: int) -> Iterator[list[int]]:
    """People, as (region code, id) in region order, cut into chunks of at most `size` ids for workers
    on any number of machines to take, as they are read: a province's ids are never all in memory. A
    chunk holds people of one city (the first four digits of the code), so that a worker reads the
    facts of neighbours and a region's figures come from few chunks; a city larger than `size` fills
    several."""
    current: list[int] = []
    city = None
    for region, person in people:
        if current and (len(current) >= size or region[:4] != city):
            yield current
            current = []
        city = region[:4]
        current.append(person)
    if current:
        yield current
