"""The counter desk (/counter/, 线下兜底): counter staff look a person up with a purpose, see their
services with eligibility and reasons, record facts and witnessed consents for them, apply for them,
print a large-print checklist for them to take home, and work the outreach list of their area.

The views parse input, call one selector or service, and render. The look-up is posted, so that an
ID number never reaches a URL; the person's pages then carry a visit handle held in the staff
member's session (visits.py). Every page that shows the person logs the read with the visit's purpose.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from profiles.display import fact_row, field_label, rows_by_topic
from profiles.facts import FACTS, TOPICS, Sensitivity
from profiles.facts.fields import fact_form_initial, form_values
from profiles.forms import FactsForm, errors_from
from profiles.models import AccessChannel, AccessPurpose, Citizen, FactSource
from profiles.permissions import permission_required
from profiles.purposes import Purpose
from profiles.requests import AuthenticatedHttpRequest
from profiles.selectors import consent_given, consent_overview, department_names, fact_values_current
from profiles.services.access import CitizenRecord
from profiles.services.facts import fact_replaceable
from profiles.services.identity import activation_code_issue, person_record_at_counter
from services_portal.catalog.models import ServiceItem
from services_portal.core.errors import PortalError
from services_portal.counter.checklist import checklist_build, checklist_language
from services_portal.counter.forms import (
    ApplyChoiceForm,
    ChecklistForm,
    ConsentForm,
    CounterApplyForm,
    LookupForm,
    OutreachFilterForm,
    OutreachOutcomeForm,
    ServiceCheckForm,
    WalkInForm,
)
from services_portal.counter.hooks import ApplicationForm
from services_portal.counter.models import OutreachOutcome, OutreachReason, OutreachTask
from services_portal.counter.pdf import checklist_pdf
from services_portal.counter.selectors import (
    ApplyingFor,
    OutreachContact,
    OutreachItem,
    OutreachSort,
    PersonNotFound,
    applying_for,
    counter_application_form,
    counter_open_cases,
    counter_person_find,
    counter_person_get,
    counter_person_read,
    counter_receipt_get,
    desk_bundles,
    desk_recommendations,
    desk_services,
    outreach_list_read,
    outreach_task_get,
    outreach_task_read,
    outreach_tasks_for,
    service_check,
    services_chosen,
)
from services_portal.counter.services import (
    counter_application_submit,
    counter_consent_record,
    counter_facts_record,
    outreach_outcome_record,
)
from services_portal.counter.visits import Visit, VisitEnded, visit_end, visit_get, visit_open
from services_portal.reference import regions

RECOMMENDED = 10
OUTREACH_PAGE_SIZE = 20


def _request_id(request: HttpRequest) -> str:
    return getattr(request, "request_id", "")


def _region_name(code: str) -> str:
    return regions.display_name(code) if code else ""


def with_visit(view: Callable) -> Callable:
    """Pages about the person being served: the handle in the URL must name a live visit of this
    staff member's session; otherwise back to the look-up."""

    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, handle: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            visit = visit_get(request.session, handle)
        except VisitEnded:
            messages.info(request, _("That visit has ended. Look the person up again."))
            return redirect("counter:lookup")
        return view(request, visit, *args, **kwargs)

    return wrapper


def _person_read(request: AuthenticatedHttpRequest, visit: Visit, **options: Any) -> CitizenRecord:
    return counter_person_read(
        request.user,
        citizen_id=visit.citizen_id,
        purpose=visit.purpose,
        request_id=_request_id(request),
        **options,
    )


def _visit_context(visit: Visit, citizen: Citizen, section: str) -> dict[str, Any]:
    return {
        "visit": visit,
        "person": citizen,
        "region_name": _region_name(citizen.region_code),
        "purpose_label": AccessPurpose(visit.purpose).label,
        "section": section,
    }


# -- the look-up -----------------------------------------------------------------------------------


@never_cache
@permission_required("citizen.assist")
@require_http_methods(["GET", "POST"])
def lookup_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = LookupForm(request.POST if request.method == "POST" else None)
    not_found = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            citizen = counter_person_find(
                request.user, resident_id=data["resident_id"], name=data["name"], phone=data["phone"]
            )
        except PersonNotFound as error:
            form.add_error(None, error.message)
            not_found = True
        except PortalError as error:
            errors_from(form, error)
        else:
            visit = visit_open(request.session, citizen=citizen, purpose=data["purpose"])
            return redirect("counter:person", handle=visit.handle)
    status = 404 if not_found else 400 if form.errors else 200
    walk_in = None
    if not_found and form.cleaned_data.get("resident_id"):
        # not known here: with the ID card in hand, staff may record the person (a walk-in)
        walk_in = WalkInForm(
            initial={
                "resident_id": form.cleaned_data["resident_id"],
                "purpose": form.cleaned_data["purpose"],
                "region_code": request.user.region_scope if len(request.user.region_scope) == 6 else "",
            },
            auto_id="walk-in-%s",
        )
    context = {"form": form, "scope_name": _region_name(request.user.region_scope), "walk_in_form": walk_in}
    return render(request, "counter/lookup.html", context, status=status)


@never_cache
@permission_required("citizen.assist")
@require_POST
def walk_in_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Record a person the portal does not know, whose ID card the staff member checked, and serve them."""
    form = WalkInForm(request.POST, auto_id="walk-in-%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            citizen = person_record_at_counter(
                staff=request.user, resident_id=data["resident_id"], name=data["name"], region_code=data["region_code"]
            )
        except PortalError as error:
            errors_from(form, error)
        else:
            visit = visit_open(request.session, citizen=citizen, purpose=data["purpose"])
            messages.success(request, _("The person is recorded. You can now give them an activation code."))
            return redirect("counter:person", handle=visit.handle)
    context = {
        "form": LookupForm(),
        "scope_name": _region_name(request.user.region_scope),
        "walk_in_form": form,
    }
    return render(request, "counter/lookup.html", context, status=400)


@never_cache
@permission_required("citizen.assist")
@with_visit
@require_POST
def activation_code_page(request: AuthenticatedHttpRequest, visit: Visit) -> HttpResponse:
    """Print the person an activation code, after checking their ID card: with it they verify the account
    they opened online (or will open). Shown once, on this page, to print; never stored in clear."""
    citizen = counter_person_get(request.user, visit.citizen_id)
    if request.POST.get("id_card_checked") != "on":
        messages.error(request, _("Check the person's ID card before giving them an activation code."))
        return redirect("counter:person", handle=visit.handle)
    try:
        code, plain = activation_code_issue(
            staff=request.user, citizen=citizen, purpose=visit.purpose, request_id=_request_id(request)
        )
    except PortalError as error:
        messages.error(request, error.message)
        return redirect("counter:person", handle=visit.handle)
    context = {
        **_visit_context(visit, citizen, "services"),
        "code": plain,
        "expires_at": code.expires_at,
        "minutes": settings.COUNTER_ACTIVATION_CODE_MINUTES,
    }
    return render(request, "counter/activation_slip.html", context)


@never_cache
@permission_required("citizen.assist")
@with_visit
@require_POST
def end_visit(request: AuthenticatedHttpRequest, visit: Visit) -> HttpResponse:
    visit_end(request.session, visit.handle)
    messages.success(request, _("You have finished serving the person. Their details are closed on this screen."))
    return redirect("counter:lookup")


# -- the person being served -----------------------------------------------------------------------


@never_cache
@permission_required("citizen.assist")
@with_visit
@require_GET
def person_page(request: AuthenticatedHttpRequest, visit: Visit) -> HttpResponse:
    record = _person_read(request, visit, also=("consents", "cases"))
    citizen = record.citizen
    check_form = ServiceCheckForm(request.GET or None, services=desk_services())
    check = None
    if check_form.is_bound and check_form.is_valid() and check_form.cleaned_data["service"]:
        check = service_check(citizen, service_code=check_form.cleaned_data["service"], on=timezone.localdate())
    holder = citizen.consent_holder
    context = {
        **_visit_context(visit, citizen, "services"),
        "for_you": desk_recommendations(citizen, limit=request.display.page_size(RECOMMENDED)),
        "open_cases": counter_open_cases(citizen),
        "check_form": check_form,
        "check": check,
        "topics": rows_by_topic(record.facts.values(), department_names()),
        "sensitive_hidden": not consent_given(holder, Purpose.SENSITIVE_FACTS),
        "consents": consent_overview(holder),
        "is_ward": citizen.guardian_id is not None,
    }
    return render(request, "counter/person.html", context, status=400 if check_form.errors else 200)


def _apply_choice_page(
    request: AuthenticatedHttpRequest, visit: Visit, citizen: Citizen, choice: ApplyChoiceForm, status: int = 200
) -> HttpResponse:
    context = {**_visit_context(visit, citizen, "apply"), "choice": choice}
    return render(request, "counter/apply_choose.html", context, status=status)


def _proactive_note(services: list[ServiceItem], citizen: Citizen) -> str:
    """For a benefit granted without application (免申即享): what the staff should know first."""
    proactive = [service.name for service in services if service.proactive]
    if not proactive:
        return ""
    note = _(
        "%(services)s is granted without application: caseworkers find the people who qualify by data matching. "
        "Apply only if the person wants to."
    ) % {"services": _(", ").join(proactive)}
    if not consent_given(citizen.consent_holder, Purpose.PROACTIVE_BENEFITS):
        note += " " + _(
            "Being found without an application needs the person's consent: record it on the consents page if "
            "they agree."
        )
    return note


@never_cache
@permission_required("citizen.assist")
@with_visit
@require_http_methods(["GET", "POST"])
def apply_page(request: AuthenticatedHttpRequest, visit: Visit) -> HttpResponse:
    """Apply for the person: choose a service or a bundle, read out what the portal holds, ask what it
    lacks, scan the materials, witness the declaration; then the receipt."""
    posted = request.method == "POST"
    choice = ApplyChoiceForm(
        request.POST if posted else request.GET or None, services=desk_services(), bundles=desk_bundles()
    )
    if not choice.is_bound or not choice.is_valid():
        citizen = _person_read(request, visit, facts=False).citizen
        return _apply_choice_page(request, visit, citizen, choice, status=400 if choice.errors else 200)
    applying = applying_for(service_code=choice.cleaned_data["service"], bundle_code=choice.cleaned_data["bundle"])
    if applying is None:
        return HttpResponseBadRequest()
    if not posted:
        return _application_page(request, visit, choice, applying)
    citizen = counter_person_get(request.user, visit.citizen_id)
    shown = counter_application_form(citizen, applying)
    answers = _Answers.of(shown, request.POST, request.FILES)
    form = answers.form
    if form.is_valid():
        data = form.cleaned_data
        try:
            receipt = counter_application_submit(
                citizen=citizen,
                staff=request.user,
                applying=applying,
                confirmed=data["confirmed"],
                given=form_values([*answers.asked.facts, *answers.corrections.facts], request.POST),
                files=form.files_by_material(),
                declared=data["declared"],
                idempotency_key=data["idempotency_key"],
            )
        except PortalError as error:
            answers.refuse(error)
        else:
            messages.success(request, _("The application is submitted. Give the person this receipt."))
            return redirect("counter:receipt", handle=visit.handle, application_id=receipt.application_id)
    return _application_page(request, visit, choice, applying, answers=answers)


@dataclass
class _Answers:
    """The desk's application form in its parts: the held facts confirmed (and the corrections of those
    not from a department), the facts asked, the scans and the declaration; bound to one post or not."""

    form: CounterApplyForm
    asked: FactsForm
    corrections: FactsForm

    @classmethod
    def of(cls, shown: ApplicationForm, data: Any = None, files: Any = None) -> _Answers:
        correctable = [fact.definition for fact in shown.held if fact.source != FactSource.DEPARTMENT_FEED]
        form = CounterApplyForm(
            data,
            files,
            initial={"idempotency_key": secrets.token_urlsafe(24)},
            held=shown.held,
            uploads=shown.uploads,
            departments=department_names(),
        )
        return cls(
            form=form,
            asked=FactsForm(data, facts=shown.asked, auto_id="fact-%s"),
            corrections=FactsForm(data, facts=correctable, auto_id="fix-%s"),
        )

    @property
    def has_errors(self) -> bool:
        return bool(self.form.errors or self.asked.errors or self.corrections.errors)

    def refuse(self, error: PortalError) -> None:
        """Casework's refusal on the fields: each message by its question, held fact or material; the
        rest (such as an application standing already) as the refusal's message above the form."""
        elsewhere = False
        for key, messages_ in error.fields.items():
            for part in (self.asked, self.corrections, self.form):
                if key in part.fields:
                    part.add_error(key, list(messages_))
                    break
            else:
                if key in self.form.held_keys:
                    self.form.add_error("confirmed", list(messages_))
                else:
                    elsewhere = True
        if elsewhere or not error.fields:
            self.form.add_error(None, error.message)


def _application_page(
    request: AuthenticatedHttpRequest,
    visit: Visit,
    choice: ApplyChoiceForm,
    applying: ApplyingFor,
    *,
    answers: _Answers | None = None,
) -> HttpResponse:
    record = _person_read(request, visit)
    citizen = record.citizen
    shown = counter_application_form(citizen, applying)
    answers = answers or _Answers.of(shown)
    corrections = {field.name: field for field in answers.corrections}
    context = {
        **_visit_context(visit, citizen, "apply"),
        "choice": choice,
        "applying": applying,
        "shown": shown,
        "form": answers.form,
        "facts_form": answers.asked,
        "corrections": answers.corrections,
        "held_rows": [
            (box, fact, corrections.get(fact.definition.key))
            for box, fact in zip(answers.form["confirmed"], shown.held, strict=True)
        ],
        "has_errors": answers.has_errors,
        "proactive_note": _proactive_note(applying.services, citizen),
        "sensitive_hidden": not consent_given(citizen.consent_holder, Purpose.SENSITIVE_FACTS),
    }
    return render(request, "counter/apply.html", context, status=400 if answers.has_errors else 200)


@never_cache
@permission_required("citizen.assist")
@with_visit
@require_GET
def receipt_page(request: AuthenticatedHttpRequest, visit: Visit, application_id: int) -> HttpResponse:
    """The receipt of an application made for the person at a counter, to print or read out."""
    record = _person_read(request, visit, facts=False, also=("application",))
    receipt = counter_receipt_get(record.citizen, application_id)
    context = {
        **_visit_context(visit, record.citizen, "apply"),
        "receipt": receipt,
        "tracking_url": request.build_absolute_uri(receipt.tracking_link),
        "checklist_query": urlencode([("service", case.service.code) for case in receipt.cases]),
    }
    return render(request, "counter/receipt.html", context)


# -- facts -----------------------------------------------------------------------------------------


def _askable_facts(citizen: Citizen, current: dict[str, Any]) -> list:
    """What staff may record: not a department's values, and sensitive facts only with consent."""
    sensitive_allowed = consent_given(citizen.consent_holder, Purpose.SENSITIVE_FACTS)
    return [
        fact
        for key, fact in FACTS.items()
        if (sensitive_allowed or fact.sensitivity != Sensitivity.SENSITIVE)
        and not fact.identity
        and fact_replaceable(current.get(key), by=FactSource.COUNTER_STAFF)
    ]


def _facts_page(request: AuthenticatedHttpRequest, visit: Visit, form: FactsForm | None = None) -> HttpResponse:
    record = _person_read(request, visit)
    citizen, current = record.citizen, record.facts
    if form is None:
        initial = {key: fact_form_initial(value.value) for key, value in current.items()}
        form = FactsForm(initial=initial, facts=_askable_facts(citizen, current), auto_id="fact-%s")
    fields = {field.name: field for field in form}
    topics = [
        (title, [fields[key] for key, fact in FACTS.items() if fact.topic == code and key in fields])
        for code, title in TOPICS.items()
    ]
    departments = department_names()
    from_department = [
        fact_row(current[key], departments)
        for key in FACTS
        if key in current and current[key].source == FactSource.DEPARTMENT_FEED
    ]
    refused = [(field_label(key), errors) for key, errors in form.refused.items()]
    has_errors = bool(form.errors or form.refused)
    context = {
        **_visit_context(visit, citizen, "facts"),
        "form": form,
        "topics": [(title, topic_fields) for title, topic_fields in topics if topic_fields],
        "from_department": from_department,
        "refused": refused,
        "has_errors": has_errors,
        "sensitive_hidden": not consent_given(citizen.consent_holder, Purpose.SENSITIVE_FACTS),
    }
    return render(request, "counter/facts.html", context, status=400 if has_errors else 200)


@never_cache
@permission_required("citizen.assist")
@with_visit
@require_http_methods(["GET", "POST"])
def facts_page(request: AuthenticatedHttpRequest, visit: Visit) -> HttpResponse:
    if request.method != "POST":
        return _facts_page(request, visit)
    citizen = counter_person_get(request.user, visit.citizen_id)
    values = form_values(FACTS.values(), request.POST)
    try:
        recorded = counter_facts_record(citizen=citizen, staff=request.user, values=values)
    except PortalError as error:
        form = FactsForm(request.POST, facts=_askable_facts(citizen, fact_values_current(citizen)), auto_id="fact-%s")
        form.refuse(error)
        return _facts_page(request, visit, form=form)
    if recorded:
        count = len(recorded)
        messages.success(
            request,
            ngettext(
                "%(count)s answer recorded for the person, with you as its source.",
                "%(count)s answers recorded for the person, with you as their source.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.info(request, _("Nothing changed: every answer was already recorded."))
    return redirect("counter:person", handle=visit.handle)


# -- consents --------------------------------------------------------------------------------------


@never_cache
@permission_required("citizen.assist")
@with_visit
@require_http_methods(["GET", "POST"])
def consents_page(request: AuthenticatedHttpRequest, visit: Visit) -> HttpResponse:
    if request.method == "POST":
        citizen = counter_person_get(request.user, visit.citizen_id)
        form = ConsentForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest()
        purpose, granted = form.cleaned_data["purpose"], form.cleaned_data["action"] == "grant"
        try:
            counter_consent_record(citizen=citizen, staff=request.user, purpose=purpose, granted=granted)
        except PortalError as error:
            messages.error(request, error.message)
        else:
            label = Purpose(purpose).label
            if granted:
                messages.success(
                    request, _("Recorded, with you as witness: the person agreed: %(purpose)s.") % {"purpose": label}
                )
            else:
                messages.success(
                    request, _("Recorded, with you as witness: the person withdrew: %(purpose)s.") % {"purpose": label}
                )
        return redirect("counter:consents", handle=visit.handle)
    record = _person_read(request, visit, facts=False, also=("consents",))
    citizen = record.citizen
    context = {
        **_visit_context(visit, citizen, "consents"),
        "consents": consent_overview(citizen.consent_holder),
        "is_ward": citizen.guardian_id is not None,
    }
    return render(request, "counter/consents.html", context)


# -- the checklist ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ChecklistRequest:
    form: ChecklistForm
    chosen: list[ServiceItem]
    language: str


def _checklist_request(request: AuthenticatedHttpRequest, citizen: Citizen) -> _ChecklistRequest:
    """The services to list (the ones ticked, else those the person qualifies for among the recommended,
    else all recommended) and the language (the one chosen, else the page's)."""
    items = desk_recommendations(citizen, limit=RECOMMENDED).items
    recommended = [item.service for item in items]
    qualified = [item.service for item in items if item.eligible]
    asked = services_chosen(request.GET.getlist("service"))
    offered = list({service.code: service for service in [*recommended, *asked]}.values())
    default = [service.code for service in (qualified or recommended)]
    page_language = checklist_language("", get_language() or "")
    data = None
    if "service" in request.GET or "language" in request.GET:
        data = request.GET.copy()
        data.setdefault("language", page_language)
    form = ChecklistForm(
        data,
        services=offered,
        initial={"service": default, "language": page_language},
    )
    if form.is_bound and form.is_valid():
        chosen = form.cleaned_data
        return _ChecklistRequest(form, services_chosen(chosen["service"]), chosen["language"] or page_language)
    return _ChecklistRequest(form, services_chosen(default), page_language)


@never_cache
@permission_required("citizen.assist")
@with_visit
@require_GET
def checklist_page(request: AuthenticatedHttpRequest, visit: Visit) -> HttpResponse:
    record = _person_read(request, visit)
    citizen = record.citizen
    asked = _checklist_request(request, citizen)
    checklist = checklist_build(
        citizen=citizen, services=asked.chosen, language=asked.language, on=timezone.localdate()
    )
    query = urlencode([*(("service", service.code) for service in asked.chosen), ("language", asked.language)])
    context = {
        **_visit_context(visit, citizen, "checklist"),
        "form": asked.form,
        "checklist": checklist,
        "pdf_query": query,
    }
    return render(request, "counter/checklist.html", context, status=400 if asked.form.errors else 200)


@never_cache
@permission_required("citizen.assist")
@with_visit
@require_GET
def checklist_pdf_download(request: AuthenticatedHttpRequest, visit: Visit) -> HttpResponse:
    record = _person_read(request, visit, channel=AccessChannel.EXPORT)
    citizen = record.citizen
    asked = _checklist_request(request, citizen)
    if asked.form.errors:
        return HttpResponseBadRequest()
    checklist = checklist_build(
        citizen=citizen, services=asked.chosen, language=asked.language, on=timezone.localdate()
    )
    response = HttpResponse(checklist_pdf(checklist, author=str(settings.PORTAL_NAME)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="checklist-{timezone.localdate().isoformat()}.pdf"'
    return response


# -- the outreach list -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OutreachRow:
    task: OutreachTask
    contact: OutreachContact
    reason: str
    region_name: str
    waiting_days: int
    distance_km: float | None
    follow_up_due: bool


def _outreach_row(item: OutreachItem, today: datetime.date) -> OutreachRow:
    task = item.task
    waiting_since = getattr(task, "waiting_since", None) or task.eligible_since or task.created_at
    return OutreachRow(
        task=task,
        contact=item.contact,
        # the routing stores a code; a task made by hand may carry its own words
        reason=str(OutreachReason.LABELS.get(task.reason, task.reason)),
        region_name=_region_name(task.region_code),
        waiting_days=max(0, (today - timezone.localdate(waiting_since)).days),
        distance_km=getattr(task, "distance_km", None),
        follow_up_due=task.follow_up_on is not None and task.follow_up_on <= today,
    )


@never_cache
@permission_required("citizen.assist")
@require_GET
def outreach_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = OutreachFilterForm(request.GET)
    form.is_valid()
    today = timezone.localdate()
    tasks = outreach_tasks_for(request.user, show=form.show_value(), sort=form.sort_value(), today=today)
    paginator = Paginator(tasks, request.display.page_size(OUTREACH_PAGE_SIZE))
    page = paginator.get_page(request.GET.get("page"))
    shown = outreach_list_read(request.user, page, request_id=_request_id(request))
    context = {
        "form": form,
        "page": page,
        "rows": [_outreach_row(item, today) for item in shown],
        "filtered": bool(request.GET.get("show")),
        "by_distance": form.sort_value() == OutreachSort.DISTANCE,
        "scope_name": _region_name(request.user.region_scope),
    }
    return render(request, "counter/outreach.html", context, status=400 if form.errors else 200)


def _task_page(
    request: AuthenticatedHttpRequest, item: OutreachItem, form: OutreachOutcomeForm, status: int = 200
) -> HttpResponse:
    context = {
        "row": _outreach_row(item, timezone.localdate()),
        "task": item.task,
        "form": form,
        "recorded": item.task.outcome != OutreachOutcome.OPEN,
    }
    return render(request, "counter/outreach_task.html", context, status=status)


@never_cache
@permission_required("citizen.assist")
@require_http_methods(["GET", "POST"])
def outreach_task_page(request: AuthenticatedHttpRequest, task_id: int) -> HttpResponse:
    if request.method != "POST":
        item = outreach_task_read(request.user, task_id, request_id=_request_id(request))
        return _task_page(request, item, OutreachOutcomeForm())
    task = outreach_task_get(request.user, task_id)
    form = OutreachOutcomeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            task = outreach_outcome_record(
                task=task,
                staff=request.user,
                outcome=data["outcome"],
                follow_up_on=data["follow_up_on"],
                note=data["note"],
            )
        except PortalError as error:
            errors_from(form, error)
        else:
            messages.success(
                request,
                _("Recorded for %(name)s: %(outcome)s.")
                % {"name": task.citizen.name or task.citizen.resident_id_masked, "outcome": task.get_outcome_display()},
            )
            return redirect("counter:outreach")
    item = outreach_task_read(request.user, task_id, request_id=_request_id(request))
    return _task_page(request, item, form, status=400)


@never_cache
@permission_required("citizen.assist")
@require_POST
def outreach_visit(request: AuthenticatedHttpRequest, task_id: int) -> HttpResponse:
    """Serve the task's person at the desk: a visit with the purpose outreach."""
    task = outreach_task_get(request.user, task_id)
    visit = visit_open(request.session, citizen=task.citizen, purpose=AccessPurpose.OUTREACH)
    return redirect("counter:person", handle=visit.handle)
