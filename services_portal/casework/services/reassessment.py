"""Re-assessment (动态认定): benefits in force whose holders' records no longer meet the criteria.

A benefit in force is a case of a service paid by the month or the year, approved or delivered, for the
current period. Its holder is evaluated again with the population evaluator:

- not eligible: a review case (origin review, `reviewed_case` the benefit) for a caseworker, with the
  criteria no longer met and the facts each reads (the value now, its source, and the value before when
  the fact's history has one); the person is told what changed, that nothing stops without a decision,
  and that they may respond on the case page until `respond_by`;
- maybe (a fact is missing): no case; the person is asked for it, once per service and period;
- eligible: nothing.

Nothing is ever stopped here. The caseworker keeps the benefit (approves the review) or stops it (rejects
it with a reason, not before the person responded or `respond_by` passed); the benefit's own case then
gains a history row (`review_case_event`, on casework.hooks.on_case_event). A benefit is not reviewed
again after a stop, nor after a keep unless the person's records changed since.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from profiles.display import field_label
from profiles.models import Citizen, FactValue
from profiles.selectors import fact_values_for
from services_portal.casework.deadlines import working_days_after
from services_portal.casework.errors import CaseConflict
from services_portal.casework.models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseObjection,
    CaseOrigin,
    CaseState,
)
from services_portal.casework.services.detection import criteria_record, period_of
from services_portal.casework.services.transitions import own_case_locked, transition_record
from services_portal.catalog.models import ServiceItem
from services_portal.catalog.rules import service_rules_build
from services_portal.core.errors import PortalError
from services_portal.eligibility.derived import stored_facts_behind
from services_portal.eligibility.engine import Status
from services_portal.eligibility.population import MAYBE, NOT_ELIGIBLE, population_evaluate, population_load
from services_portal.notifications.models import Trigger
from services_portal.notifications.services import push_create

REVIEW_CHUNK = 500
PERIODIC = (ServiceItem.BenefitPeriod.MONTH, ServiceItem.BenefitPeriod.YEAR)
IN_FORCE_STATES = (CaseState.APPROVED, CaseState.DELIVERED)
OPEN_REVIEW_STATES = (CaseState.IN_REVIEW, CaseState.RETURNED, CaseState.AWAITING_SECOND)

_TOLD = (
    gettext_lazy("Please check: %(service)s"),
    gettext_lazy(
        "The records we hold no longer seem to meet: %(changed)s. Nothing stops without a caseworker's "
        "decision. If a record is wrong or you want to explain, respond on the case page by %(date)s."
    ),
)
_ASKED = (
    gettext_lazy("A detail is needed: %(service)s"),
    gettext_lazy(
        "To check that you still qualify for %(service)s, we need to know: %(facts)s. Please add it on the "
        "page of your details. Your benefit does not stop meanwhile."
    ),
)


@dataclass(frozen=True)
class Reassessment:
    """What one run found: benefits evaluated, review cases opened, people asked for a missing fact."""

    benefits: int
    opened: list[Case]
    asked: int


def next_period(kind: str, period: str) -> str:
    """The period after `period` of a benefit paid by the month or the year."""
    if kind == ServiceItem.BenefitPeriod.MONTH:
        year, month = (int(part) for part in period.split("-"))
        return f"{year + month // 12}-{month % 12 + 1:02d}"
    return str(int(period) + 1)


def benefits_in_force(*, on: datetime.date, citizen_ids: Sequence[int] | None = None) -> QuerySet[Case]:
    """Benefits paid by the month or the year, approved or delivered for the period `on` falls in, of
    people with an account, not under an open review."""
    current = Q()
    for kind in PERIODIC:
        current |= Q(service__benefit_period=kind, period=period_of(kind, on))
    open_review = Case.objects.filter(reviewed_case=OuterRef("pk"), state__in=OPEN_REVIEW_STATES)
    cases = (
        Case.objects.filter(current, state__in=IN_FORCE_STATES, citizen__erased_at__isnull=True)
        .exclude(origin=CaseOrigin.REVIEW)
        .exclude(Exists(open_review))
    )
    if citizen_ids is not None:
        cases = cases.filter(citizen_id__in=list(citizen_ids))
    return cases


def benefit_holders_by_region(*, on: datetime.date) -> Iterable[tuple[str, int]]:
    """The holders of benefits in force as (region code, id), in that order, read as they are used:
    what the daily sweep cuts its chunks from (services_portal.core.tasks.chunks_by_region)."""
    holders = (
        benefits_in_force(on=on)
        .order_by("region_code", "citizen_id")
        .values_list("region_code", "citizen_id")
        .distinct()
    )
    return holders.iterator(chunk_size=20_000)


def benefits_reassess(*, on: datetime.date, citizen_ids: Sequence[int] | None = None) -> Reassessment:
    """Evaluate the holders of benefits in force again (all, or these people) and open a review case for
    each benefit whose criteria they no longer meet; ask for a missing fact where the rules cannot tell.
    Running it again opens nothing new and asks nothing twice."""
    held = benefits_in_force(on=on, citizen_ids=citizen_ids)
    people = sorted(set(held.values_list("citizen_id", flat=True)))
    services = {
        service.pk: service
        for service in ServiceItem.objects.filter(benefit_period__in=PERIODIC).prefetch_related("criteria")
    }
    benefits, opened, asked = 0, [], 0
    for start in range(0, len(people), REVIEW_CHUNK):
        chunk = people[start : start + REVIEW_CHUNK]
        cases = _still_to_review(list(held.filter(citizen_id__in=chunk).select_related("citizen", "service")))
        if not cases:
            continue
        benefits += len(cases)
        found = _chunk_reassess(cases, services, on)
        opened.extend(found[0])
        asked += found[1]
    return Reassessment(benefits=benefits, opened=opened, asked=asked)


def _still_to_review(cases: list[Case]) -> list[Case]:
    """Leave out benefits a caseworker stopped after a review, and those they kept unless the person's
    records changed after the keeping."""
    if not cases:
        return []
    last_decided: dict[int, tuple[str, datetime.datetime]] = {}
    for reviewed_id, state, decided_at in (
        Case.objects.filter(reviewed_case__in=cases, origin=CaseOrigin.REVIEW, decided_at__isnull=False)
        .order_by("decided_at", "pk")
        .values_list("reviewed_case_id", "state", "decided_at")
    ):
        last_decided[reviewed_id] = (state, cast(datetime.datetime, decided_at))
    if not last_decided:
        return cases
    changed = dict(
        FactValue.objects.filter(citizen_id__in={case.citizen_id for case in cases})
        .values_list("citizen_id")
        .annotate(latest=Max("recorded_at"))
    )
    kept = []
    for case in cases:
        decided = last_decided.get(case.pk)
        if (
            decided is None
            or decided[0] != CaseState.REJECTED
            and changed.get(case.citizen_id, decided[1]) > decided[1]
        ):
            kept.append(case)
    return kept


def _chunk_reassess(cases: list[Case], services: dict[int, ServiceItem], on: datetime.date) -> tuple[list[Case], int]:
    service_ids = sorted({case.service_id for case in cases})
    rules = [service_rules_build(services[service_id]) for service_id in service_ids]
    column = {service_id: j for j, service_id in enumerate(service_ids)}
    evaluated = population_evaluate(population_load(sorted({c.citizen_id for c in cases})), on=on, services=rules)
    row = {citizen_id: i for i, citizen_id in enumerate(evaluated.ids.tolist())}
    outcome = {case.pk: int(evaluated.outcomes[row[case.citizen_id], column[case.service_id]]) for case in cases}
    not_eligible = [case for case in cases if outcome[case.pk] == NOT_ELIGIBLE]
    maybe = [case for case in cases if outcome[case.pk] == MAYBE]
    results = {}
    for case in [*not_eligible, *maybe]:
        results[case.pk] = evaluated.person(row[case.citizen_id])[column[case.service_id]]
    opened = _reviews_open(not_eligible, results, on) if not_eligible else []
    asked = sum(_missing_ask(case, results[case.pk]) for case in maybe)
    return opened, asked


def _reviews_open(cases: list[Case], results: dict[int, Any], on: datetime.date) -> list[Case]:
    citizens = list({case.citizen_id: case.citizen for case in cases}.values())
    records = fact_values_for(citizens)
    before = _values_before(citizens)
    respond_by = on + datetime.timedelta(days=settings.CASE_REVIEW_RESPONSE_DAYS)
    opened = []
    for case in cases:
        result = results[case.pk]
        review = Case(
            citizen=case.citizen,
            service=case.service,
            origin=CaseOrigin.REVIEW,
            reviewed_case=case,
            period=case.period,
            region_code=case.region_code,
            # nothing to pay: the benefit's own case pays; approving the review only keeps it
            amount_cny=None,
            state=CaseState.IN_REVIEW,
            evidence=_changes(result, records[case.citizen_id], before.get(case.citizen_id, {})),
            criteria=criteria_record(result),
            eligibility=result.outcome.value,
            accepted_at=timezone.now(),
            respond_by=respond_by,
            # the promised time limit runs once the person's time to respond is over
            due_on=working_days_after(respond_by, case.service.processing_days or 0),
        )
        if _review_open(review, result):
            opened.append(review)
    return opened


def _review_open(review: Case, result: Any) -> bool:
    """Write one review with its history row and tell the person; False when a review of the same
    benefit opened at the same moment stands."""
    try:
        with transaction.atomic():
            review.save(force_insert=True)
            CaseEvent.objects.create(case=review, action=CaseAction.REVIEW_OPENED)
            _review_tell(review, result)
    except IntegrityError:
        return False
    return True


def _values_before(citizens: list[Citizen]) -> dict[int, dict[str, FactValue]]:
    """For each person, the value each fact had before its current one, where the history has one."""
    before: dict[int, dict[str, FactValue]] = {}
    for value in FactValue.objects.filter(
        citizen_id__in=[citizen.pk for citizen in citizens], superseded_at__isnull=False
    ).order_by("citizen_id", "key", "-superseded_at", "-pk"):
        before.setdefault(value.citizen_id, {}).setdefault(value.key, value)
    return before


def _changes(result: Any, records: dict[str, FactValue], before: dict[str, FactValue]) -> list[dict[str, Any]]:
    """What changed: each criterion no longer met with the stored facts it reads, their value now and
    its source, and the value before when there is one."""
    changes, seen = [], set()
    for criterion in result.results:
        if criterion.status != Status.NOT_MET:
            continue
        for symbol in sorted(criterion.criterion.compiled.symbols):
            for key in stored_facts_behind(symbol):
                record = records.get(key)
                if record is None or (criterion.key, key) in seen:
                    continue
                seen.add((criterion.key, key))
                previous = before.get(key)
                changes.append(
                    {
                        "fact": key,
                        "value": record.value,
                        "source": record.source,
                        "department": record.department,
                        "observed_at": record.observed_at.isoformat(),
                        "criterion": criterion.key,
                        "value_before": previous.value if previous is not None else None,
                        "observed_before": previous.observed_at.isoformat() if previous is not None else None,
                    }
                )
    return changes


def _in_each_language(make: Any) -> dict[str, str]:
    texts = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            texts[language] = make(language)
    return texts


def _review_tell(review: Case, result: Any) -> None:
    unmet = [criterion.criterion for criterion in result.results if criterion.status == Status.NOT_MET]
    changed = {
        "zh-hans": "、".join(rule.label_zh for rule in unmet),
        "en": "; ".join(rule.label_en for rule in unmet),
    }
    respond_by = cast(datetime.date, review.respond_by)  # set when the review opened
    dates = _in_each_language(lambda _language: date_format(respond_by, "DATE_FORMAT"))
    title, body = _TOLD
    push_create(
        citizen=review.citizen,
        service=review.service,
        trigger=Trigger.CASE_DECISION,
        key=f"case:{review.pk}:review",
        title=title,
        body=body,
        params={
            language: {
                "service": review.service.name_zh if language == "zh-hans" else review.service.name_en,
                "changed": changed[language],
                "date": dates[language],
            }
            for language in ("zh-hans", "en")
        },
        link=f"/me/cases/{review.pk}/",
        essential=True,
        inbox_at_once=True,
    )


def _missing_ask(case: Case, result: Any) -> int:
    """Ask the person for the facts the rules could not read, once per service and period: 1 when asked now."""
    missing = sorted({key for criterion in result.results for key in criterion.missing})
    if not missing:
        return 0
    facts = _in_each_language(
        lambda language: ("、" if language == "zh-hans" else "; ").join(map(field_label, missing))
    )
    title, body = _ASKED
    push = push_create(
        citizen=case.citizen,
        service=case.service,
        trigger=Trigger.CASE_DECISION,
        key=f"review-ask:{case.period}",
        title=title,
        body=body,
        params={
            "zh-hans": {"service": case.service.name_zh, "facts": facts["zh-hans"]},
            "en": {"service": case.service.name_en, "facts": facts["en"]},
        },
        link=reverse("profiles:facts_edit"),
        essential=True,
        inbox_at_once=True,
    )
    return 0 if push is None else 1


def reviews_people_reassess(citizen_ids: Sequence[int]) -> int:
    """Profiles' hook (profiles.hooks.on_people_reassess), for the people a feed batch changed: the
    review cases opened."""
    return len(benefits_reassess(on=timezone.localdate(), citizen_ids=citizen_ids).opened)


# -- the person's response and the caseworker's decision -----------------------------------------------


def review_responded(case: Case) -> bool:
    return case.events.filter(action=CaseAction.RESPONDED).exists()


@transaction.atomic
def review_respond(*, citizen: Citizen, case_id: int, text: str) -> Case:
    """The person answers a re-assessment of their benefit before it is decided: their words go to the
    caseworker (the case's version moves on, so a caseworker deciding on what they saw before must look
    again)."""
    case = own_case_locked(citizen, case_id)
    if case.origin != CaseOrigin.REVIEW:
        raise PortalError("not_a_review", _("Only a re-assessment of your benefit can be answered here."))
    if case.state not in (CaseState.IN_REVIEW, CaseState.AWAITING_SECOND):
        raise CaseConflict("already_decided", _("This re-assessment has already been decided."))
    if not text.strip():
        message = _("Say what you want the caseworker to know.")
        raise PortalError("text_required", message, fields={"text": [message]})
    event = transition_record(case, to=CaseState(case.state), action=CaseAction.RESPONDED, tell=False)
    # the person's words apart from the append-only history, so that closing the account erases them
    CaseObjection.objects.create(event=event, text=text.strip()[:2000])
    return case


def review_case_event(case: Case, event: CaseEvent) -> None:
    """casework.hooks.on_case_event: a review decided leaves its mark on the benefit's own case (kept, or
    stopped from the next period). A stop before the person responded or their time to respond is over
    is refused, and the decision with it."""
    if case.origin != CaseOrigin.REVIEW or case.reviewed_case_id is None:
        return
    if event.action == CaseAction.REJECTED:
        if case.respond_by and timezone.localdate() <= case.respond_by and not review_responded(case):
            raise CaseConflict(
                "response_pending",
                _("The person may respond until %(date)s: stop the benefit after that, or once they respond.")
                % {"date": date_format(case.respond_by, "DATE_FORMAT")},
            )
        reviewed = Case.objects.select_related("service").get(pk=case.reviewed_case_id)
        CaseEvent.objects.create(
            case=reviewed,
            action=CaseAction.BENEFIT_STOPPED,
            actor=event.actor,
            reason_code=event.reason_code,
            # the period from which it stops, in words when shown (selectors.event_text)
            text=next_period(reviewed.service.benefit_period, reviewed.period),
        )
    elif event.action == CaseAction.APPROVED:
        CaseEvent.objects.create(
            case_id=case.reviewed_case_id,
            action=CaseAction.BENEFIT_KEPT,
            actor=event.actor,
            reason_code=event.reason_code,
        )
