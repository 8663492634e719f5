"""The escalation rule (DESIGN section 11): a person eligible for a service where reaching out helps
(ServiceItem.outreach) and neither reached nor applying after `escalate_after_days` is told again, on the
channel that can reach them (a push: routing picks the inbox, a text message or the counter by their reach);
still not after as many days more, counter staff of their area get a task to call or visit them.

Each step is written with the entry's escalation_step in one transaction, the entries locked and skipped
when another run holds them: running it twice, or in two workers at once, does each step once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from services_portal.catalog.models import ServiceItem
from services_portal.counter.models import OutreachOutcome, OutreachReason, OutreachTask
from services_portal.counter.services import OutreachRequest, outreach_tasks_open
from services_portal.notifications.models import Trigger
from services_portal.notifications.services.push import PushDraft, pushes_create, service_link, service_params
from services_portal.reach.models import ReachEntry

# entries per transaction
ESCALATION_BATCH = 2_000

PUSH_TITLE = _("You may be entitled to %(service)s")
PUSH_BODY = _(
    "Our records show that you may qualify for %(service)s and have not applied yet. Open the service's page "
    "to see what it gives and how to get it; your local service counter can help you, too."
)


@dataclass
class Escalation:
    """What one run did: pushes written (step 1) and outreach tasks opened (step 2)."""

    pushes: int = 0
    outreach_tasks: int = 0


def reach_escalate(*, now: datetime.datetime) -> Escalation:
    """Take the next step for every entry of an outreach service still eligible, not reached and not
    applied: after the service's escalate_after_days since eligible, a push (Trigger.REACH, routed like
    every push); after as many days since that push, an outreach task for the counter of their area
    (OutreachReason.NOT_REACHED_IN_TIME, unless an open one exists already). Idempotent."""
    report = Escalation()
    for service in ServiceItem.objects.filter(outreach=True, is_published=True).order_by("code"):
        wait = datetime.timedelta(days=service.escalate_after_days)
        waiting = ReachEntry.objects.filter(
            service=service,
            eligible_until__isnull=True,
            reached_at__isnull=True,
            applied_at__isnull=True,
            citizen__erased_at__isnull=True,
        )
        while _push_step(waiting.filter(escalation_step=0, eligible_at__lte=now - wait), service, now, report):
            pass
        while _counter_step(waiting.filter(escalation_step=1, escalated_at__lte=now - wait), service, now, report):
            pass
    return report


def _locked(entries, now: datetime.datetime) -> list[ReachEntry]:
    return list(
        entries.select_for_update(skip_locked=True, of=("self",)).order_by("eligible_at", "pk")[:ESCALATION_BATCH]
    )


@transaction.atomic
def _push_step(entries, service: ServiceItem, now: datetime.datetime, report: Escalation) -> int:
    """Step 0 -> 1 for a batch: a push each. Returns the entries taken (0: none left)."""
    batch = _locked(entries, now)
    if not batch:
        return 0
    params = service_params(service)
    link = service_link(service.code)
    # one push per entry and episode of eligibility: written again, nothing is pushed twice
    report.pushes += len(
        pushes_create(
            PushDraft(
                citizen_id=entry.citizen_id,
                service=service,
                trigger=Trigger.REACH,
                key=entry.eligible_at.date().isoformat(),
                title=PUSH_TITLE,
                body=PUSH_BODY,
                params=params,
                link=link,
            )
            for entry in batch
        )
    )
    ReachEntry.objects.filter(pk__in=[entry.pk for entry in batch]).update(
        escalation_step=1, escalated_at=now, updated_at=now
    )
    return len(batch)


@transaction.atomic
def _counter_step(entries, service: ServiceItem, now: datetime.datetime, report: Escalation) -> int:
    """Step 1 -> 2 for a batch: an outreach task each, unless the counter has one open already. Returns
    the entries taken (0: none left)."""
    batch = _locked(entries, now)
    if not batch:
        return 0
    open_already = set(
        OutreachTask.objects.filter(
            service=service, citizen_id__in=[entry.citizen_id for entry in batch], outcome=OutreachOutcome.OPEN
        ).values_list("citizen_id", flat=True)
    )
    requests = [
        OutreachRequest(
            citizen_id=entry.citizen_id,
            push_id=None,
            service_id=service.pk,
            region_code=entry.region_code,
            essential=service.essential,
            reason=OutreachReason.NOT_REACHED_IN_TIME,
            eligible_since=entry.eligible_at,
        )
        for entry in batch
        if entry.citizen_id not in open_already
    ]
    outreach_tasks_open(requests=requests)
    report.outreach_tasks += len(requests)
    ReachEntry.objects.filter(pk__in=[entry.pk for entry in batch]).update(
        escalation_step=2, escalated_at=now, updated_at=now
    )
    return len(batch)
