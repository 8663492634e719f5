"""The casework pages: the caseworker's queue and case page (/casework/), and the person's own
cases with their objection form (/me/cases/).

The views parse input, call one selector or service, and render; the decision rules (reasons, two
approvers, versions) live in the services, whose refusals come back as form errors or, for a case
that changed meanwhile, as a 409 page showing the case as it is now.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from profiles.display import fact_value_display, field_label
from profiles.forms import errors_from
from profiles.models import FactSource
from profiles.permissions import permission_required
from profiles.requests import AuthenticatedHttpRequest
from profiles.selectors import citizen_of, department_names
from services_portal.casework import hooks
from services_portal.casework.forms import STEP_FORMS, ObjectionForm, QueueFilterForm, ReviewResponseForm, StepForm
from services_portal.casework.forms_apply import ResubmitForm, WithdrawForm
from services_portal.casework.models import (
    ApprovalReason,
    Case,
    CaseEvent,
    CaseOrigin,
    CaseState,
    MaterialFile,
    RefusalReason,
    RejectionReason,
)
from services_portal.casework.selectors import (
    case_files,
    case_get_for,
    case_in_scope_get,
    case_overdue,
    case_queue_for,
    cases_of,
    citizen_case_get,
    event_text,
    queue_counts_for,
    queue_regions_for,
    queue_services_for,
    review_responses,
)
from services_portal.casework.services import (
    CaseConflict,
    CaseNotFound,
    case_accept,
    case_approve,
    case_deliver,
    case_object,
    case_refuse,
    case_reject,
    case_return,
    case_withdraw,
    review_respond,
)
from services_portal.casework.services.applications import case_resubmit
from services_portal.casework.views_apply import case_progress
from services_portal.core.errors import PortalError
from services_portal.core.i18n import pick
from services_portal.reference import regions

QUEUE_PAGE_SIZE = 20
# Each step of the case page: the transition it calls with the form's cleaned data.
STEPS: dict[str, Callable[..., Case]] = {
    "accept": lambda data, **who: case_accept(version=data["version"], **who),
    "refuse": lambda data, **who: case_refuse(
        version=data["version"], reason_code=data["reason_code"], text=data["text"], **who
    ),
    "return": lambda data, **who: case_return(
        version=data["version"],
        materials=data["materials"],
        text=data["text"],
        resubmit_by=data["resubmit_by"],
        **who,
    ),
    "approve": lambda data, **who: case_approve(
        version=data["version"], reason_code=data["reason_code"], text=data["text"], **who
    ),
    "reject": lambda data, **who: case_reject(
        version=data["version"], reason_code=data["reason_code"], text=data["text"], **who
    ),
    "deliver": lambda data, **who: case_deliver(version=data["version"], text=data["text"], **who),
}


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
    for reasons in (ApprovalReason, RejectionReason, RefusalReason):
        if code in reasons.values:
            return str(reasons(code).label)
    return ""


def _history(case: Case) -> list[HistoryRow]:
    return [
        HistoryRow(event, event.get_action_display(), _reason_label(event.reason_code), event_text(event))
        for event in case.events.all()
    ]


# -- a re-assessment (动态认定) -------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeRow:
    """A criterion no longer met, with a fact it reads: its value now and before."""

    criterion: str
    label: str
    value: str
    source: str
    department: str
    observed_at: datetime.datetime | None
    value_before: str  # "" when the history holds no earlier value
    observed_before: datetime.datetime | None


@dataclass(frozen=True)
class ReviewView:
    reviewed: Case
    changes: list[ChangeRow]
    responses: list[CaseEvent]
    open: bool  # not decided yet: the person may still respond


def _review_view(case: Case) -> ReviewView | None:
    if case.origin != CaseOrigin.REVIEW or case.reviewed_case is None:
        return None
    departments = department_names()
    sources = dict(FactSource.choices)
    criteria = {item.get("key"): item for item in case.criteria}
    changes = [
        ChangeRow(
            criterion=pick(
                {
                    "zh-hans": criteria.get(item.get("criterion"), {}).get("label_zh", ""),
                    "en": criteria.get(item.get("criterion"), {}).get("label_en", ""),
                }
            ),
            label=field_label(item["fact"]),
            value=fact_value_display(item["fact"], item["value"]),
            source=str(sources.get(item.get("source", ""), item.get("source", ""))),
            department=departments.get(item.get("department", ""), item.get("department", "")),
            observed_at=parse_datetime(item["observed_at"]) if item.get("observed_at") else None,
            value_before=fact_value_display(item["fact"], item["value_before"])
            if item.get("value_before") is not None
            else "",
            observed_before=parse_datetime(item["observed_before"]) if item.get("observed_before") else None,
        )
        for item in case.evidence
    ]
    return ReviewView(
        reviewed=case.reviewed_case,
        changes=changes,
        responses=review_responses(case),
        open=case.state in (CaseState.IN_REVIEW, CaseState.AWAITING_SECOND),
    )


# -- the caseworker's pages ----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    case: Case
    region_name: str
    age_days: int
    overdue: bool


@permission_required("casework.decide")
@require_GET
def queue_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = QueueFilterForm(request.GET, services=queue_services_for(user), areas=queue_regions_for(user))
    form.is_valid()
    filters = form.filters()
    today = timezone.localdate()
    paginator = Paginator(case_queue_for(user, today=today, **filters), request.display.page_size(QUEUE_PAGE_SIZE))
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [
            QueueRow(case, _region_name(case.region_code), _age_days(case, today), case_overdue(case, today))
            for case in page
        ],
        "counts": queue_counts_for(user, today=today),
        "waiting_view": not filters["state"],
        "filtered": any(request.GET.get(name) for name in ("state", "origin", "service", "region", "overdue", "sort")),
        "scope_name": _region_name(user.region_scope),
        "department_name": department_names().get(user.department, user.department) if user.department else "",
    }
    return render(request, "casework/queue.html", context, status=400 if form.errors else 200)


@dataclass(frozen=True)
class MaterialRow:
    """A material of the case's service with the files uploaded for it."""

    code: str
    name: str
    required: bool
    shared: bool  # the department obtains it itself: nothing to upload
    files: list[MaterialFile]

    @property
    def missing(self) -> bool:
        return self.required and not self.shared and not self.files


def _material_rows(case: Case) -> list[MaterialRow]:
    files = case_files(case)
    rows = [
        MaterialRow(
            code=material["code"],
            name=pick(material),
            required=material.get("required", True),
            shared=material.get("shared", False),
            files=[file for file in files if file.material == material["code"]],
        )
        for material in case.service.materials
    ]
    return rows


def _fact_rows(case: Case) -> list[EvidenceRow]:
    """The facts the applicant confirmed or gave, each with its source."""
    if case.application is None:
        return []
    departments = department_names()
    # as a caseworker reads them: "You told us" is the person's own view of what they declared
    sources = {**dict(FactSource.choices), FactSource.SELF_DECLARED: _("Declared by the applicant")}
    return [
        EvidenceRow(
            label=field_label(item["fact"]),
            value=fact_value_display(item["fact"], item.get("value")),
            source=str(sources.get(item.get("source", ""), item.get("source", ""))),
            department=departments.get(item.get("department", ""), item.get("department", "")),
            observed_at=None,
        )
        for item in case.application.facts
    ]


def _open_steps(case: Case, user_id: int) -> list[str]:
    """The steps the case page offers in the case's state."""
    application = case.application_id is not None
    if case.state == CaseState.SUBMITTED:
        return ["accept", "refuse", *(["return"] if application else [])]
    if case.state == CaseState.IN_REVIEW:
        return [*(["return"] if application else []), "approve", "reject"]
    if case.state == CaseState.AWAITING_SECOND:
        return ["reject"] if case.first_approver_id == user_id else ["approve", "reject"]
    # a benefit that pays is delivered when payments see it paid; a re-assessment kept delivers nothing
    if (
        case.state == CaseState.APPROVED
        and case.service.benefit_amount_cny is None
        and case.origin != CaseOrigin.REVIEW
    ):
        return ["deliver"]
    return []


def _case_page(
    request: AuthenticatedHttpRequest,
    case: Case,
    *,
    bound: StepForm | None = None,
    conflict: str = "",
    status: int = 200,
) -> HttpResponse:
    """The case page. `bound` is a step's form sent back with its errors; the others start afresh with
    the case's current version."""
    open_steps = _open_steps(case, request.user.pk)
    if bound is not None and bound.decision not in open_steps:
        # a refused approval is shown where it was made, even to the first approver
        open_steps.append(bound.decision)
    forms = {
        name: bound
        if bound is not None and bound.decision == name
        else STEP_FORMS[name](initial={"version": case.version}, case=case)
        for name in open_steps
    }
    today = timezone.localdate()
    context = {
        "case": case,
        "region_name": _region_name(case.region_code),
        "age_days": _age_days(case, today),
        "overdue": case_overdue(case, today),
        "criteria": _criteria_results(case),
        "evidence": _evidence_rows(case),
        "facts": _fact_rows(case),
        "materials": _material_rows(case) if case.application_id else [],
        "returned_materials": _returned_names(case),
        "history": _history(case),
        "forms": forms,
        "bound": bound,
        "conflict": conflict,
        "first_approval_mine": case.state == CaseState.AWAITING_SECOND and case.first_approver_id == request.user.pk,
        "review": _review_view(case),
    }
    return render(request, "casework/case.html", context, status=status)


@dataclass(frozen=True)
class CriterionRow:
    label: str
    status: str  # met / not_met / unknown


def _criteria_results(case: Case) -> list[CriterionRow]:
    return [
        CriterionRow(
            label=pick({"zh-hans": item.get("label_zh", ""), "en": item.get("label_en", "")}),
            status=item.get("status", ""),
        )
        for item in case.criteria
    ]


def _returned_names(case: Case) -> list[str]:
    names = {material["code"]: pick(material) for material in case.service.materials}
    return [names.get(code, code) for code in case.returned_materials]


def _step_message(case: Case, decision: str) -> str:
    number = {"number": case.pk}
    if decision == "accept":
        return _("Case %(number)s is accepted. Its time limit runs from today.") % number
    if decision == "refuse":
        return _("Case %(number)s is not accepted. The person has been told why.") % number
    if decision == "return":
        return _("Case %(number)s is returned for more. The person has been told what is needed and by when.") % number
    if decision == "deliver":
        return _("Case %(number)s is delivered. The person has been told.") % number
    if case.state == CaseState.AWAITING_SECOND:
        return _("Case %(number)s: your approval is recorded. A second caseworker must now approve it.") % number
    if case.origin == CaseOrigin.REVIEW:
        if case.state == CaseState.APPROVED:
            return _("Case %(number)s: the benefit is kept. The person has been told.") % number
        return (
            _("Case %(number)s: the benefit stops from the next period. The person has been told and can object.")
            % number
        )
    if case.state == CaseState.APPROVED:
        return _("Case %(number)s is approved. The person has been told.") % number
    return _("Case %(number)s is rejected. The person has been told and can object.") % number


@permission_required("casework.decide")
@require_http_methods(["GET", "POST"])
def case_page(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    if request.method != "POST":
        return _case_page(request, case_get_for(request.user, case_id, _request_id(request)))
    decision = request.POST.get("decision", "")
    if decision not in STEP_FORMS:
        return HttpResponseBadRequest()
    # the form reads the service's materials; showing the case again is the logged read
    form = STEP_FORMS[decision](request.POST, case=case_in_scope_get(request.user, case_id))
    if form.is_valid():
        try:
            case = STEPS[decision](form.cleaned_data, case_id=case_id, actor=request.user)
        except CaseNotFound:
            raise Http404 from None
        except CaseConflict as conflict:
            fresh = case_get_for(request.user, case_id, _request_id(request))
            return _case_page(request, fresh, conflict=conflict.message, status=409)
        except PortalError as error:
            errors_from(form, error)
        else:
            messages.success(request, _step_message(case, decision))
            return redirect("casework:queue")
    return _case_page(request, case_get_for(request.user, case_id, _request_id(request)), bound=form, status=400)


# -- the person's own cases ----------------------------------------------------------------------


@login_required
@require_GET
def my_cases_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    return render(request, "casework/my_cases.html", {"cases": cases_of(citizen)})


def _resubmit_materials(case: Case) -> list[tuple[str, str]]:
    """The files a returned case asks for: the materials returned, or any the service takes when only
    words were asked for."""
    uploadable = [
        (material["code"], pick(material)) for material in case.service.materials if not material.get("shared")
    ]
    returned = [item for item in uploadable if item[0] in case.returned_materials]
    return returned or uploadable


def _my_case_page(
    request: AuthenticatedHttpRequest,
    case: Case,
    *,
    objection: ObjectionForm | None = None,
    resubmit: ResubmitForm | None = None,
    withdraw: WithdrawForm | None = None,
    response: ReviewResponseForm | None = None,
) -> HttpResponse:
    bound = objection or resubmit or withdraw or response
    review = _review_view(case)
    progress = case_progress(case)
    context: dict[str, Any] = {
        "case": case,
        "progress": progress,
        "criteria": _criteria_results(case),
        "evidence": _evidence_rows(case),
        "files": case_files(case),
        "bound": bound,
        "can_object": case.open_to_objection,
        "form": objection or ObjectionForm(auto_id="objection-%s"),
        "can_resubmit": case.state == CaseState.RETURNED,
        "resubmit_form": resubmit or ResubmitForm(materials=_resubmit_materials(case)),
        # a re-assessment is not the person's application: they respond to it, they do not withdraw it
        "can_withdraw": progress.undecided and review is None,
        "review": review,
        "response_form": response or ReviewResponseForm(auto_id="response-%s"),
        "withdraw_form": withdraw or WithdrawForm(auto_id="withdraw-%s"),
        # parts the apps above draw (payments, ratings): their own HTML, escaped by their templates
        "parts": mark_safe("".join(hooks.case_page_parts.collect(case, request))),  # noqa: S308
    }
    status = 400 if bound is not None and bound.errors else 200
    return render(request, "casework/my_case.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def my_case_page(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    citizen = citizen_of(request.user)
    case = citizen_case_get(citizen, case_id)
    if request.method != "POST":
        return _my_case_page(request, case)
    action = request.POST.get("action", "object")
    if action == "respond":
        response = ReviewResponseForm(request.POST, auto_id="response-%s")
        if response.is_valid():
            try:
                review_respond(citizen=citizen, case_id=case.pk, text=response.cleaned_data["text"])
            except PortalError as error:
                errors_from(response, error)
            else:
                messages.success(request, _("Your response is sent. The caseworker reads it before deciding."))
                return redirect("casework:my_case", case_id=case.pk)
        return _my_case_page(request, citizen_case_get(citizen, case_id), response=response)
    if action == "withdraw":
        withdraw = WithdrawForm(request.POST, auto_id="withdraw-%s")
        if withdraw.is_valid():
            try:
                case_withdraw(citizen=citizen, case_id=case.pk)
            except PortalError as error:
                errors_from(withdraw, error)
            else:
                messages.success(request, _("Your application is withdrawn."))
                return redirect("casework:my_case", case_id=case.pk)
        return _my_case_page(request, citizen_case_get(citizen, case_id), withdraw=withdraw)
    if action == "resubmit":
        resubmit = ResubmitForm(request.POST, request.FILES, materials=_resubmit_materials(case))
        if resubmit.is_valid():
            try:
                case_resubmit(
                    citizen=citizen,
                    case_id=case.pk,
                    files=resubmit.files_by_material(),
                    text=resubmit.cleaned_data["text"],
                )
            except PortalError as error:
                resubmit.refuse(error)
            else:
                messages.success(
                    request, _("What you sent is with the department. It will go on with your application.")
                )
                return redirect("casework:my_case", case_id=case.pk)
        return _my_case_page(request, citizen_case_get(citizen, case_id), resubmit=resubmit)
    form = ObjectionForm(request.POST, auto_id="objection-%s")
    if form.is_valid():
        try:
            case_object(citizen=citizen, case_id=case.pk, text=form.cleaned_data["text"])
        except PortalError as error:
            errors_from(form, error)
        else:
            messages.success(request, _("Your objection is sent. A caseworker will decide your case again."))
            return redirect("casework:my_case", case_id=case.pk)
    return _my_case_page(request, citizen_case_get(citizen, case_id), objection=form)
