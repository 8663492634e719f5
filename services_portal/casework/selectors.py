"""Reading cases: the caseworker's queue and case page (scoped to their region, the page logged as a
read of the person's data) and the person's own cases."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, OrderBy, Prefetch, QuerySet
from django.http import Http404

from profiles.models import AccessChannel, AccessPurpose, Citizen, User
from profiles.permissions import allowed, scope_prefix
from profiles.services.access import IDENTITY_FIELDS, citizen_read_for
from services_portal.casework.models import UNDECIDED_STATES, Case, CaseAction, CaseEvent
from services_portal.catalog.models import ServiceItem
from services_portal.reference import regions
from services_portal.reference.regions import Region


class QueueSort:
    AGE = "age"
    AMOUNT = "amount"
    REGION = "region"


QUEUE_ORDER: dict[str, list[str | OrderBy]] = {
    QueueSort.AGE: ["opened_at", "id"],
    QueueSort.AMOUNT: [F("amount_cny").desc(nulls_last=True), "opened_at", "id"],
    QueueSort.REGION: ["region_code", "opened_at", "id"],
}


def _cases_in_scope(user: User) -> QuerySet[Case]:
    """Cases in the caseworker's region and below; none for anyone else."""
    prefix = scope_prefix(user) if allowed(user, "casework.decide") else None
    if prefix is None:
        return Case.objects.none()
    return Case.objects.filter(region_code__startswith=prefix)


def case_queue_for(
    user: User, *, service: str = "", region: str = "", state: str = "", sort: str = QueueSort.AGE
) -> QuerySet[Case]:
    """The cases waiting for a decision (or in `state`) that the caseworker may decide, filtered by
    service code and region code (a city or county: it and everything under it), oldest first unless
    sorted by amount or region."""
    cases = _cases_in_scope(user).select_related("citizen", "service", "first_approver")
    cases = cases.filter(state=state) if state else cases.filter(state__in=UNDECIDED_STATES)
    if service:
        cases = cases.filter(service__code=service)
    if region:
        chosen = regions.get(region)
        if chosen is None:
            return cases.none()
        cases = cases.filter(region_code__startswith=chosen.scope_prefix)
    return cases.order_by(*QUEUE_ORDER.get(sort, QUEUE_ORDER[QueueSort.AGE]))


def queue_regions_for(user: User) -> list[Region]:
    """The cities and counties within the caseworker's scope, the queue's region filter's choices."""
    prefix = scope_prefix(user) if allowed(user, "casework.decide") else None
    if prefix is None:
        return []
    return sorted(
        (
            region
            for region in regions.all_regions()
            if region.level in ("city", "county") and region.code.startswith(prefix)
        ),
        key=lambda region: region.code,
    )


def queue_services() -> QuerySet[ServiceItem]:
    """The services a case can be about: those granted without application."""
    return ServiceItem.objects.filter(proactive=True).order_by("code")


def event_text(event: CaseEvent) -> str:
    """What a history row says in words: the caseworker's explanation, or what the person wrote when
    objecting (kept apart, and gone once they closed their account)."""
    objection = getattr(event, "objection", None) if event.action == CaseAction.OBJECTED else None
    return objection.text if objection is not None else event.text


def _with_history(cases: QuerySet[Case]) -> QuerySet[Case]:
    events = CaseEvent.objects.select_related("actor", "objection").order_by("created_at", "id")
    return cases.select_related("citizen", "service", "first_approver").prefetch_related(
        Prefetch("events", queryset=events)
    )


def case_evidence_fields(case: Case) -> list[str]:
    """What a caseworker reads of the person on the case page: who they are and the evidence facts."""
    return [*IDENTITY_FIELDS, *(item["fact"] for item in case.evidence)]


@transaction.atomic
def case_get_for(
    user: User, case_id: int, request_id: str = "", *, channel: AccessChannel | str = AccessChannel.PAGE
) -> Case:
    """A case with its history, if the caseworker may decide it; 404 otherwise, so that nobody learns
    what exists outside their region. Opening it is a read of the person's data, logged."""
    case = _with_history(_cases_in_scope(user)).filter(pk=case_id).first()
    if case is None:
        raise Http404
    citizen_read_for(
        user,
        citizen=case.citizen,
        fields=case_evidence_fields(case),
        purpose=AccessPurpose.CASEWORK,
        channel=channel,
        request_id=request_id,
    )
    return case


def cases_of(citizen: Citizen) -> QuerySet[Case]:
    """The person's own cases, newest first."""
    return Case.objects.filter(citizen=citizen).select_related("service").order_by("-opened_at", "-id")


def citizen_case_get(citizen: Citizen, case_id: int) -> Case:
    """One of the person's own cases, with its history; 404 for anyone else's."""
    case = _with_history(Case.objects.filter(citizen=citizen)).filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case
