"""The casework pages: the caseworker's queue and case page (/casework/), and the person's own
cases with their objection form (/me/cases/).

The views parse input, call one selector or service, and render; the decision rules (reasons, two
approvers, versions) live in the services, whose refusals come back as form errors or, for a case
that changed meanwhile, as a 409 page showing the case as it is now.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from profiles.display import fact_value_display, field_label
from profiles.forms import errors_from
from profiles.models import FactSource
from profiles.permissions import permission_required
from profiles.requests import AuthenticatedHttpRequest
from profiles.selectors import citizen_of, department_names
from services_portal.casework.forms import ApprovalForm, ObjectionForm, QueueFilterForm, RejectionForm
from services_portal.casework.models import ApprovalReason, Case, CaseEvent, CaseState, RejectionReason
from services_portal.casework.selectors import (
    case_get_for,
    case_queue_for,
    cases_of,
    citizen_case_get,
    event_text,
    queue_regions_for,
    queue_services,
)
from services_portal.casework.services import (
    CaseConflict,
    CaseNotFound,
    case_approve,
    case_object,
    case_reject,
)
from services_portal.core.errors import PortalError
from services_portal.core.i18n import pick
from services_portal.reference import regions

QUEUE_PAGE_SIZE = 20
DECISION_FORMS: dict[str, type[ApprovalForm | RejectionForm]] = {"approve": ApprovalForm, "reject": RejectionForm}
DECISIONS = {"approve": case_approve, "reject": case_reject}


def _request_id(request: HttpRequest) -> str:
    return getattr(request, "request_id", "")


def _age_days(case: Case, today: datetime.date) -> int:
    return (today - timezone.localdate(case.opened_at)).days


def _region_name(code: str) -> str:
    return regions.display_name(code) if code else ""


# -- what a case shows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceRow:
    label: str
    value: str
    source: str
    department: str
    observed_at: datetime.datetime | None


@dataclass(frozen=True)
class HistoryRow:
    event: CaseEvent
    action: str
    reason: str
    text: str


def _evidence_rows(case: Case) -> list[EvidenceRow]:
    departments = department_names()
    sources = dict(FactSource.choices)
    return [
        EvidenceRow(
            label=field_label(item["fact"]),
            value=fact_value_display(item["fact"], item["value"]),
            source=str(sources.get(item.get("source", ""), item.get("source", ""))),
            department=departments.get(item.get("department", ""), item.get("department", "")),
            observed_at=parse_datetime(item["observed_at"]) if item.get("observed_at") else None,
        )
        for item in case.evidence
    ]


def _criteria(case: Case) -> list[str]:
    return [pick({"zh-hans": item.get("label_zh", ""), "en": item.get("label_en", "")}) for item in case.criteria]


def _reason_label(code: str) -> str:
    for reasons in (ApprovalReason, RejectionReason):
        if code in reasons.values:
            return str(reasons(code).label)
    return ""


def _history(case: Case) -> list[HistoryRow]:
    return [
        HistoryRow(event, event.get_action_display(), _reason_label(event.reason_code), event_text(event))
        for event in case.events.all()
    ]


# -- the caseworker's pages ----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    case: Case
    region_name: str
    age_days: int


@permission_required("casework.decide")
@require_GET
def queue_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET, services=queue_services(), areas=queue_regions_for(request.user))
    form.is_valid()
    filters = form.filters()
    paginator = Paginator(case_queue_for(request.user, **filters), request.display.page_size(QUEUE_PAGE_SIZE))
    page = paginator.get_page(request.GET.get("page"))
    today = timezone.localdate()
    context = {
        "form": form,
        "page": page,
        "rows": [QueueRow(case, _region_name(case.region_code), _age_days(case, today)) for case in page],
        "filtered": any(request.GET.get(name) for name in ("service", "region", "sort")),
        "scope_name": _region_name(request.user.region_scope),
    }
    return render(request, "casework/queue.html", context, status=400 if form.errors else 200)


def _case_page(
    request: AuthenticatedHttpRequest,
    case: Case,
    *,
    bound: ApprovalForm | RejectionForm | None = None,
    conflict: str = "",
    status: int = 200,
) -> HttpResponse:
    """The case page. `bound` is a decision form sent back with its errors; the other form starts
    afresh with the case's current version."""
    forms = {
        name: bound if bound is not None and bound.decision == name else form_class(initial={"version": case.version})
        for name, form_class in DECISION_FORMS.items()
    }
    first_approval_mine = case.state == CaseState.AWAITING_SECOND and case.first_approver_id == request.user.pk
    context = {
        "case": case,
        "region_name": _region_name(case.region_code),
        "age_days": _age_days(case, timezone.localdate()),
        "criteria": _criteria(case),
        "evidence": _evidence_rows(case),
        "history": _history(case),
        "approval_form": forms["approve"],
        "rejection_form": forms["reject"],
        "bound": bound,
        "conflict": conflict,
        "undecided": case.state in (CaseState.IN_REVIEW, CaseState.AWAITING_SECOND),
        "first_approval_mine": first_approval_mine,
        # A refused approval is shown where it was made, even to the first approver.
        "show_approval": not first_approval_mine or (bound is not None and bound.decision == "approve"),
    }
    return render(request, "casework/case.html", context, status=status)


def _decided_message(case: Case) -> str:
    if case.state == CaseState.AWAITING_SECOND:
        return _("Case %(number)s: your approval is recorded. A second caseworker must now approve it.") % {
            "number": case.pk
        }
    if case.state == CaseState.APPROVED:
        return _("Case %(number)s is approved. The person has been told.") % {"number": case.pk}
    return _("Case %(number)s is rejected. The person has been told and can object.") % {"number": case.pk}


@permission_required("casework.decide")
@require_http_methods(["GET", "POST"])
def case_page(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    if request.method != "POST":
        return _case_page(request, case_get_for(request.user, case_id, _request_id(request)))
    decision = request.POST.get("decision", "")
    if decision not in DECISION_FORMS:
        return HttpResponseBadRequest()
    form = DECISION_FORMS[decision](request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            case = DECISIONS[decision](
                case_id=case_id,
                actor=request.user,
                reason_code=data["reason_code"],
                text=data["text"],
                version=data["version"],
            )
        except CaseNotFound:
            raise Http404 from None
        except CaseConflict as conflict:
            fresh = case_get_for(request.user, case_id, _request_id(request))
            return _case_page(request, fresh, conflict=conflict.message, status=409)
        except PortalError as error:
            errors_from(form, error)
        else:
            messages.success(request, _decided_message(case))
            return redirect("casework:queue")
    case = case_get_for(request.user, case_id, _request_id(request))
    return _case_page(request, case, bound=form, status=400)


# -- the person's own cases ----------------------------------------------------------------------


@login_required
@require_GET
def my_cases_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    return render(request, "casework/my_cases.html", {"cases": cases_of(citizen)})


def _my_case_page(request: AuthenticatedHttpRequest, case: Case, form: ObjectionForm | None = None) -> HttpResponse:
    context: dict[str, Any] = {
        "case": case,
        "criteria": _criteria(case),
        "evidence": _evidence_rows(case),
        "history": _history(case),
        "can_object": case.open_to_objection,
        "form": form or ObjectionForm(auto_id="objection-%s"),
    }
    return render(request, "casework/my_case.html", context, status=400 if form is not None and form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def my_case_page(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    citizen = citizen_of(request.user)
    case = citizen_case_get(citizen, case_id)
    if request.method != "POST":
        return _my_case_page(request, case)
    form = ObjectionForm(request.POST, auto_id="objection-%s")
    if form.is_valid():
        try:
            case_object(citizen=citizen, case_id=case.pk, text=form.cleaned_data["text"])
        except PortalError as error:
            errors_from(form, error)
        else:
            messages.success(request, _("Your objection is sent. A caseworker will decide your case again."))
            return redirect("casework:my_case", case_id=case.pk)
    return _my_case_page(request, citizen_case_get(citizen, case_id), form)
