"""Applying online (/services/<code>/apply/, /bundles/<code>/apply/) and following an application
(/me/applications/<id>/).

The flow, one address and no scripts:
1. the form (GET): what the rules say, the facts held to confirm (免填报), the facts to give, the files
   to upload, a bank account when a service pays;
2. its POST ("answers") is checked; files that pass are held in private storage (casework.held_uploads)
   so that neither the check page nor a form sent back with errors asks for them again; all good, the
   check-your-answers page is drawn, carrying the answers as hidden fields and the held files as a
   signed token;
3. the check page's POST ("check") with the declaration submits: the answers are checked again with the
   held files, then `application_submit` with an idempotency key the form was drawn with, so that a
   second click or a retry makes one application; then POST/redirect/GET to the application's page.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.forms import BoundField
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from profiles.display import fact_value_display
from profiles.facts import facts_clean
from profiles.facts.codec import fact_encode
from profiles.models import Citizen, FactSource
from profiles.requests import AuthenticatedHttpRequest
from profiles.selectors import bank_account_of, citizen_of, department_names
from profiles.services.bank_accounts import bank_account_record
from services_portal.casework.forms_apply import ApplyForm, DeclarationForm
from services_portal.casework.held_uploads import (
    HeldUpload,
    held_by_material,
    held_close,
    held_delete,
    held_open,
    held_read,
    held_token,
    uploads_hold,
)
from services_portal.casework.models import (
    UNDECIDED_STATES,
    Application,
    ApprovalReason,
    Case,
    CaseAction,
    CaseEvent,
    CaseOrigin,
    CaseState,
    RefusalReason,
    RejectionReason,
)
from services_portal.casework.selectors import citizen_application_by_key, citizen_application_get, event_text
from services_portal.casework.services.applications import (
    AlreadyApplied,
    ApplicationForm,
    HeldFact,
    application_form_for,
    application_submit,
)
from services_portal.catalog.models import Bundle, ServiceItem
from services_portal.catalog.selectors import bundle_get, service_get
from services_portal.core.errors import PortalError
from services_portal.core.i18n import pick

STEP_ANSWERS = "answers"
STEP_CHECK = "check"
# what the check page does not carry over as an answer
_NOT_ANSWERS = {"csrfmiddlewaretoken", "step", "action", "declaration", "held"}


# -- the two ways in --------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def apply_service_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    citizen = citizen_of(request.user)
    service = service_get(code=code)
    if not service.online:
        raise Http404
    return _apply(request, citizen, services=[service], bundle=None)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def apply_bundle_page(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """一件事一次办: one form for the bundle's services that are done online."""
    citizen = citizen_of(request.user)
    bundle = bundle_get(code=code)
    services = [item.service for item in bundle.items.all() if item.service.online and item.service.is_published]
    if not services:
        raise Http404
    return _apply(request, citizen, services=services, bundle=bundle)


# -- the flow ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    citizen: Citizen
    application_form: ApplicationForm
    bundle: Bundle | None
    standing: dict[str, Case]  # services applied for already: left out, each with a link to the first
    action_url: str


def _apply(
    request: AuthenticatedHttpRequest, citizen: Citizen, *, services: Sequence[ServiceItem], bundle: Bundle | None
) -> HttpResponse:
    action_url = request.path
    if request.method == "POST" and (existing := _submitted_already(request, citizen)) is not None:
        return redirect("casework:my_application", application_id=existing.pk)
    application_form = application_form_for(citizen, services=services, bundle=bundle)
    standing = dict(application_form.standing)
    if standing:
        remaining = [service for service in services if service.code not in standing]
        if not remaining:
            return _already_page(request, standing)
        application_form = application_form_for(citizen, services=remaining, bundle=bundle)
    flow = Flow(citizen, application_form, bundle, standing, action_url)
    if request.method != "POST":
        form = _apply_form(flow, initial={"idempotency_key": uuid.uuid4()})
        return _form_page(request, flow, form)
    held = held_read(citizen, request.POST.get("held", ""))
    if request.POST.get("step") == STEP_CHECK:
        return _check_posted(request, flow, held)
    return _answers_posted(request, flow, held)


def _submitted_already(request: AuthenticatedHttpRequest, citizen: Citizen) -> Application | None:
    """A second click, or a retry of a submission that went through: the application it made."""
    if request.POST.get("step") != STEP_CHECK or request.POST.get("action") == "change":
        return None
    return citizen_application_by_key(citizen, request.POST.get("idempotency_key", "").strip())


def _apply_form(flow: Flow, data: Any = None, files: Any = None, **kwargs: Any) -> ApplyForm:
    return ApplyForm(
        data,
        files,
        application_form=flow.application_form,
        bank_account=bank_account_of(flow.citizen),
        **kwargs,
    )


def _hold(form: ApplyForm) -> list[HeldUpload]:
    """The files to carry on: those held before and not replaced, and the new ones that passed."""
    kept = [item for items in form.held.values() for item in items]
    return kept + uploads_hold(form.checked)


def _answers_posted(request: AuthenticatedHttpRequest, flow: Flow, held: list[HeldUpload]) -> HttpResponse:
    form = _apply_form(flow, request.POST, request.FILES, held=held)
    valid = form.is_valid()
    held = _hold(form)
    if not valid:
        form.held = held_by_material(held)
        return _form_page(request, flow, form, held=held, status=400)
    return _check_page(request, flow, form, held)


def _check_posted(request: AuthenticatedHttpRequest, flow: Flow, held: list[HeldUpload]) -> HttpResponse:
    form = _apply_form(flow, request.POST, held=held)
    if request.POST.get("action") == "change":
        return _form_page(request, flow, form, held=held)
    if not form.is_valid():
        # a first click that went through meanwhile took the held files with it
        existing = citizen_application_by_key(flow.citizen, request.POST.get("idempotency_key", "").strip())
        if existing is not None:
            return redirect("casework:my_application", application_id=existing.pk)
        # else what was valid on the form is no longer (the held files expired, a fact changed meanwhile)
        return _form_page(request, flow, form, held=held, status=400)
    declaration = DeclarationForm(request.POST)
    if not declaration.is_valid():
        return _check_page(request, flow, form, held, declaration=declaration, status=400)
    files = held_open(held)
    try:
        with transaction.atomic():
            if form.new_bank_account():
                bank = form.bank_details()
                bank_account_record(
                    citizen=flow.citizen,
                    bank_name=bank.bank_name,
                    account_number=bank.account_number,
                    holder_name=bank.holder_name,
                    source=FactSource.SELF_DECLARED,
                )
            application = application_submit(
                citizen=flow.citizen,
                services=flow.application_form.services,
                bundle=flow.bundle,
                confirmed=form.confirmed(),
                given=form.given(),
                files=files,
                declared=True,
                origin=CaseOrigin.ONLINE,
                idempotency_key=str(form.cleaned_data["idempotency_key"]),
            )
    except AlreadyApplied as already:
        return _already_page(request, {already.case.service.code: already.case})
    except PortalError as error:
        form.refuse(error)
        return _form_page(
            request, flow, form, held=[item for items in form.held.values() for item in items], status=400
        )
    finally:
        held_close(files)
    held_delete(held)
    messages.success(request, _submitted_message(application))
    return redirect("casework:my_application", application_id=application.pk)


def _submitted_message(application: Application) -> str:
    count = application.cases.count()
    if count == 1:
        return _("Your application is sent. The department will check it and tell you whether it is accepted.")
    return _(
        "Your application is sent to %(count)d services. Each department will check its part and tell you "
        "whether it is accepted."
    ) % {"count": count}


# -- the pages --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldRow:
    """A fact held on the person as the form shows it: with its source in words, its box to confirm it
    and, for one the person told us, its field to correct it."""

    fact: HeldFact
    source: str
    department: str
    box: BoundField
    correction: BoundField | None


def _held_rows(form: ApplyForm) -> list[HeldRow]:
    sources = dict(FactSource.choices)
    departments = department_names()
    return [
        HeldRow(
            fact,
            str(sources.get(fact.source, fact.source)),
            departments.get(fact.department, fact.department),
            box,
            correction,
        )
        for fact, box, correction in form.held_rows()
    ]


def _common(flow: Flow) -> dict[str, Any]:
    application_form = flow.application_form
    return {
        "flow": flow,
        "services": application_form.services,
        "bundle": flow.bundle,
        "verdicts": application_form.verdicts,
        "shared_materials": [material for material in application_form.materials if material.shared],
        "standing": [(case.service, case) for case in flow.standing.values()],
    }


def _form_page(
    request: AuthenticatedHttpRequest,
    flow: Flow,
    form: ApplyForm,
    *,
    held: Sequence[HeldUpload] = (),
    status: int = 200,
) -> HttpResponse:
    context = {
        **_common(flow),
        "form": form,
        "held_rows": _held_rows(form),
        "held_token": held_token(flow.citizen, held) if held else "",
        "step": STEP_ANSWERS,
    }
    return render(request, "casework/apply/form.html", context, status=status)


def _check_page(
    request: AuthenticatedHttpRequest,
    flow: Flow,
    form: ApplyForm,
    held: Sequence[HeldUpload],
    *,
    declaration: DeclarationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    posted: QueryDict = request.POST
    answers = [(name, value) for name, values in posted.lists() for value in values if name not in _NOT_ANSWERS]
    given = form.given()
    shown = _in_words(given)
    context = {
        **_common(flow),
        "form": form,
        "confirmed": [fact for fact in flow.application_form.held if fact.definition.key in form.confirmed()],
        "corrected": [
            (fact.definition, shown[fact.definition.key])
            for fact in flow.application_form.held
            if fact.definition.key in given
        ],
        "given": [
            (definition, shown[definition.key]) for definition in flow.application_form.asked if definition.key in given
        ],
        "not_given": [definition for definition in flow.application_form.asked if definition.key not in given],
        "uploads": [
            (material, [item for item in held if item.material == material.code])
            for material in flow.application_form.uploads
        ],
        "bank_new": form.bank_details() if form.new_bank_account() else None,
        "bank_kept": form.bank_account if form.pays and not form.new_bank_account() else None,
        "answers": answers,
        "held_token": held_token(flow.citizen, held),
        "declaration": declaration or DeclarationForm(),
        "step": STEP_CHECK,
    }
    return render(request, "casework/apply/check.html", context, status=status)


def _in_words(given: dict[str, Any]) -> dict[str, str]:
    """The answers as the person reads them (labels, region names, dates), from the registry's values."""
    clean = facts_clean(given, today=timezone.localdate())
    return {key: fact_value_display(key, fact_encode(clean[key])) if key in clean else str(given[key]) for key in given}


def _already_page(request: AuthenticatedHttpRequest, standing: dict[str, Case]) -> HttpResponse:
    return render(request, "casework/apply/already.html", {"standing": list(standing.values())}, status=409)


# -- following it -----------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def my_application_page(request: AuthenticatedHttpRequest, application_id: int) -> HttpResponse:
    """One application's page (办件进度): for a bundle, every service's case, each in its department."""
    citizen = citizen_of(request.user)
    application = citizen_application_get(citizen, application_id)
    cases = [case_progress(case) for case in application.cases.all()]
    return render(
        request,
        "casework/apply/application.html",
        {"application": application, "cases": cases, "files": list(application.files.all())},
    )


@dataclass(frozen=True)
class ProgressRow:
    """One row of a case's history as the person reads it (no staff names)."""

    event: CaseEvent
    action: str
    by: str
    reason: str
    text: str


@dataclass(frozen=True)
class CaseProgress:
    """Where a case stands, for the person: its department, how it came, what happens next, its history."""

    case: Case
    department: str
    origin: str
    next_step: str
    history: list[ProgressRow]
    returned_materials: list[str]
    undecided: bool


_REASONS = (ApprovalReason, RejectionReason, RefusalReason)
_PERSON_ACTIONS = (
    CaseAction.SUBMITTED,
    CaseAction.RESUBMITTED,
    CaseAction.OBJECTED,
    CaseAction.WITHDRAWN,
    CaseAction.RESPONDED,
)


def _reason_words(code: str) -> str:
    for reasons in _REASONS:
        if code in reasons.values:
            return str(reasons(code).label)
    return ""


def _by_words(case: Case, event: CaseEvent) -> str:
    if event.action in (CaseAction.OPENED, CaseAction.REVIEW_OPENED):
        return _("Data matching")
    if event.action in _PERSON_ACTIONS:
        return _("Counter staff") if event.actor_id and case.origin == CaseOrigin.COUNTER else _("You")
    if event.actor_id:
        return _("Caseworker")
    return _("The department")


def _when(day: datetime.date | None) -> str:
    return date_format(day, "DATE_FORMAT") if day else ""


def _review_next_step(case: Case) -> str:
    """What happens next in a re-assessment of a benefit in force (动态认定)."""
    if case.state in (CaseState.IN_REVIEW, CaseState.AWAITING_SECOND):
        if case.respond_by:
            return _(
                "A caseworker checks whether your benefit continues. You can respond on this page by %(date)s; "
                "nothing stops before a decision."
            ) % {"date": _when(case.respond_by)}
        return _("A caseworker checks whether your benefit continues; nothing stops before a decision.")
    if case.state == CaseState.APPROVED:
        return _("Your benefit continues.")
    if case.state == CaseState.REJECTED:
        return _("Your benefit stops from the next period. If you think this is wrong, you can object on this page.")
    return _("This re-assessment was closed.")


def next_step(case: Case) -> str:
    """What happens next, in words, for the state the case is in."""
    state = case.state
    if case.origin == CaseOrigin.REVIEW:
        return _review_next_step(case)
    if state == CaseState.SUBMITTED:
        return _("The department checks your application, then accepts it or tells you why not.")
    if state == CaseState.IN_REVIEW:
        if case.due_on:
            return _("The department is reviewing it and decides by %(date)s.") % {"date": _when(case.due_on)}
        return _("The department is reviewing it.")
    if state == CaseState.RETURNED:
        if case.resubmit_by:
            return _("Send what is missing by %(date)s.") % {"date": _when(case.resubmit_by)}
        return _("Send what is missing.")
    if state == CaseState.AWAITING_SECOND:
        return _("A second caseworker checks the decision.")
    if state == CaseState.APPROVED:
        if case.amount_cny is not None:
            return _("Approved: the money will be paid into your bank account.")
        return _("Approved: the department will issue it to you.")
    if state == CaseState.REJECTED:
        return _("Not approved. If you think this is wrong, you can object on the case's page.")
    if state == CaseState.REFUSED:
        return _("Not accepted. The reason is in the history. You can apply again.")
    if state == CaseState.DELIVERED:
        return _("Done. You can rate the service on the case's page.")
    return _("You withdrew this application.")


def case_progress(case: Case) -> CaseProgress:
    names = {material["code"]: pick(material) for material in case.service.materials}
    return CaseProgress(
        case=case,
        department=case.service.department.name,
        origin=case.get_origin_display(),
        next_step=next_step(case),
        history=[
            ProgressRow(
                event,
                event.get_action_display(),
                _by_words(case, event),
                _reason_words(event.reason_code),
                event_text(event),
            )
            for event in case.events.all()
        ],
        returned_materials=[names.get(code, code) for code in case.returned_materials],
        undecided=case.state in UNDECIDED_STATES,
    )
