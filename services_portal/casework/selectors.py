"""Reading cases: the caseworker's queue and case page (scoped to their region and, when they belong to
one, their department; the page logged as a read of the person's data) and the person's own cases."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, OrderBy, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles.models import AccessChannel, AccessPurpose, Citizen, User
from profiles.permissions import allowed, scope_prefix
from profiles.services.access import IDENTITY_FIELDS, citizen_read_for
from services_portal.casework.models import (
    ENDED_STATES,
    QUEUE_STATES,
    Application,
    Case,
    CaseAction,
    CaseEvent,
    CaseOrigin,
    CaseState,
    MaterialFile,
)
from services_portal.catalog.models import ServiceItem
from services_portal.reference import regions
from services_portal.reference.regions import Region


class QueueSort:
    AGE = "age"
    DUE = "due"
    AMOUNT = "amount"
    REGION = "region"


QUEUE_ORDER: dict[str, list[str | OrderBy]] = {
    QueueSort.AGE: ["opened_at", "id"],
    QueueSort.DUE: [F("due_on").asc(nulls_last=True), "opened_at", "id"],
    QueueSort.AMOUNT: [F("amount_cny").desc(nulls_last=True), "opened_at", "id"],
    QueueSort.REGION: ["region_code", "opened_at", "id"],
}


QUEUE_ROW_DEFERRED = (
    "evidence",
    "criteria",
    "service__description_zh",
    "service__description_en",
    "service__legal_basis_zh",
    "service__legal_basis_en",
    "service__examples",
)


class QueueView:
    """The queue's state filter: one state, or these groups of them."""

    WAITING = ""  # waiting for a caseworker: submitted, in review, awaiting a second approval
    DECIDED = "decided"  # refused at intake, approved, rejected or delivered


# The promised time limit runs only while the department holds the case: the days it waits for the
# applicant (补正, state returned) do not count (case_resubmitted moves due_on on by them), and a
# submitted case has no due date before it is accepted.
OVERDUE_STATES = (CaseState.IN_REVIEW, CaseState.AWAITING_SECOND)


def overdue_q(today: datetime.date) -> Q:
    return Q(state__in=OVERDUE_STATES, due_on__lt=today)


def case_overdue(case: Case, today: datetime.date | None = None) -> bool:
    """Whether the case is past its promised time limit (承诺时限) with the department still to decide."""
    today = today or timezone.localdate()
    return case.state in OVERDUE_STATES and case.due_on is not None and case.due_on < today


def _cases_in_scope(user: User) -> QuerySet[Case]:
    """Cases in the caseworker's region and below and, when they belong to a department, of its services
    (the queryset form of transitions.case_in_scope); none for anyone else."""
    prefix = scope_prefix(user) if allowed(user, "casework.decide") else None
    if prefix is None:
        return Case.objects.none()
    cases = Case.objects.filter(region_code__startswith=prefix) if prefix else Case.objects.all()
    if user.department:
        # the department's services as a subquery: the planner joins a handful of ids, not the catalog
        cases = cases.filter(service_id__in=ServiceItem.objects.filter(department__code=user.department).values("pk"))
    return cases


def _state_filter(state: str) -> Q:
    if state == QueueView.WAITING:
        return Q(state__in=QUEUE_STATES)
    if state == QueueView.DECIDED:
        return Q(state__in=ENDED_STATES)
    return Q(state=state)


def case_queue_for(
    user: User,
    *,
    service: str = "",
    region: str = "",
    state: str = QueueView.WAITING,
    origin: str = "",
    overdue: bool = False,
    sort: str = QueueSort.AGE,
    today: datetime.date | None = None,
) -> QuerySet[Case]:
    """The cases the caseworker may decide: by default those waiting for a caseworker (or in `state`, a
    state or QueueView.DECIDED), filtered by service code, region code (a city or county: it and
    everything under it), origin and, with `overdue`, only those past their promised time limit;
    oldest first unless sorted by due date, amount or region."""
    cases = (
        _cases_in_scope(user)
        .filter(_state_filter(state))
        .select_related("service", "first_approver")
        # a queue row shows neither the evidence nor the service's texts: not read for every row
        .defer(*QUEUE_ROW_DEFERRED)
    )
    if service:
        cases = cases.filter(service__code=service)
    if region:
        chosen = regions.get(region)
        if chosen is None:
            return cases.none()
        cases = cases.filter(region_code__startswith=chosen.scope_prefix)
    if origin:
        cases = cases.filter(origin=origin)
    if overdue:
        cases = cases.filter(overdue_q(today or timezone.localdate()))
    return cases.order_by(*QUEUE_ORDER.get(sort, QUEUE_ORDER[QueueSort.AGE]))


@dataclass(frozen=True)
class QueueCounts:
    """The queue page's header: what waits for the caseworker's region and department."""

    waiting: int  # for a caseworker: submitted, in review, awaiting a second approval
    overdue: int  # of those, past the promised time limit
    returned: int  # waiting for the applicant (补正)
    submitted: int  # waiting to be accepted (受理)


def queue_counts_for(user: User, *, today: datetime.date | None = None) -> QueueCounts:
    """The header's counts in one query over the undecided cases in the caseworker's scope."""
    today = today or timezone.localdate()
    counts = (
        _cases_in_scope(user)
        .filter(state__in=[*QUEUE_STATES, CaseState.RETURNED])
        .aggregate(
            waiting=Count("pk", filter=Q(state__in=QUEUE_STATES)),
            overdue=Count("pk", filter=overdue_q(today)),
            returned=Count("pk", filter=Q(state=CaseState.RETURNED)),
            submitted=Count("pk", filter=Q(state=CaseState.SUBMITTED)),
        )
    )
    return QueueCounts(**counts)


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


def queue_services_for(user: User) -> QuerySet[ServiceItem]:
    """The services whose cases the caseworker decides: their department's, or all for a caseworker of
    none; the queue's service filter's choices."""
    services = ServiceItem.objects.only("code", "name_zh", "name_en").order_by("code")
    if user.department:
        services = services.filter(department__code=user.department)
    return services


# History rows whose words are the person's own, kept apart (CaseObjection).
PERSON_WORDS = (CaseAction.OBJECTED, CaseAction.RESUBMITTED, CaseAction.RESPONDED)


def event_text(event: CaseEvent) -> str:
    """What a history row says in words: the caseworker's explanation, or what the person wrote when
    objecting (kept apart, and gone once they closed their account)."""
    if event.action == CaseAction.BENEFIT_STOPPED:
        # the text holds the period from which the benefit stops (casework.services.reassessment)
        return _("The benefit stops from the period %(period)s on.") % {"period": event.text}
    objection = getattr(event, "objection", None) if event.action in PERSON_WORDS else None
    return objection.text if objection is not None else event.text


def _with_history(cases: QuerySet[Case]) -> QuerySet[Case]:
    events = CaseEvent.objects.select_related("actor", "objection").order_by("created_at", "id")
    return cases.select_related("citizen", "service", "first_approver", "reviewed_case").prefetch_related(
        Prefetch("events", queryset=events)
    )


def case_evidence_fields(case: Case) -> list[str]:
    """What a caseworker reads of the person on the case page: who they are, the evidence facts and the
    facts they confirmed or gave in their application."""
    facts = [item["fact"] for item in case.evidence]
    if case.application is not None:
        facts += [item["fact"] for item in case.application.facts if item.get("fact") not in facts]
    return [*IDENTITY_FIELDS, *facts]


def case_files(case: Case) -> list[MaterialFile]:
    """The files uploaded with the case's application (for every service of a bundle), oldest first."""
    if case.application_id is None:
        return []
    return list(MaterialFile.objects.filter(application_id=case.application_id).order_by("uploaded_at", "id"))


def case_in_scope_get(user: User, case_id: int) -> Case:
    """A case with its service, if the caseworker may decide it, without reading the person's data
    (a step sent from the case page is checked against its service); 404 otherwise."""
    case = _cases_in_scope(user).select_related("service").filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case


@transaction.atomic
def case_get_for(
    user: User, case_id: int, request_id: str = "", *, channel: AccessChannel | str = AccessChannel.PAGE
) -> Case:
    """A case with its history and application, if the caseworker may decide it; 404 otherwise, so that
    nobody learns what exists outside their region or department. Opening it is a read of the person's
    data, logged."""
    case = (
        _with_history(_cases_in_scope(user))
        .select_related("service__department", "application")
        .filter(pk=case_id)
        .first()
    )
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
    return (
        Case.objects.filter(citizen=citizen)
        .select_related("service__department", "application__bundle")
        .order_by("-opened_at", "-id")
    )


def citizen_case_get(citizen: Citizen, case_id: int) -> Case:
    """One of the person's own cases, with its history; 404 for anyone else's."""
    case = _with_history(Case.objects.filter(citizen=citizen)).filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case


def citizen_application_get(citizen: Citizen, application_id: int) -> Application:
    """One of the person's own applications with its cases (each with its service, department and
    history) and files; 404 for anyone else's."""
    cases = _with_history(Case.objects.select_related("service__department")).order_by("id")
    application = (
        Application.objects.filter(citizen=citizen, pk=application_id)
        .select_related("bundle")
        .prefetch_related(Prefetch("cases", queryset=cases), "files")
        .first()
    )
    if application is None:
        raise Http404
    return application


def citizen_application_by_key(citizen: Citizen, idempotency_key: str) -> Application | None:
    """The person's application made by a submission with this key (a retry, or a second click), if any."""
    if not idempotency_key:
        return None
    return Application.objects.filter(citizen=citizen, idempotency_key=idempotency_key).first()


@dataclass(frozen=True)
class ReviewCounts:
    """Re-assessments (动态认定) of benefits in force in a region: 错保 found and resolved. No person in it."""

    found: int  # review cases opened
    open: int  # waiting for a decision (or for the person)
    kept: int  # the benefit continues
    stopped: int  # the benefit stops from the next period

    @property
    def resolved(self) -> int:
        return self.kept + self.stopped


def reviews_count(*, region_prefix: str) -> ReviewCounts:
    """The re-assessments of benefits in the region `region_prefix` and below ("" the province), in one query."""
    reviews = Case.objects.filter(origin=CaseOrigin.REVIEW)
    if region_prefix:
        reviews = reviews.filter(region_code__startswith=region_prefix)
    counts = reviews.aggregate(
        found=Count("pk"),
        open=Count("pk", filter=Q(state__in=[CaseState.IN_REVIEW, CaseState.RETURNED, CaseState.AWAITING_SECOND])),
        kept=Count("pk", filter=Q(state__in=[CaseState.APPROVED, CaseState.DELIVERED])),
        stopped=Count("pk", filter=Q(state=CaseState.REJECTED)),
    )
    return ReviewCounts(**counts)


def review_responses(case: Case) -> list[CaseEvent]:
    """The person's responses to a re-assessment, oldest first (from the prefetched history)."""
    return [event for event in case.events.all() if event.action == CaseAction.RESPONDED]
