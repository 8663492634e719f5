"""The citizen's account pages (/account/, /me/) and the auditor's access-log search (/audit/).

Every /me/ page finds the citizen from the signed-in user, never from the URL; every change is a
form post to a service, followed by a redirect.
"""

from __future__ import annotations

import csv
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from profiles.display import fact_row, field_label, rows_by_topic
from profiles.facts import FACTS, TOPICS, Sensitivity
from profiles.forms import (
    AccessLogSearchForm,
    CloseAccountForm,
    FactErrorReportForm,
    FactsForm,
    LoginForm,
    SignupForm,
    errors_from,
)
from profiles.models import AccessChannel, AccessPurpose, Citizen, ConsentChannel, FactSource
from profiles.permissions import allowed, permission_required
from profiles.purposes import Purpose
from profiles.selectors import (
    access_log_about,
    access_log_search,
    citizen_export,
    citizen_of,
    citizen_signed_in,
    citizen_tags,
    consent_given,
    consent_overview,
    department_names,
    fact_history,
    fact_values_current,
    personalisation_allowed,
)
from profiles.services.access import access_record
from profiles.services.accounts import citizen_erase, citizen_register
from profiles.services.consent import consent_grant, consent_withdraw, personalisation_set
from profiles.services.facts import fact_error_report, facts_self_declare
from profiles.services.tags import tag_delete
from services_portal.core.errors import PortalError

ACCESS_LOG_PAGE_SIZE = 20
AUDIT_PAGE_SIZE = 50
SIGNED_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request: HttpRequest, fallback: str) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return next_url
    return fallback


# -- signing up, in and out ------------------------------------------------------------------------


@never_cache
def signup_page(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            citizen = citizen_register(
                resident_id=data["resident_id"], name=data["name"], password=data["password1"], phone=data["phone"]
            )
        except PortalError as error:
            errors_from(form, error, aliases={"password": "password1"})
        else:
            login(request, citizen.user, backend=SIGNED_IN_BACKEND)
            messages.success(request, _("Your account is ready. You are signed in."))
            return redirect("profiles:profile")
    return render(request, "profiles/signup.html", {"form": form}, status=400 if form.errors else 200)


class LoginPage(LoginView):
    form_class = LoginForm
    template_name = "profiles/login.html"

    def get_default_redirect_url(self) -> str:
        """Citizens to their account, auditors to the access log, other staff to the home page."""
        user = self.request.user
        if citizen_signed_in(user):
            return reverse("profiles:profile")
        if allowed(user, "access_log.search"):
            return reverse("profiles:audit_access_log")
        return reverse("core:home")

    def form_invalid(self, form: LoginForm) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


def account_closed_page(request: HttpRequest) -> HttpResponse:
    return render(request, "profiles/account_closed.html")


# -- the citizen's own data --------------------------------------------------------------------------


@never_cache
@login_required
def profile_page(request: HttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    departments = department_names()
    current = fact_values_current(citizen)
    sensitive_allowed = consent_given(citizen.consent_holder, Purpose.SENSITIVE_FACTS)
    readable = {key for key, fact in FACTS.items() if sensitive_allowed or fact.sensitivity != Sensitivity.SENSITIVE}
    history = [
        fact_row(record, departments)
        for record in fact_history(citizen)
        if record.superseded_at is not None and record.key in readable
    ]
    context = {
        "citizen": citizen,
        "topics": rows_by_topic(current.values(), departments),
        "sensitive_hidden": not sensitive_allowed,
        "history": history,
        "personalisation_allowed": personalisation_allowed(citizen),
    }
    return render(request, "profiles/profile.html", context)


def _editable_facts(current: dict[str, Any], sensitive_allowed: bool) -> list:
    """What the citizen may state here: not a department's values, and sensitive facts only with consent."""
    return [
        fact
        for key, fact in FACTS.items()
        if (sensitive_allowed or fact.sensitivity != Sensitivity.SENSITIVE)
        and not (key in current and current[key].source == FactSource.DEPARTMENT_FEED)
    ]


def _form_initial(current: dict[str, Any]) -> dict[str, str]:
    def as_text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return "" if value is None else str(value)

    return {key: as_text(record.value) for key, record in current.items()}


def _report_form(key: str, data: Any = None) -> FactErrorReportForm:
    return FactErrorReportForm(data, initial={"key": key}, auto_id=f"report-{key}-%s")


def _facts_page(
    request: HttpRequest,
    citizen: Citizen,
    *,
    form: FactsForm | None = None,
    report_form: FactErrorReportForm | None = None,
) -> HttpResponse:
    departments = department_names()
    current = fact_values_current(citizen)
    sensitive_allowed = consent_given(citizen.consent_holder, Purpose.SENSITIVE_FACTS)
    if form is None:
        form = FactsForm(initial=_form_initial(current), facts=_editable_facts(current, sensitive_allowed))
    fields = {field.name: field for field in form}
    topics = [
        (title, [fields[key] for key, fact in FACTS.items() if fact.topic == code and key in fields])
        for code, title in TOPICS.items()
    ]
    reported_key = report_form.data.get("key") if report_form is not None else None
    from_department = [
        {
            "row": fact_row(record, departments),
            "refused": form.refused.get(key, []),
            "report_form": report_form if key == reported_key else _report_form(key),
        }
        for key, record in sorted(current.items(), key=lambda item: list(FACTS).index(item[0]))
        if record.source == FactSource.DEPARTMENT_FEED
    ]
    has_errors = bool(form.errors or form.refused or (report_form is not None and report_form.errors))
    context = {
        "form": form,
        "topics": [(title, topic_fields) for title, topic_fields in topics if topic_fields],
        "from_department": from_department,
        "sensitive_hidden": not sensitive_allowed,
        "report_form": report_form,
        "has_errors": has_errors,
    }
    return render(request, "profiles/facts_edit.html", context, status=400 if has_errors else 200)


@never_cache
@login_required
def facts_edit_page(request: HttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    if request.method != "POST":
        return _facts_page(request, citizen)
    current = fact_values_current(citizen)
    sensitive_allowed = consent_given(citizen.consent_holder, Purpose.SENSITIVE_FACTS)
    form = FactsForm(request.POST, facts=_editable_facts(current, sensitive_allowed))
    # Values for facts shown read-only reach the service too: it refuses them with its own message.
    values = {key: request.POST[key] for key in FACTS if key in request.POST}
    try:
        facts_self_declare(citizen=citizen, values=values)
    except PortalError as error:
        form.refuse(error)
        return _facts_page(request, citizen, form=form)
    messages.success(request, _("Your answers are saved."))
    return redirect("profiles:profile")


@never_cache
@login_required
@require_POST
def fact_error_report_page(request: HttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    record = fact_values_current(citizen).get(request.POST.get("key", ""))
    if record is None:
        raise Http404
    report_form = _report_form(record.key, request.POST)
    if report_form.is_valid():
        try:
            fact_error_report(citizen=citizen, fact_value=record, text=report_form.cleaned_data["text"])
        except PortalError as error:
            errors_from(report_form, error)
        else:
            department = department_names().get(record.department, record.department)
            messages.success(
                request,
                _("Thank you. Your report is sent to %(department)s, which will check the value and correct it.")
                % {"department": department},
            )
            return redirect("profiles:facts_edit")
    return _facts_page(request, citizen, report_form=report_form)


@never_cache
@login_required
def tags_page(request: HttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    if request.method == "POST":
        life_event = request.POST.get("life_event", "")
        try:
            tag_delete(citizen=citizen, life_event=life_event)
        except PortalError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The tag is removed."))
        return redirect("profiles:tags")
    departments = department_names()
    tags = [(tag, [fact_row(record, departments) for record in tag.basis]) for tag in citizen_tags(citizen)]
    return render(request, "profiles/tags.html", {"tags": tags})


@never_cache
@login_required
def consents_page(request: HttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    if request.method == "POST":
        purpose = request.POST.get("purpose", "")
        change = consent_grant if request.POST.get("action") == "grant" else consent_withdraw
        try:
            change(citizen=citizen, purpose=purpose, channel=ConsentChannel.WEB)
        except PortalError as error:
            messages.error(request, error.message)
        else:
            label = Purpose(purpose).label
            if change is consent_grant:
                messages.success(request, _("You agreed: %(purpose)s.") % {"purpose": label})
            else:
                messages.success(request, _("You withdrew your consent: %(purpose)s.") % {"purpose": label})
        return redirect("profiles:consents")
    return render(request, "profiles/consents.html", {"consents": consent_overview(citizen)})


@never_cache
@login_required
@require_POST
def personalisation_page(request: HttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    personalisation_set(citizen=citizen, enabled=request.POST.get("personalisation") == "on")
    return HttpResponseRedirect(_safe_next(request, reverse("profiles:profile")))


def _access_entries(entries: Any) -> list[dict[str, Any]]:
    return [{"entry": entry, "fields": [field_label(key) for key in entry.fields]} for entry in entries]


@never_cache
@login_required
def access_log_page(request: HttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    paginator = Paginator(access_log_about(citizen), request.display.page_size(ACCESS_LOG_PAGE_SIZE))
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "profiles/access_log.html", {"page": page, "entries": _access_entries(page)})


@never_cache
@login_required
def export_page(request: HttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    export = citizen_export(citizen)
    held_not_used = any(fact["current"] and not fact["in_use"] for fact in export["facts"])
    return render(request, "profiles/export.html", {"export": export, "held_not_used": held_not_used})


@never_cache
@login_required
def export_json(request: HttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    body = json.dumps(citizen_export(citizen), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"my-data-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
def close_page(request: HttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    form = CloseAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        citizen_erase(citizen=citizen)
        logout(request)
        return redirect("profiles:account_closed")
    return render(request, "profiles/close.html", {"form": form}, status=400 if form.errors else 200)


# -- the auditor's search ----------------------------------------------------------------------------


def _audited_search(request: HttpRequest, channel: AccessChannel) -> tuple[AccessLogSearchForm, Any]:
    """The search the form posted (none: the latest entries), and its entries (None when the search
    has errors). Posted, so that a resident ID number never lands in a URL, a server log or the
    browser's history. Reading the log about one person is itself a read of their data, and is logged."""
    form = AccessLogSearchForm(request.POST if request.method == "POST" else {})
    if not form.is_valid():
        return form, None
    filters = form.filters()
    if filters is None:
        return form, access_log_search().none()
    if "subject" in filters:
        access_record(
            actor=request.user,
            subject=filters["subject"],
            fields=["access_log"],
            purpose=AccessPurpose.AUDIT,
            channel=channel,
            request_id=getattr(request, "request_id", ""),
        )
    return form, access_log_search(**filters)


@never_cache
@permission_required("access_log.search")
def audit_home(request: HttpRequest) -> HttpResponse:
    return redirect("profiles:audit_access_log")


@never_cache
@permission_required("access_log.search")
@require_http_methods(["GET", "POST"])
def audit_access_log_page(request: HttpRequest) -> HttpResponse:
    form, entries = _audited_search(request, AccessChannel.PAGE)
    page = None
    if entries is not None:
        paginator = Paginator(entries, request.display.page_size(AUDIT_PAGE_SIZE))
        page = paginator.get_page(request.POST.get("page") or request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "entries": _access_entries(page) if page is not None else [],
        "filtered": request.method == "POST",
    }
    return render(request, "profiles/audit_access_log.html", context, status=400 if form.errors else 200)


def _csv_cell(value: Any) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@never_cache
@permission_required("access_log.search")
@require_POST
def audit_access_log_csv(request: HttpRequest) -> HttpResponse:
    form, entries = _audited_search(request, AccessChannel.EXPORT)
    if entries is None:
        context = {"form": form, "entries": [], "filtered": True}
        return render(request, "profiles/audit_access_log.html", context, status=400)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="access-log-{timezone.localdate().isoformat()}.csv"'
    response.write("\ufeff")  # spreadsheet programs read UTF-8 (Chinese names) only with the byte-order mark
    writer = csv.writer(response)
    header = [_("When"), _("Staff user name"), _("Role"), _("Person"), _("Data"), _("Purpose"), _("Channel")]
    writer.writerow([*header, _("Request ID")])
    for entry in entries.iterator():
        writer.writerow(
            _csv_cell(value)
            for value in (
                timezone.localtime(entry.created_at).isoformat(),
                entry.actor.username,
                entry.get_actor_role_display(),
                str(entry.subject),
                "; ".join(field_label(key) for key in entry.fields),
                entry.get_purpose_display(),
                entry.get_channel_display(),
                entry.request_id,
            )
        )
    return response
