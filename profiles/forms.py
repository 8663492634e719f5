"""The forms of the account, /me/ and audit pages. They read input; the services decide and write."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from profiles.facts import FactDefinition
from profiles.facts.fields import fact_field, form_values
from profiles.models import AccessPurpose, User
from profiles.resident_id import ResidentIdInvalid, resident_id_clean
from profiles.services.accounts import citizen_for_resident_id, login_name
from profiles.services.sign_in import SignInWait, sign_in_wait_check
from services_portal.core.errors import PortalError

mobile_number = RegexValidator(r"^1\d{10}$", _("Enter an 11-digit mobile number that starts with 1."))


def _resident_id(raw: str) -> str:
    """The number checked as the sign-up service checks it, so that every error shows at once."""
    try:
        return resident_id_clean(raw)
    except ResidentIdInvalid as error:
        raise forms.ValidationError(error.message, code=error.code) from None


def errors_from(form: forms.Form, error: PortalError, *, aliases: dict[str, str] | None = None) -> None:
    """A service's refusal as form errors: each message on its field, the rest above the form."""
    aliases = aliases or {}
    for key, messages in error.fields.items():
        field = aliases.get(key, key)
        form.add_error(field if field in form.fields else None, list(messages))
    if not error.fields:
        form.add_error(None, error.message)


def resident_id_field() -> forms.CharField:
    """A person's own resident ID number, as they sign up or reset a password."""
    return forms.CharField(
        label=_("Resident ID number"),
        max_length=30,
        help_text=_("18 characters, as on your resident identity card."),
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class SignupForm(forms.Form):
    resident_id = resident_id_field()
    name = forms.CharField(label=_("Full name"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("At least 10 characters. Not only digits, and not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    phone = forms.CharField(
        label=_("Mobile number (optional)"),
        required=False,
        max_length=11,
        validators=[mobile_number],
        help_text=_("For text messages about your applications, if you agree to them."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"}),
    )

    def clean_resident_id(self) -> str:
        return _resident_id(self.cleaned_data["resident_id"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", _("The two passwords are not the same."))
        return cleaned


class LoginForm(AuthenticationForm):
    """Django's sign-in form, for an ID number or a staff user name. The identifier becomes the user
    name it stands for before anything (django-axes included) sees it."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The ID number or user name and the password do not match. Check them and try again. "
            "After %(limit)s wrong tries, signing in is paused for an hour."
        ),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.label = _("Resident ID number or staff user name")
        username.widget.attrs.update({"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
        username.widget.attrs.pop("autofocus", None)
        self.fields["password"].label = _("Password")

    def clean(self) -> dict[str, Any]:
        identifier = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if identifier is not None and password:
            username = login_name(identifier)
            try:
                sign_in_wait_check(request=self.request, username=username)
            except SignInWait as error:
                raise forms.ValidationError(error.message, code=error.code) from None
            self.user_cache = authenticate(self.request, username=username, password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def get_invalid_login_error(self) -> forms.ValidationError:
        return forms.ValidationError(
            self.error_messages["invalid_login"], code="invalid_login", params={"limit": settings.AXES_FAILURE_LIMIT}
        )


class SignInCodeForm(forms.Form):
    """The second step of signing in to an account under the soft lock: the texted code."""

    code = forms.CharField(
        label=_("Code from the text message"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class FactsForm(forms.Form):
    """The facts a citizen may state themselves, built from the registry. The registry (through the
    service) is the one judge of a value, so that the page and the API give the same messages; values
    refused for facts shown read-only land in `refused`."""

    def __init__(self, *args: Any, facts: Iterable[FactDefinition], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.facts = list(facts)
        self.refused: dict[str, list[str]] = {}
        for fact in self.facts:
            self.fields[fact.key] = fact_field(fact)

    def full_clean(self) -> None:
        self._errors = forms.utils.ErrorDict()
        self.cleaned_data = {}
        if self.is_bound:
            self.cleaned_data = form_values(self.facts, self.data)

    def refuse(self, error: PortalError) -> None:
        for key, messages in error.fields.items():
            if key in self.fields:
                self.add_error(key, list(messages))
            else:
                self.refused[key] = list(messages)
        if not error.fields:
            self.add_error(None, error.message)


class FactErrorReportForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("What is wrong, and what should it say?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say what is wrong.")},
    )


class CloseAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        help_text=_("To make sure it is you, enter your password again."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."), code="wrong_password")
        return password


def _new_password_fields() -> tuple[forms.CharField, forms.CharField]:
    return (
        forms.CharField(
            label=_("New password"),
            strip=False,
            help_text=_("At least 10 characters. Not only digits, and not a common password."),
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        ),
        forms.CharField(
            label=_("New password again"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        ),
    )


class _NewPasswordForm(forms.Form):
    """Two fields for the new password; the service judges its strength."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", forms.ValidationError(_("The two passwords differ."), code="mismatch"))
        return data


class PasswordChangeForm(_NewPasswordForm):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1, new_password2 = _new_password_fields()


class PasswordResetRequestForm(forms.Form):
    resident_id = resident_id_field()

    def clean_resident_id(self) -> str:
        return _resident_id(self.cleaned_data["resident_id"])


class PasswordResetForm(_NewPasswordForm):
    resident_id = PasswordResetRequestForm.base_fields["resident_id"]
    code = forms.CharField(
        label=_("Code from the text message"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    new_password1, new_password2 = _new_password_fields()

    def clean_resident_id(self) -> str:
        return _resident_id(self.cleaned_data["resident_id"])


class AccessLogSearchForm(forms.Form):
    """The auditor's search; every field optional, posted (a resident ID number never goes in a URL)."""

    subject = forms.CharField(
        label=_("Person's resident ID number"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    actor = forms.CharField(
        label=_("Staff user name"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    purpose = forms.ChoiceField(label=_("Purpose"), required=False, choices=[("", _("Any")), *AccessPurpose.choices])
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_subject(self) -> str:
        raw = self.cleaned_data["subject"]
        return _resident_id(raw) if raw.strip() else ""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned

    def filters(self) -> dict[str, Any] | None:
        """Keyword arguments for `access_log_search`; None when nothing can match (an unknown person)."""
        data = self.cleaned_data
        filters: dict[str, Any] = {"actor_username": data["actor"].strip(), "purpose": data["purpose"]}
        if data["subject"]:
            subject = citizen_for_resident_id(data["subject"])
            if subject is None:
                return None
            filters["subject"] = subject
        zone = timezone.get_current_timezone()
        if data["since"]:
            filters["since"] = datetime.datetime.combine(data["since"], datetime.time.min, tzinfo=zone)
        if data["until"]:
            next_day = data["until"] + datetime.timedelta(days=1)
            filters["until"] = datetime.datetime.combine(next_day, datetime.time.min, tzinfo=zone)
        return filters


class BankAccountForm(forms.Form):
    """The account benefits are paid into; the service (bank_accounts.bank_account_record) checks it."""

    bank_name = forms.CharField(
        label=_("Bank"), max_length=100, help_text=_("For example: Industrial and Commercial Bank of China.")
    )
    account_number = forms.CharField(
        label=_("Account or card number"),
        max_length=40,
        help_text=_("12 to 19 digits. Spaces are fine."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )
    holder_name = forms.CharField(
        label=_("Name of the account holder"), max_length=100, help_text=_("It must be your own name.")
    )
