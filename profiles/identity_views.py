"""The verify page (/account/verify/): an account not yet bound proves who its owner is."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from profiles.forms import errors_from
from profiles.requests import AuthenticatedHttpRequest
from profiles.selectors import citizen_of
from profiles.services.identity import identity_begin, identity_complete, identity_methods
from services_portal.core.errors import PortalError
from services_portal.core.throttling import throttle_scope


class CodeForm(forms.Form):
    method = forms.CharField(widget=forms.HiddenInput)
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@throttle_scope("code_send")
def verify_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    started: dict[str, str] = {}
    code_form = None
    status = 200
    if request.method == "POST" and citizen.bound_at is None:
        method = request.POST.get("method", "")
        if request.POST.get("action") == "begin":
            try:
                result = identity_begin(citizen=citizen, method=method, request=request)
            except PortalError as error:
                messages.error(request, error.message)
                status = 400
            else:
                if result.redirect_url:
                    return redirect(result.redirect_url)
                started[method] = result.message
                code_form = CodeForm(initial={"method": method}, auto_id=f"{method}-%s")
        else:
            code_form = CodeForm(request.POST, auto_id=f"{method}-%s")
            if code_form.is_valid():
                try:
                    identity_complete(citizen=citizen, method=method, data=code_form.cleaned_data, request=request)
                except PortalError as error:
                    errors_from(code_form, error)
                else:
                    messages.success(request, _("Your identity is verified. Your account now holds your record."))
                    return redirect("profiles:profile")
            status = 400
    citizen = citizen_of(request.user)
    methods = identity_methods(citizen)
    context = {
        "citizen": citizen,
        "methods": methods,
        "started": started,
        "code_form": code_form,
        "code_method": code_form["method"].value() if code_form is not None else "",
        "blank_forms": {
            method.method: CodeForm(initial={"method": method.method}, auto_id=f"{method.method}-%s")
            for method in methods
        },
    }
    return render(request, "profiles/verify.html", context, status=status)
