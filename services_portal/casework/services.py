"""Casework: detecting who now qualifies for a proactive benefit, and deciding their cases.

Each decision is an explicit transition that checks the current state and the version the
caseworker saw, and writes a history row with who, what, when and why.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from profiles.facts import FACTS, Sensitivity
from profiles.models import Citizen, User
from profiles.permissions import allowed, in_scope
from profiles.purposes import Purpose
from profiles.selectors import consent_in_force, fact_values_for
from services_portal.casework.models import (
    UNDECIDED_STATES,
    ApprovalReason,
    Case,
    CaseAction,
    CaseEvent,
    CaseObjection,
    CaseState,
    RejectionReason,
)
from services_portal.catalog.models import ServiceItem
from services_portal.catalog.rules import service_rules_build
from services_portal.core.errors import PortalError
from services_portal.eligibility.derived import stored_facts_behind
from services_portal.eligibility.engine import Outcome
from services_portal.eligibility.population import ELIGIBLE, population_evaluate, population_load
from services_portal.notifications.models import Trigger
from services_portal.notifications.services import push_create

DETECTION_CHUNK = 500


class CaseConflict(PortalError):
    status_code = 409


class CaseNotFound(PortalError):
    """No such case, or not one the caller may see: the same answer, so nobody learns which."""

    status_code = 404


def benefit_period(service: ServiceItem, on: datetime.date) -> str:
    """The period a case covers: one case per person, service and period."""
    if service.benefit_period == ServiceItem.BenefitPeriod.MONTH:
        return on.strftime("%Y-%m")
    if service.benefit_period == ServiceItem.BenefitPeriod.ONCE:
        return "once"
    return str(on.year)


def _evidence(results: Iterable[Any], records: dict[str, Any]) -> list[dict[str, Any]]:
    """Each stored fact that made a criterion met: its value, source department and when it was observed."""
    evidence, seen = [], set()
    for result in results:
        for symbol in sorted(result.criterion.compiled.symbols):
            for key in stored_facts_behind(symbol):
                record = records.get(key)
                if record is None or key in seen:
                    continue
                seen.add(key)
                evidence.append(
                    {
                        "fact": key,
                        "value": record.value,
                        "source": record.source,
                        "department": record.department,
                        "observed_at": record.observed_at.isoformat(),
                        "criterion": result.key,
                    }
                )
    return evidence


def cases_detect(*, citizen_ids: Iterable[int], on: datetime.date | None = None) -> list[Case]:
    """Open a case for each person with `proactive_benefits` consent who now meets every criterion of
    a proactive service, once per person, service and benefit period. Running it again opens nothing.
    Each chunk is evaluated at once (the population evaluator); only those who qualify are read further."""
    on = on or timezone.localdate()
    services = list(
        ServiceItem.objects.filter(proactive=True, is_published=True).prefetch_related("criteria").order_by("code")
    )
    rules = [service_rules_build(service) for service in services]
    ids = sorted(set(citizen_ids))
    opened: list[Case] = []
    for start in range(0, len(ids), DETECTION_CHUNK):
        chunk = list(Citizen.objects.filter(pk__in=ids[start : start + DETECTION_CHUNK], erased_at__isnull=True))
        consenting = consent_in_force(chunk, Purpose.PROACTIVE_BENEFITS)
        chunk = [c for c in chunk if c.pk in consenting]
        if not chunk or not rules:
            continue
        evaluated = population_evaluate(population_load([c.pk for c in chunk]), on=on, services=rules)
        rows = np.flatnonzero((evaluated.outcomes == ELIGIBLE).any(axis=1))
        by_id = {citizen.pk: citizen for citizen in chunk}
        qualifying = [by_id[citizen_id] for citizen_id in evaluated.ids[rows].tolist()]
        records = fact_values_for(qualifying)
        drafts = [
            _case_draft(citizen, service, on, result, records[citizen.pk])
            for row, citizen in zip(rows.tolist(), qualifying, strict=True)
            for service, result in zip(services, evaluated.person(row), strict=True)
            if result.outcome == Outcome.ELIGIBLE
        ]
        opened.extend(_cases_open(drafts))
    return opened


def _case_draft(citizen: Citizen, service: ServiceItem, on: datetime.date, result: Any, records: dict) -> Case:
    return Case(
        citizen=citizen,
        service=service,
        period=benefit_period(service, on),
        # where the person lives, else where their hukou is: the queue that will see the case
        region_code=citizen.region_code or _value(records.get("hukou_region_code")),
        amount_cny=service.benefit_amount_cny,
        evidence=_evidence(result.results, records),
        criteria=[
            {"key": r.key, "label_zh": r.criterion.label_zh, "label_en": r.criterion.label_en} for r in result.results
        ],
    )


def _cases_open(drafts: list[Case]) -> list[Case]:
    """Write the cases not opened yet (one per person, service and period), with their history, in a
    few queries. When a detection running at the same time opened one of them first, each is tried
    on its own: the other's stands."""
    if not drafts:
        return []
    existing = set(
        Case.objects.filter(
            citizen_id__in={draft.citizen_id for draft in drafts},
            service_id__in={draft.service_id for draft in drafts},
            period__in={draft.period for draft in drafts},
        ).values_list("citizen_id", "service_id", "period")
    )
    drafts = [draft for draft in drafts if (draft.citizen_id, draft.service_id, draft.period) not in existing]
    try:
        with transaction.atomic():
            cases = Case.objects.bulk_create(drafts)
            CaseEvent.objects.bulk_create([CaseEvent(case=case, action=CaseAction.OPENED) for case in cases])
    except IntegrityError:
        return [case for case in map(_case_open, drafts) if case is not None]
    return cases


def cases_people_reassess(citizen_ids: Sequence[int]) -> int:
    """Profiles' hook (profiles.hooks.on_people_reassess), for the people a feed batch changed: the
    cases opened."""
    return len(cases_detect(citizen_ids=citizen_ids))


def _value(record: Any) -> str:
    return str(record.value) if record is not None else ""


def _case_open(draft: Case) -> Case | None:
    try:
        with transaction.atomic():
            draft.save(force_insert=True)
            CaseEvent.objects.create(case=draft, action=CaseAction.OPENED)
    except IntegrityError:
        return None  # opened by a detection running at the same time
    return draft


# -- decisions -----------------------------------------------------------------------------------


def _needs_second_approval(case: Case) -> bool:
    threshold = Decimal(str(settings.CASE_SECOND_APPROVAL_THRESHOLD_CNY))
    return case.amount_cny is not None and case.amount_cny > threshold


def _locked_for_decision(*, case_id: int, actor: User, version: int) -> Case:
    if not allowed(actor, "casework.decide"):
        raise PortalError("forbidden", _("Only caseworkers decide cases."))
    case = Case.objects.select_for_update().select_related("citizen", "service").filter(pk=case_id).first()
    if case is None or not in_scope(actor, case.region_code):
        raise CaseNotFound("not_found", _("Not found."))
    if case.citizen.erased_at is not None or case.state == CaseState.WITHDRAWN:
        raise CaseConflict(
            "person_erased",
            _("This person closed their account: the case was withdrawn and can no longer be decided."),
        )
    if case.version != version:
        raise CaseConflict(
            "conflict", _("Someone else decided this case while you were looking at it. Look at it again.")
        )
    if case.state not in (CaseState.OPEN, CaseState.AWAITING_SECOND):
        raise CaseConflict("already_decided", _("This case has already been decided."))
    return case


def _reason_check(reason_code: str, allowed_codes: list[str], text: str) -> None:
    if reason_code not in allowed_codes:
        message = _("Choose a reason from the list.")
        raise PortalError("invalid_reason", message, fields={"reason_code": [message]})
    if reason_code == RejectionReason.OTHER and not text.strip():
        message = _("Explain the reason.")
        raise PortalError("text_required", message, fields={"text": [message]})


def _notify_decision(case: Case) -> None:
    """Tell the person, in the deciding transaction: the inbox row at once (a decision on their own
    case, whatever their channel consents), the other channels after commit by the routing plan."""
    approved = case.state == CaseState.APPROVED
    push_create(
        citizen=case.citizen,
        service=case.service,
        trigger=Trigger.CASE_DECISION,
        key=f"case:{case.pk}:decision:{case.version}",
        title=gettext_lazy("Approved: %(service)s") if approved else gettext_lazy("Not approved: %(service)s"),
        body=(
            gettext_lazy("Your benefit was approved. You do not need to apply.")
            if approved
            else gettext_lazy(
                "After checking the records, the benefit was not approved. You can object on the case page."
            )
        ),
        params={"zh-hans": {"service": case.service.name_zh}, "en": {"service": case.service.name_en}},
        link=f"/me/cases/{case.pk}/",
        essential=True,
        inbox_at_once=True,
    )


@transaction.atomic
def case_approve(*, case_id: int, actor: User, reason_code: str, text: str = "", version: int) -> Case:
    """Approve; above the threshold, the first approval waits for a second, different caseworker."""
    case = _locked_for_decision(case_id=case_id, actor=actor, version=version)
    _reason_check(reason_code, ApprovalReason.values, text)
    if case.state == CaseState.AWAITING_SECOND and case.first_approver_id == actor.pk:
        raise PortalError("same_approver", _("The second approval must come from a different caseworker."))
    if case.state == CaseState.OPEN and _needs_second_approval(case):
        case.state, case.first_approver, action = CaseState.AWAITING_SECOND, actor, CaseAction.FIRST_APPROVAL
    else:
        case.state, case.decided_at, action = CaseState.APPROVED, timezone.now(), CaseAction.APPROVED
    case.version += 1
    case.save(update_fields=["state", "first_approver", "decided_at", "version"])
    CaseEvent.objects.create(case=case, action=action, actor=actor, reason_code=reason_code, text=text.strip())
    if case.state == CaseState.APPROVED:
        _notify_decision(case)
    return case


@transaction.atomic
def case_reject(*, case_id: int, actor: User, reason_code: str, text: str = "", version: int) -> Case:
    case = _locked_for_decision(case_id=case_id, actor=actor, version=version)
    _reason_check(reason_code, RejectionReason.values, text)
    case.state, case.decided_at = CaseState.REJECTED, timezone.now()
    case.version += 1
    case.save(update_fields=["state", "decided_at", "version"])
    CaseEvent.objects.create(
        case=case, action=CaseAction.REJECTED, actor=actor, reason_code=reason_code, text=text.strip()
    )
    _notify_decision(case)
    return case


@transaction.atomic
def case_object(*, citizen: Citizen, case_id: int, text: str) -> Case:
    """The person objects to a decision: the case goes back to the queue for a fresh decision."""
    case = Case.objects.select_for_update().filter(pk=case_id, citizen=citizen).first()
    if case is None:
        raise CaseNotFound("not_found", _("Not found."))
    if not case.open_to_objection:
        raise PortalError("not_decided", _("You can object once the case has been decided."))
    if not text.strip():
        message = _("Say why you object.")
        raise PortalError("text_required", message, fields={"text": [message]})
    case.state, case.first_approver, case.decided_at = CaseState.OPEN, None, None
    case.version += 1
    case.save(update_fields=["state", "first_approver", "decided_at", "version"])
    event = CaseEvent.objects.create(case=case, action=CaseAction.OBJECTED)
    # the person's words apart from the append-only history, so that closing the account erases them
    CaseObjection.objects.create(event=event, text=text.strip()[:2000])
    return case


# -- when the person's data must go (registered in profiles.hooks by CaseworkConfig.ready) -------


def _sensitive_facts() -> frozenset[str]:
    return frozenset(key for key, fact in FACTS.items() if fact.sensitivity == Sensitivity.SENSITIVE)


def cases_consent_withdrawn(citizen: Citizen, purpose: str) -> None:
    """Withdrawing `sensitive_facts`: the sensitive values leave the evidence of every case of the person
    (and their wards) not yet decided, with a history row saying so. A decided case keeps its evidence:
    the decision is an administrative act, kept as it was made for review and appeal (README)."""
    if purpose != Purpose.SENSITIVE_FACTS:
        return
    sensitive = _sensitive_facts()
    cases = Case.objects.select_for_update(of=("self",)).filter(
        Q(citizen=citizen) | Q(citizen__guardian=citizen), state__in=UNDECIDED_STATES
    )
    for case in cases:
        kept = [item for item in case.evidence if item.get("fact") not in sensitive]
        if len(kept) == len(case.evidence):
            continue
        case.evidence = kept
        case.version += 1  # a caseworker looking at the old evidence must look again before deciding
        case.save(update_fields=["evidence", "version"])
        CaseEvent.objects.create(case=case, action=CaseAction.EVIDENCE_REDACTED)


def cases_account_closed(citizen: Citizen) -> None:
    """Closing the account: each undecided case is withdrawn (a history row says so) and loses its
    evidence; what the person wrote in objections is erased. Decided cases stay, with their evidence
    and history, pointing at the pseudonymous record (README: "For the data-protection officer")."""
    for case in Case.objects.select_for_update().filter(citizen=citizen, state__in=UNDECIDED_STATES):
        case.state, case.first_approver, case.evidence = CaseState.WITHDRAWN, None, []
        case.version += 1
        case.save(update_fields=["state", "first_approver", "evidence", "version"])
        CaseEvent.objects.create(case=case, action=CaseAction.WITHDRAWN, reason_code="account_closed")
    CaseObjection.objects.filter(event__case__citizen=citizen).delete()
