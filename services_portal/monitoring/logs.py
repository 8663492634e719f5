"""Structured logs: every record, the portal's own and the libraries', rendered by structlog as one JSON
object a line (or readable text in development), carrying the request id (RequestIdMiddleware's) or the
Celery task id it was written under.

The standard library stays the way records travel (pytest's caplog, Django's and Celery's loggers all
keep working); structlog only renders them, adding what is bound to the context: `request_id` by
`RequestLogContextMiddleware`, `task_id` and `task` by the Celery signals connected in `task_context_connect`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse

from services_portal.core.logging import resident_ids_mask

JSON = "json"
CONSOLE = "console"
RENDERERS = (JSON, CONSOLE)


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


class PortalFormatter(structlog.stdlib.ProcessorFormatter):
    """A logging formatter rendering every record as JSON (`renderer="json"`, the default in production)
    or as readable text (`"console"`). Whatever it writes passes the resident ID mask last, so a number
    in an exception's traceback, which structlog formats anew, is masked like the message is
    (services_portal/core/logging.py)."""

    def __init__(self, renderer: str = JSON, **kwargs: Any) -> None:
        if renderer not in RENDERERS:
            raise ValueError(f"LOG_FORMAT must be one of {', '.join(RENDERERS)}, not {renderer!r}")
        last: Any = (
            structlog.processors.JSONRenderer(ensure_ascii=False)
            if renderer == JSON
            # plain tracebacks: a pretty one would print the frames' local variables, personal data among them
            else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
        )
        steps: list[Any] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
        if renderer == JSON:
            steps.append(structlog.processors.format_exc_info)
        super().__init__(processors=[*steps, last], foreign_pre_chain=_shared_processors(), **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return resident_ids_mask(super().format(record))


def structlog_configure() -> None:
    """structlog's own loggers (`structlog.get_logger()`) hand their events to the standard library, so
    both kinds of logger end in the same handlers and formatter."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


class RequestLogContextMiddleware:
    """Binds the request's id (set by RequestIdMiddleware, which runs before) to every record written
    while the request is served. It stays bound until the response is finished (`request_finished`), so
    Django's own line about an error answer ("Not Found: ...", written after the middleware) carries it too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=getattr(request, "request_id", ""))
        return self.get_response(request)


def _request_finished(**_kwargs: Any) -> None:
    structlog.contextvars.clear_contextvars()


def _task_started(task_id: str | None = None, task: Any = None, **_kwargs: Any) -> None:
    structlog.contextvars.bind_contextvars(task_id=task_id, task=getattr(task, "name", ""))


def _task_ended(**_kwargs: Any) -> None:
    # A task run eagerly inside a request keeps the request's id: only the task's own keys go.
    structlog.contextvars.unbind_contextvars("task_id", "task")


def log_context_connect() -> None:
    """Records written while a Celery task runs carry its id and name (in a worker, or eagerly); a
    request's id is unbound when its response is finished."""
    from celery.signals import task_postrun, task_prerun
    from django.core.signals import request_finished

    request_finished.connect(_request_finished, weak=False, dispatch_uid="monitoring-request-finished")
    task_prerun.connect(_task_started, weak=False, dispatch_uid="monitoring-task-started")
    task_postrun.connect(_task_ended, weak=False, dispatch_uid="monitoring-task-ended")
    structlog_configure()
