"""Acting for a person at the counter desk, and working the outreach list.

Facts the person tells the staff are recorded with the source "counter staff" and the staff member;
consents given in person are witnessed; an application made at the desk is the same application as
online (one case per service, each routed to its department), with the materials scanned at the desk.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles.facts import FACTS, FactsInvalid, facts_clean
from profiles.facts.codec import fact_encode
from profiles.models import Citizen, ConsentChannel, ConsentEvent, FactSource, FactValue, User
from profiles.permissions import allowed, in_scope
from profiles.purposes import Purpose
from profiles.selectors import fact_values_current
from profiles.services.consent import consent_grant, consent_withdraw
from profiles.services.facts import fact_record
from services_portal.core.errors import PortalError
from services_portal.counter import hooks
from services_portal.counter.hooks import Receipt
from services_portal.counter.models import OutreachOutcome, OutreachTask
from services_portal.counter.selectors import ApplyingFor, PersonNotFound

# What a contact attempt can come to; "not yet contacted" is where a task starts, not an outcome.
OUTCOMES_RECORDED = (
    OutreachOutcome.REACHED_BY_PHONE,
    OutreachOutcome.VISITED,
    OutreachOutcome.DECLINED,
    OutreachOutcome.UNREACHABLE,
)


def _check_assisting(staff: User, citizen: Citizen) -> None:
    if not allowed(staff, "citizen.assist") or not in_scope(staff, citizen.region_code):
        raise PersonNotFound("not_found", _("This person is not registered in your area."))


@transaction.atomic
def counter_facts_record(*, citizen: Citizen, staff: User, values: Mapping[str, Any]) -> list[FactValue]:
    """Record what the person tells the counter staff: source "counter staff", recorded by `staff`.
    A blank answer leaves the value as it is, and an unchanged one is not recorded again. Every value
    is checked, and every refusal reported at once; one refusal stores nothing. Values from a
    government department are not changed here (the person reports an error instead), and a sensitive
    fact is refused without the person's consent to hold sensitive facts."""
    _check_assisting(staff, citizen)
    try:
        clean = facts_clean(values, today=timezone.localdate())
    except FactsInvalid as error:
        raise error.portal_error(_("Some answers need correcting.")) from None
    current = fact_values_current(citizen)
    errors: dict[str, list[str]] = {}
    recorded = []
    for key, value in clean.items():
        held = current.get(key)
        if held is not None and held.value == fact_encode(value):
            continue
        try:  # a department's value is refused here too (profiles.services.facts.fact_replaceable)
            recorded.append(
                fact_record(citizen=citizen, key=key, value=value, source=FactSource.COUNTER_STAFF, recorded_by=staff)
            )
        except PortalError as error:
            errors[key] = error.fields.get(key) or [error.message]
    if errors:
        # Raising undoes the values already recorded above: all or nothing.
        ordered = {key: errors[key] for key in FACTS if key in errors}
        raise PortalError("facts_refused", _("Some answers need correcting."), fields=ordered)
    return recorded


@transaction.atomic
def counter_consent_record(*, citizen: Citizen, staff: User, purpose: Purpose | str, granted: bool) -> ConsentEvent:
    """A consent the person gives (or withdraws) in person, witnessed by the staff member: one ledger row
    on the counter channel. The consent services refuse a child's record and an unknown purpose."""
    _check_assisting(staff, citizen)
    change = consent_grant if granted else consent_withdraw
    return change(citizen=citizen, purpose=purpose, channel=ConsentChannel.COUNTER, witness=staff)


@transaction.atomic
def counter_application_submit(
    *,
    citizen: Citizen,
    staff: User,
    applying: ApplyingFor,
    confirmed: Sequence[str],
    given: Mapping[str, Any],
    files: Mapping[str, Sequence[UploadedFile]],
    declared: bool,
    idempotency_key: str = "",
) -> Receipt:
    """The person applies at the desk, the staff member acting for them after checking their ID card:
    the same application as online (counter.hooks.application_at_counter: casework submits it with the
    origin "counter" and the staff member, the materials scanned at the desk as uploaded by them). The
    recommender records the person's "apply" on the counter channel from the case's history. Refusals
    come as a PortalError with the fields to correct, and nothing is stored. Returns the receipt."""
    _check_assisting(staff, citizen)
    (receipt,) = hooks.application_at_counter.collect(
        hooks.CounterApplication(
            citizen=citizen,
            staff=staff,
            services=applying.services,
            bundle=applying.bundle,
            confirmed=confirmed,
            given=given,
            files=files,
            declared=declared,
            idempotency_key=idempotency_key,
        )
    )
    return receipt


@transaction.atomic
def outreach_outcome_record(
    *,
    task: OutreachTask,
    staff: User,
    outcome: OutreachOutcome | str,
    follow_up_on: datetime.date | None = None,
    note: str = "",
) -> OutreachTask:
    """What came of contacting the person: reached by phone, visited, declined or unreachable, with an
    optional follow-up date (today or later) and note. The staff member is recorded as its handler, and
    the moment as `outcome_at` (each outcome recorded replaces the last)."""
    task = OutreachTask.objects.select_for_update().select_related("citizen").get(pk=task.pk)
    _check_assisting(staff, task.citizen)
    errors: dict[str, list[str]] = {}
    if outcome not in OUTCOMES_RECORDED:
        errors["outcome"] = [_("Choose what came of contacting the person.")]
    if follow_up_on is not None and follow_up_on < timezone.localdate():
        errors["follow_up_on"] = [_("The follow-up date cannot be in the past.")]
    if len(note) > 2000:
        errors["note"] = [_("Keep the note under 2,000 characters.")]
    if errors:
        raise PortalError("outcome_invalid", _("Some answers need correcting."), fields=errors)
    task.outcome = outcome
    task.follow_up_on = follow_up_on
    task.note = note.strip()
    task.handled_by = staff
    # the reach ledger takes a call or a visit as the moment the person was reached
    task.outcome_at = timezone.now()
    task.save(update_fields=["outcome", "outcome_at", "follow_up_on", "note", "handled_by", "updated_at"])
    hooks.on_outreach_outcome(task)
    return task


@dataclass(frozen=True)
class OutreachRequest:
    """A person the portal could not bring a service to digitally: the push about it, and why the
    counter (an OutreachReason code)."""

    citizen_id: int
    push_id: int | None  # None: opened by the reach ledger's escalation rule, not for a push
    service_id: int
    region_code: str
    essential: bool
    reason: str
    # since when the person has been eligible without being reached (the reach ledger), when known
    eligible_since: datetime.datetime | None = None


def outreach_tasks_open(*, requests: Iterable[OutreachRequest]) -> None:
    """Open an outreach task for staff of each person's area, in the caller's transaction: one per
    push, so a push asked for twice (a delivery run again) opens one task."""
    tasks = [
        OutreachTask(
            citizen_id=request.citizen_id,
            push_id=request.push_id,
            service_id=request.service_id,
            region_code=request.region_code,
            essential=request.essential,
            reason=request.reason,
            eligible_since=request.eligible_since,
        )
        for request in requests
    ]
    OutreachTask.objects.bulk_create(tasks, ignore_conflicts=True)


def outreach_account_closed(citizen: Citizen) -> None:
    """Closing the account (profiles.hooks): the outreach tasks about the person, with staff notes, go."""
    OutreachTask.objects.filter(citizen=citizen).delete()
