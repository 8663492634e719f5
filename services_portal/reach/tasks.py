"""Celery tasks of the reach ledger: thin, idempotent, run by beat (settings.CELERY_BEAT_SCHEDULE).

`refresh` (daily, REACH_REFRESH_SECONDS): everyone's ledger brought up to date, the later steps read, the
escalation rule applied. `events` (hourly, REACH_EVENTS_SECONDS): the later steps and the escalation rule only.
"""

import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from services_portal.reach.services.escalation import reach_escalate
from services_portal.reach.services.figures import reach_figures_take
from services_portal.reach.services.ledger import reach_events_apply, reach_ledger_refresh


@shared_task
def refresh() -> dict:
    """Everyone's ledger, its later steps (reach_ledger_refresh reads them), then the escalation rule."""
    now = timezone.now()
    ledger = reach_ledger_refresh(now=now)
    escalation = reach_escalate(now=now)
    figures = reach_figures_take(on=timezone.localdate(now))
    return {
        "people": ledger.people,
        "eligible": ledger.eligible,
        "created": ledger.created,
        "ended": ledger.ended,
        "seconds": round(ledger.seconds, 1),
        "pushes": escalation.pushes,
        "outreach_tasks": escalation.outreach_tasks,
        "figures": figures,
    }


@shared_task
def events() -> dict:
    """The later steps of the entries of people with events in the last two intervals (a run missed is
    made up; the daily refresh reads everyone's), then the escalation rule."""
    now = timezone.now()
    since = now - 2 * datetime.timedelta(seconds=settings.REACH_EVENTS_SECONDS)
    filled = reach_events_apply(since=since)
    escalation = reach_escalate(now=now)
    return {"filled": filled, "pushes": escalation.pushes, "outreach_tasks": escalation.outreach_tasks}
