"""The forms of the counter desk. They read input; the services and selectors decide."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from profiles.forms import mobile_number
from profiles.models import FactSource
from profiles.purposes import Purpose
from profiles.resident_id import ResidentIdInvalid, resident_id_clean
from services_portal.catalog.models import Bundle, ServiceItem
from services_portal.counter.hooks import HeldFact, Material
from services_portal.counter.models import OutreachOutcome
from services_portal.counter.selectors import DESK_PURPOSES, OutreachShow, OutreachSort, phone_clean
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


class ApplyChoiceForm(forms.Form):
    """What the person is at the desk to apply for: one service, or a bundle (一件事) of several."""

    service = forms.ChoiceField(label=_("One service"), required=False)
    bundle = forms.ChoiceField(
        label=_("Or several services at once, for one life event"),
        required=False,
        help_text=_("Asked once, sent as one case to each department concerned."),
    )

    def __init__(self, data: Any, *, services: Iterable[ServiceItem], bundles: Iterable[Bundle]) -> None:
        super().__init__(data, auto_id="choice-%s")
        cast(forms.ChoiceField, self.fields["service"]).choices = [
            ("", _("Choose a service")),
            *((s.code, s.name) for s in services),
        ]
        cast(forms.ChoiceField, self.fields["bundle"]).choices = [
            ("", _("Choose a bundle")),
            *((b.code, b.name) for b in bundles),
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("service") and cleaned.get("bundle"):
            self.add_error("bundle", _("Choose one service or one bundle, not both."))
        elif not cleaned.get("service") and not cleaned.get("bundle") and not self.errors:
            self.add_error("service", _("Choose what the person applies for."))
        return cleaned


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MaterialField(forms.FileField):
    """The scans of one material: any number of files (pages), checked by casework when submitted."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        cleaned = []
        for upload in uploads:
            cleaned.append(super().clean(upload, initial))
        return cleaned


def material_field_name(code: str) -> str:
    """A material's file input: named as casework names the field of its errors."""
    return f"material.{code}"


def _held_label(fact: HeldFact, departments: Mapping[str, str]) -> str:
    """A held fact as staff read it out, with where the portal has it from."""
    if fact.source == FactSource.DEPARTMENT_FEED:
        source = departments.get(fact.department) or _("a government department")
    elif fact.source == FactSource.COUNTER_STAFF:
        source = _("recorded at a counter")
    else:
        source = _("the person said so")
    return _("%(fact)s: %(value)s (source: %(source)s)") % {
        "fact": fact.definition.label,
        "value": fact.display,
        "source": source,
    }


class CounterApplyForm(forms.Form):
    """The application made for the person at the desk: the facts held, read out and confirmed; the
    materials scanned; the declaration the person confirmed and signed. The facts asked are a FactsForm
    beside it; casework judges the answers, files and declaration."""

    idempotency_key = forms.CharField(max_length=80, widget=forms.HiddenInput)
    confirmed = forms.MultipleChoiceField(
        label=_("What the portal holds about the person"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Read each one out. Untick what the person says is no longer true."),
    )
    declared = forms.BooleanField(
        label=_("The person confirmed and signed the declaration."),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        held: Iterable[HeldFact],
        uploads: Iterable[Material],
        departments: Mapping[str, str],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "apply-%s")
        super().__init__(*args, **kwargs)
        held = list(held)
        self.held_keys = [fact.definition.key for fact in held]
        confirmed = cast(forms.MultipleChoiceField, self.fields["confirmed"])
        confirmed.choices = [(fact.definition.key, _held_label(fact, departments)) for fact in held]
        confirmed.initial = self.held_keys
        self.uploads = list(uploads)
        for material in self.uploads:
            self.fields[material_field_name(material.code)] = MaterialField(
                label=material.name,
                required=False,
                help_text=_("Required: scan every page.") if material.required else _("Optional."),
                widget=MultipleFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
            )

    @property
    def material_fields(self) -> list[forms.BoundField]:
        return [self[material_field_name(material.code)] for material in self.uploads]

    def files_by_material(self) -> dict[str, list[Any]]:
        return {
            material.code: self.cleaned_data.get(material_field_name(material.code)) or [] for material in self.uploads
        }


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

    sort = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[
            (OutreachSort.URGENCY, _("Most urgent first")),
            (OutreachSort.DISTANCE, _("Nearest to your counter first")),
        ],
    )

    def show_value(self) -> str:
        return (getattr(self, "cleaned_data", {}) or {}).get("show") or OutreachShow.TO_DO

    def sort_value(self) -> str:
        return (getattr(self, "cleaned_data", {}) or {}).get("sort") or OutreachSort.URGENCY


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
