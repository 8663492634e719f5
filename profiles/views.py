"""The citizen's account pages (/account/, /me/) and the auditor's access-log search (/audit/).

Every /me/ page finds the citizen from the signed-in user, never from the URL; every change is a
form post to a service, followed by a redirect.
"""

from __future__ import annotations

import csv
import datetime
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from profiles.display import fact_row, field_label, rows_by_topic
from profiles.facts import FACTS, TOPICS, Sensitivity
from profiles.facts.fields import fact_form_initial, form_values, region_answer_to_narrow
from profiles.forms import (
    AccessLogSearchForm,
    BankAccountForm,
    CloseAccountForm,
    FactErrorReportForm,
    FactsForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    PasswordResetRequestForm,
    SignInCodeForm,
    SignupForm,
    errors_from,
)
from profiles.models import AccessChannel, Citizen, ConsentChannel, FactSource
from profiles.permissions import allowed, permission_required
from profiles.purposes import Purpose
from profiles.requests import AuthenticatedHttpRequest
from profiles.selectors import (
    access_log_about,
    access_log_search,
    bank_account_of,
    citizen_export,
    citizen_of,
    citizen_signed_in,
    consent_given,
    consent_overview,
    department_names,
    fact_history,
    fact_values_current,
    personalisation_allowed,
    signed_in_devices,
    tags_shown,
)
from profiles.services.access import access_log_search_audited
from profiles.services.accounts import citizen_erase, citizen_register, login_name
from profiles.services.bank_accounts import bank_account_record
from profiles.services.consent import consent_grant, consent_withdraw, personalisation_set
from profiles.services.facts import fact_error_report, fact_replaceable, facts_self_declare
from profiles.services.passwords import (
    password_change,
    password_reset,
    password_reset_code_send,
    reset_code_sent_message,
)
from profiles.services.sessions import device_sign_out, devices_sign_out
from profiles.services.sign_in import StepUpRequired, sign_in_code_redeem, sign_in_step_up, user_signing_in
from profiles.services.tags import tag_delete
from services_portal.core.errors import PortalError
from services_portal.core.throttling import throttle_scope

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
@throttle_scope("signup")
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


def _signed_in_home(user: Any) -> str:
    """Citizens to their account, auditors to the access log, other staff to the home page."""
    if citizen_signed_in(user):
        return reverse("profiles:profile")
    if allowed(user, "access_log.search"):
        return reverse("profiles:audit_access_log")
    return reverse("core:home")


# the account waiting for its texted code, between the password and the code pages
SIGN_IN_STEP_UP_SESSION_KEY = "profiles.sign_in_step_up"


@method_decorator(throttle_scope("sign_in"), name="dispatch")
class LoginPage(LoginView):
    form_class = LoginForm
    template_name = "profiles/login.html"

    def get_default_redirect_url(self) -> str:
        return _signed_in_home(self.request.user)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        """The right password signs in, unless the account is under the soft lock: then a code is
        texted and the code page finishes signing in (profiles/services/sign_in.py)."""
        user = form.get_user()
        try:
            sign_in_step_up(user=user, username=login_name(form.cleaned_data["username"]))
        except StepUpRequired as step_up:
            self.request.session[SIGN_IN_STEP_UP_SESSION_KEY] = {
                "user": user.pk,
                "backend": getattr(user, "backend", SIGNED_IN_BACKEND),
                "next": self.get_redirect_url(),
                "phone": step_up.phone,
                "until": (timezone.now() + datetime.timedelta(minutes=settings.CODE_MINUTES)).isoformat(),
            }
            return redirect("profiles:login_code")
        except PortalError as error:  # codes were asked for too often
            errors_from(form, error)
            response = self.form_invalid(form)
            response.status_code = error.status_code
            return response
        return super().form_valid(form)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 429 if form.has_error(NON_FIELD_ERRORS, "sign_in_wait") else 400
        return response


@never_cache
@throttle_scope("sign_in")
def login_code_page(request: HttpRequest) -> HttpResponse:
    """The second step of signing in to an account under the soft lock: the code texted to its phone."""
    pending = request.session.get(SIGN_IN_STEP_UP_SESSION_KEY)
    if not pending or datetime.datetime.fromisoformat(pending["until"]) <= timezone.now():
        request.session.pop(SIGN_IN_STEP_UP_SESSION_KEY, None)
        messages.info(request, _("Signing in took too long. Enter your ID number and password again."))
        return redirect("profiles:login")
    form = SignInCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = sign_in_code_redeem(user=user_signing_in(pending["user"]), code=form.cleaned_data["code"])
        except PortalError as error:
            errors_from(form, error)
        else:
            del request.session[SIGN_IN_STEP_UP_SESSION_KEY]
            login(request, user, backend=pending["backend"])
            return redirect(pending["next"] or _signed_in_home(user))
    context = {"form": form, "phone": pending["phone"]}
    return render(request, "profiles/login_code.html", context, status=400 if form.errors else 200)


def account_closed_page(request: HttpRequest) -> HttpResponse:
    return render(request, "profiles/account_closed.html")


# -- passwords and signed-in devices -----------------------------------------------------------------


@never_cache
@throttle_scope("code_send")
def password_reset_page(request: HttpRequest) -> HttpResponse:
    """Ask for a code by ID number. The answer is the same for every valid number: whether an account
    with a bound phone exists is never shown."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        resident_id = form.cleaned_data["resident_id"]
        password_reset_code_send(resident_id=resident_id)
        context = {"form": PasswordResetForm(initial={"resident_id": resident_id}), "sent": reset_code_sent_message()}
        return render(request, "profiles/password_reset_confirm.html", context)
    return render(request, "profiles/password_reset.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@throttle_scope("password_reset")
def password_reset_confirm_page(request: HttpRequest) -> HttpResponse:
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            password_reset(resident_id=data["resident_id"], code=data["code"], new_password=data["new_password1"])
        except PortalError as error:
            errors_from(form, error, aliases={"new_password": "new_password1"})
        else:
            messages.success(request, _("Your password is changed, and every device is signed out. Sign in again."))
            return redirect("profiles:login")
    return render(request, "profiles/password_reset_confirm.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@login_required
def password_change_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = password_change(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
                keep_session_key=request.session.session_key,
            )
        except PortalError as error:
            errors_from(form, error, aliases={"new_password": "new_password1"})
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password is changed. Your other devices are signed out."))
            return redirect("profiles:devices")
    return render(request, "profiles/password_change.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@login_required
def devices_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The browsers and apps signed in to the account, each with its own sign-out, and one for all others."""
    if request.method == "POST":
        if request.POST.get("action") == "sign_out_others":
            count = devices_sign_out(user=request.user, keep_session_key=request.session.session_key)
            messages.success(request, _("Every other device is signed out (%(count)d).") % {"count": count})
        else:
            try:
                device_sign_out(user=request.user, device=request.POST.get("device", ""))
            except PortalError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("The device is signed out."))
        return redirect("profiles:devices")
    devices = signed_in_devices(request.user, current_session_key=request.session.session_key)
    return render(request, "profiles/devices.html", {"devices": devices})


# -- the citizen's own data --------------------------------------------------------------------------


@never_cache
@login_required
def profile_page(request: AuthenticatedHttpRequest) -> HttpResponse:
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
        and not fact.identity
        and fact_replaceable(current.get(key), by=FactSource.SELF_DECLARED)
    ]


def _form_initial(current: dict[str, Any]) -> dict[str, str]:
    return {key: fact_form_initial(record.value) for key, record in current.items()}


def _report_form(key: str, data: Any = None) -> FactErrorReportForm:
    return FactErrorReportForm(data, initial={"key": key}, auto_id=f"report-{key}-%s")


def _facts_page(
    request: AuthenticatedHttpRequest,
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
def facts_edit_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    if request.method != "POST":
        return _facts_page(request, citizen)
    current = fact_values_current(citizen)
    sensitive_allowed = consent_given(citizen.consent_holder, Purpose.SENSITIVE_FACTS)
    form = FactsForm(request.POST, facts=_editable_facts(current, sensitive_allowed))
    # Values for facts shown read-only reach the service too: it refuses them with its own message.
    values = form_values(FACTS.values(), request.POST)
    try:
        facts_self_declare(citizen=citizen, values=values)
    except PortalError as error:
        form.refuse(error)
        return _facts_page(request, citizen, form=form)
    messages.success(request, _("Your answers are saved."))
    narrower = region_answer_to_narrow(form.facts, values, {key: record.value for key, record in current.items()})
    if narrower:
        # A city without its county: without scripts the county list could not follow it, so offer it now.
        messages.info(request, _("Now choose the county or district too, if you know it."))
        return HttpResponseRedirect(reverse("profiles:facts_edit") + f"#id_{narrower}")
    return redirect("profiles:profile")


@never_cache
@login_required
@require_POST
def fact_error_report_page(request: AuthenticatedHttpRequest) -> HttpResponse:
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
def tags_page(request: AuthenticatedHttpRequest) -> HttpResponse:
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
    tags = [(tag, [fact_row(record, departments) for record in tag.basis]) for tag in tags_shown(citizen)]
    return render(request, "profiles/tags.html", {"tags": tags})


@never_cache
@login_required
def consents_page(request: AuthenticatedHttpRequest) -> HttpResponse:
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
def personalisation_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    personalisation_set(citizen=citizen, enabled=request.POST.get("personalisation") == "on")
    return HttpResponseRedirect(_safe_next(request, reverse("profiles:profile")))


def _access_entries(entries: Any) -> list[dict[str, Any]]:
    return [{"entry": entry, "fields": [field_label(key) for key in entry.fields]} for entry in entries]


@never_cache
@login_required
def access_log_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    paginator = Paginator(access_log_about(citizen), request.display.page_size(ACCESS_LOG_PAGE_SIZE))
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "profiles/access_log.html", {"page": page, "entries": _access_entries(page)})


@never_cache
@login_required
def export_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    export = citizen_export(citizen)
    held_not_used = any(fact["current"] and not fact["in_use"] for fact in export["facts"])
    return render(request, "profiles/export.html", {"export": export, "held_not_used": held_not_used})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def bank_account_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The account benefits are paid into, masked, and a form to give a new one (which replaces it)."""
    citizen = citizen_of(request.user)
    form = BankAccountForm(request.POST or None, initial={"holder_name": citizen.name})
    if request.method == "POST" and form.is_valid():
        try:
            bank_account_record(citizen=citizen, source=FactSource.SELF_DECLARED, **form.cleaned_data)
        except PortalError as error:
            errors_from(form, error)
        else:
            messages.success(request, _("Your bank account is saved. Payments not yet sent will go to it."))
            return redirect("profiles:bank_account")
    context = {"bank_account": bank_account_of(citizen), "form": form}
    return render(request, "profiles/bank_account.html", context, status=400 if form.errors else 200)


@never_cache
@login_required
def export_json(request: AuthenticatedHttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    body = json.dumps(citizen_export(citizen), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"my-data-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
def close_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    form = CloseAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        citizen_erase(citizen=citizen)
        logout(request)
        return redirect("profiles:account_closed")
    return render(request, "profiles/close.html", {"form": form}, status=400 if form.errors else 200)


# -- the auditor's search ----------------------------------------------------------------------------


def _audited_search(request: AuthenticatedHttpRequest, channel: AccessChannel) -> tuple[AccessLogSearchForm, Any]:
    """The search the form posted (none: the latest entries), and its entries (None when the search
    has errors). Posted, so that a resident ID number never lands in a URL, a server log or the
    browser's history. Reading the log about one person is itself a read of their data, and is logged."""
    form = AccessLogSearchForm(request.POST if request.method == "POST" else {})
    if not form.is_valid():
        return form, None
    filters = form.filters()
    if filters is None:
        return form, access_log_search().none()
    entries = access_log_search_audited(
        user=request.user, channel=channel, request_id=getattr(request, "request_id", ""), **filters
    )
    return form, entries


@never_cache
@permission_required("access_log.search")
def audit_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    return redirect("profiles:audit_access_log")


@never_cache
@permission_required("access_log.search")
@require_http_methods(["GET", "POST"])
def audit_access_log_page(request: AuthenticatedHttpRequest) -> HttpResponse:
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
def audit_access_log_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
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
