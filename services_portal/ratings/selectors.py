"""Reading ratings: the applicant's own, the follow-ups a caseworker may answer (their region and
department, overdue ones flagged), and satisfaction per service and per department for administrators
and auditors (figures only: no person in them)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, BooleanField, Count, ExpressionWrapper, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from profiles.models import Citizen, User
from profiles.permissions import allowed, scope_prefix
from services_portal.casework.models import ENDED_STATES, Case
from services_portal.catalog.models import Department, ServiceItem
from services_portal.ratings.models import DISSATISFIED_LEVELS, SATISFIED_LEVELS, FollowUp, FollowUpState, Rating


def rating_of(case: Case) -> Rating | None:
    """The rating of a case with its follow-up, or None."""
    return Rating.objects.select_related("follow_up").filter(case=case).first()


def rating_open_to(citizen: Citizen, case: Case) -> bool:
    """Whether the person may rate the case now: theirs, ended, not rated yet."""
    return (
        case.citizen_id == citizen.pk and case.state in ENDED_STATES and not Rating.objects.filter(case=case).exists()
    )


def own_rated_case_get(citizen: Citizen, case_id: int) -> Case:
    """One of the person's own cases, for the rating page; 404 for anyone else's."""
    case = Case.objects.select_related("service__department").filter(pk=case_id, citizen=citizen).first()
    if case is None:
        raise Http404
    return case


# -- caseworkers ---------------------------------------------------------------------------------


class FollowUpFilter:
    OPEN = "open"
    OVERDUE = "overdue"
    ANSWERED = "answered"
    ALL = "all"


def _follow_ups_in_scope(user: User) -> QuerySet[FollowUp]:
    """The follow-ups of cases the caseworker may see (casework.services.case_in_scope as a query):
    in their region and, if they belong to a department, of its services."""
    prefix = scope_prefix(user) if allowed(user, "casework.decide") else None
    if prefix is None:
        return FollowUp.objects.none()
    follow_ups = FollowUp.objects.filter(rating__case__region_code__startswith=prefix)
    if user.department:
        follow_ups = follow_ups.filter(department__code=user.department)
    return follow_ups


def _with_overdue(follow_ups: QuerySet[FollowUp], today: datetime.date) -> QuerySet[FollowUp]:
    return follow_ups.annotate(
        overdue=ExpressionWrapper(Q(state=FollowUpState.OPEN, due_on__lt=today), output_field=BooleanField())
    )


def follow_ups_for(user: User, *, show: str = FollowUpFilter.OPEN) -> QuerySet[FollowUp]:
    """The follow-ups the caseworker may answer, each with `overdue`: open ones (default) by due date,
    the overdue ones only, the answered ones newest first, or all."""
    today = timezone.localdate()
    follow_ups = _with_overdue(_follow_ups_in_scope(user), today).select_related(
        "rating__case__service", "department", "answered_by"
    )
    if show == FollowUpFilter.ANSWERED:
        return follow_ups.filter(state=FollowUpState.ANSWERED).order_by("-answered_at", "-id")
    if show == FollowUpFilter.OVERDUE:
        return follow_ups.filter(state=FollowUpState.OPEN, due_on__lt=today).order_by("due_on", "id")
    if show == FollowUpFilter.ALL:
        return follow_ups.order_by("state", "due_on", "id")
    return follow_ups.filter(state=FollowUpState.OPEN).order_by("due_on", "id")


def follow_up_get_for(user: User, follow_up_id: int) -> FollowUp:
    """One follow-up the caseworker may answer; 404 for any other, so nobody learns what exists."""
    follow_up = follow_ups_for(user, show=FollowUpFilter.ALL).filter(pk=follow_up_id).first()
    if follow_up is None:
        raise Http404
    return follow_up


# -- satisfaction --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Satisfaction:
    """The figures of one service or department: ratings, the share satisfied (好评率: the three
    satisfied levels), the average level (1-5), dissatisfied ratings (差评), and their follow-ups
    still open and overdue."""

    code: str
    name: str
    department: str
    ratings: int
    satisfied: int
    average_level: float | None
    dissatisfied: int
    follow_ups_open: int
    follow_ups_overdue: int

    @property
    def satisfied_share(self) -> float | None:
        return self.satisfied / self.ratings if self.ratings else None

    @property
    def satisfied_percent(self) -> str:
        share = self.satisfied_share
        return "" if share is None else f"{share * 100:.1f}"


def _ratings_in_scope(user: User, since: datetime.date | None, until: datetime.date | None) -> QuerySet[Rating]:
    allowed_to_read = allowed(user, "ratings.report")
    prefix = scope_prefix(user) if allowed_to_read else None
    if prefix is None:
        return Rating.objects.none()
    ratings = Rating.objects.filter(case__region_code__startswith=prefix)
    if since:
        ratings = ratings.filter(created_at__date__gte=since)
    if until:
        ratings = ratings.filter(created_at__date__lte=until)
    return ratings


def _figures(ratings: QuerySet[Rating], group: str, names: dict[str, tuple[str, str]]) -> list[Satisfaction]:
    today = timezone.localdate()
    rows = (
        ratings.values(code=F(group))
        .annotate(
            ratings=Count("id"),
            satisfied=Count("id", filter=Q(level__in=SATISFIED_LEVELS)),
            average_level=Avg("level"),
            dissatisfied_count=Count("id", filter=Q(level__in=DISSATISFIED_LEVELS)),
            follow_ups_open=Count("id", filter=Q(follow_up__state=FollowUpState.OPEN)),
            follow_ups_overdue=Count("id", filter=Q(follow_up__state=FollowUpState.OPEN, follow_up__due_on__lt=today)),
        )
        .order_by("code")
    )
    return [
        Satisfaction(
            code=row["code"],
            name=names.get(row["code"], (row["code"], ""))[0],
            department=names.get(row["code"], ("", ""))[1],
            ratings=row["ratings"],
            satisfied=row["satisfied"],
            average_level=round(float(row["average_level"]), 2) if row["average_level"] is not None else None,
            dissatisfied=row["dissatisfied_count"],
            follow_ups_open=row["follow_ups_open"],
            follow_ups_overdue=row["follow_ups_overdue"],
        )
        for row in rows
    ]


def satisfaction_by_service(
    user: User, *, since: datetime.date | None = None, until: datetime.date | None = None
) -> list[Satisfaction]:
    """Satisfaction per service, for the ratings of cases in the reader's region scope (all of them for
    an administrator without one), rated between `since` and `until`."""
    ratings = _ratings_in_scope(user, since, until)
    codes = set(ratings.values_list("case__service__code", flat=True))
    names = {
        service.code: (service.name, service.department.name)
        for service in ServiceItem.objects.filter(code__in=codes).select_related("department")
    }
    return _figures(ratings, "case__service__code", names)


def satisfaction_by_department(
    user: User, *, since: datetime.date | None = None, until: datetime.date | None = None
) -> list[Satisfaction]:
    """Satisfaction per department (the department of each case's service), as satisfaction_by_service."""
    ratings = _ratings_in_scope(user, since, until)
    codes = set(ratings.values_list("case__service__department__code", flat=True))
    names = {department.code: (department.name, "") for department in Department.objects.filter(code__in=codes)}
    return _figures(ratings, "case__service__department__code", names)


def ratings_export_sections(citizen: Citizen) -> dict[str, Any]:
    """The person's part of their data export (profiles.hooks.export_sections): their ratings, with the
    department's follow-up of each dissatisfied one."""
    ratings = Rating.objects.filter(citizen=citizen).select_related("case__service", "follow_up").order_by("created_at")
    return {
        "ratings": [
            {
                "case": rating.case_id,
                "service": rating.case.service.code,
                "service_name": rating.case.service.name,
                "level": rating.level,
                "level_label": rating.get_level_display(),
                "reasons": rating.reason_items(),
                "text": rating.text,
                "channel": rating.channel,
                "created_at": timezone.localtime(rating.created_at).isoformat(),
                "follow_up": _follow_up_export(getattr(rating, "follow_up", None)),
            }
            for rating in ratings
        ]
    }


def _follow_up_export(follow_up: FollowUp | None) -> dict[str, Any] | None:
    if follow_up is None:
        return None
    return {
        "state": follow_up.state,
        "due_on": follow_up.due_on.isoformat(),
        "response": follow_up.response,
        "answered_at": timezone.localtime(follow_up.answered_at).isoformat() if follow_up.answered_at else None,
    }
