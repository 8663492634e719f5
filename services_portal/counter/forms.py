"""The forms of the counter desk. They read input; the services and selectors decide."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from profiles.forms import mobile_number
from profiles.purposes import Purpose
from profiles.resident_id import ResidentIdInvalid, resident_id_clean
from services_portal.catalog.models import ServiceItem
from services_portal.counter.models import OutreachOutcome
from services_portal.counter.selectors import DESK_PURPOSES, OutreachShow, phone_clean
from services_portal.counter.services import OUTCOMES_RECORDED


class LookupForm(forms.Form):
    """Find a person by resident ID number, or else by name and mobile number; always with a purpose."""

    resident_id = forms.CharField(
        label=_("Resident ID number"),
        required=False,
        max_length=30,
        help_text=_("18 characters, as on the resident identity card."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label=_("Full name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel", "type": "tel"}),
    )
    purpose = forms.ChoiceField(
        label=_("Purpose of the look-up"),
        help_text=_("The person can see who looked at their data, and why."),
        choices=[(purpose.value, purpose.label) for purpose in DESK_PURPOSES],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the purpose of this look-up.")},
    )

    def clean_resident_id(self) -> str:
        raw = self.cleaned_data["resident_id"]
        if not raw.strip():
            return ""
        try:
            return resident_id_clean(raw)
        except ResidentIdInvalid as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def clean_phone(self) -> str:
        phone = phone_clean(self.cleaned_data["phone"])
        if phone:
            mobile_number(phone)
        return phone

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if "resident_id" in self.errors or cleaned.get("resident_id"):
            return cleaned
        name, phone = cleaned.get("name", "").strip(), cleaned.get("phone", "")
        if not name and not phone and "phone" not in self.errors:
            self.add_error("resident_id", _("Enter the resident ID number, or the name and mobile number."))
        elif not name:
            self.add_error("name", _("Enter the name as well as the mobile number."))
        elif not phone and "phone" not in self.errors:
            self.add_error("phone", _("Enter the mobile number as well as the name."))
        return cleaned


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(choices=Purpose.choices)
    action = forms.ChoiceField(choices=[("grant", "grant"), ("withdraw", "withdraw")])


class ApplyForm(forms.Form):
    service = forms.CharField(max_length=80)


class ServiceCheckForm(forms.Form):
    """Check one service for the person, read from the query string."""

    service = forms.ChoiceField(label=_("Check a service"), required=False)

    def __init__(self, data: Any, *, services: Iterable[ServiceItem]) -> None:
        super().__init__(data, auto_id="check-%s")
        cast(forms.ChoiceField, self.fields["service"]).choices = [
            ("", _("Choose a service")),
            *((s.code, s.name) for s in services),
        ]


class ChecklistForm(forms.Form):
    """Which services the checklist lists, and in which language; read from the query string."""

    service = forms.MultipleChoiceField(
        label=_("Services on the checklist"), required=False, widget=forms.CheckboxSelectMultiple
    )
    language = forms.ChoiceField(label=_("Language of the checklist"), required=False, widget=forms.RadioSelect)

    def __init__(self, data: Any, *, services: Iterable[ServiceItem], initial: dict[str, Any]) -> None:
        super().__init__(data, initial=initial, auto_id="checklist-%s")
        cast(forms.MultipleChoiceField, self.fields["service"]).choices = [(s.code, s.name) for s in services]
        cast(forms.ChoiceField, self.fields["language"]).choices = list(settings.LANGUAGES)


class OutreachFilterForm(forms.Form):
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            (OutreachShow.TO_DO, _("To do: not yet contacted, or due for a follow-up")),
            (OutreachShow.ALL, _("All tasks")),
            *OutreachOutcome.choices,
        ],
    )

    def show_value(self) -> str:
        return (getattr(self, "cleaned_data", {}) or {}).get("show") or OutreachShow.TO_DO


class OutreachOutcomeForm(forms.Form):
    """What came of contacting the person. The service checks the rules (a real outcome, no past date)."""

    outcome = forms.ChoiceField(
        label=_("What came of it?"),
        required=False,
        widget=forms.RadioSelect,
        choices=[(outcome.value, outcome.label) for outcome in OUTCOMES_RECORDED],
    )
    follow_up_on = forms.DateField(
        label=_("Follow up on (optional)"),
        required=False,
        help_text=_("The task comes back to the to-do list on this day."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=2000,
        help_text=_("For example the best time to call, or what the person asked."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "outcome-%s")
        super().__init__(*args, **kwargs)


class WalkInForm(forms.Form):
    """A person the portal does not know, recorded at the desk after staff checked their ID card."""

    resident_id = forms.CharField(
        label=_("Resident ID number"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label=_("Name as on the ID card"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    region_code = forms.CharField(
        label=_("Where the person lives"),
        max_length=6,
        help_text=_("The 6-digit administrative division code, like 450103."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    id_card_checked = forms.BooleanField(
        label=_("I have checked the person's resident identity card, and it is theirs."),
        error_messages={"required": _("Check the ID card before recording the person.")},
    )
    purpose = forms.ChoiceField(
        label=_("Purpose of the look-up"),
        choices=[(purpose.value, purpose.label) for purpose in DESK_PURPOSES],
        widget=forms.HiddenInput,
    )

    def clean_resident_id(self) -> str:
        try:
            return resident_id_clean(self.cleaned_data["resident_id"])
        except ResidentIdInvalid as error:
            raise forms.ValidationError(error.message, code=error.code) from None
