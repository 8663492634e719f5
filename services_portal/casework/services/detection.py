"""Detection: who now qualifies for a proactive benefit (免申即享), each case opened in review."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from profiles.models import Citizen
from profiles.purposes import Purpose
from profiles.selectors import consent_in_force, fact_values_for
from services_portal.casework.deadlines import working_days_after
from services_portal.casework.models import (
    Case,
    CaseAction,
    CaseEvent,
)
from services_portal.catalog.models import ServiceItem
from services_portal.catalog.rules import service_rules_build
from services_portal.eligibility.derived import stored_facts_behind
from services_portal.eligibility.engine import Outcome
from services_portal.eligibility.population import ELIGIBLE, population_evaluate, population_load

DETECTION_CHUNK = 500


def benefit_period(service: ServiceItem, on: datetime.date) -> str:
    """The period a case covers: one case per person, service and period."""
    return period_of(service.benefit_period, on)


def period_of(kind: str, on: datetime.date) -> str:
    """The period of a service whose benefit comes `kind` (ServiceItem.BenefitPeriod; a year otherwise)
    that `on` falls in."""
    if kind == ServiceItem.BenefitPeriod.MONTH:
        return on.strftime("%Y-%m")
    if kind == ServiceItem.BenefitPeriod.ONCE:
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


def criteria_record(result: Any) -> list[dict[str, str]]:
    """What the rules said of each criterion, as a case keeps it for the caseworker."""
    return [
        {
            "key": r.key,
            "label_zh": r.criterion.label_zh,
            "label_en": r.criterion.label_en,
            "status": r.status.value,
        }
        for r in result.results
    ]


def _case_draft(citizen: Citizen, service: ServiceItem, on: datetime.date, result: Any, records: dict) -> Case:
    return Case(
        citizen=citizen,
        service=service,
        period=benefit_period(service, on),
        # where the person lives, else where their hukou is: the queue that will see the case
        region_code=citizen.region_code or _value(records.get("hukou_region_code")),
        amount_cny=service.benefit_amount_cny,
        evidence=_evidence(result.results, records),
        criteria=criteria_record(result),
        eligibility=result.outcome.value,
        # data matching is the intake: the promised time limit runs from the day the case is found
        accepted_at=timezone.now(),
        due_on=working_days_after(on, service.processing_days or 0),
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
