"""The forms of applying online (views_apply) and of the applicant's own steps on a case (补正).

The apply form is built from what `application_form_for` says the application needs: a box to
confirm each fact the portal holds, a field for each fact it lacks (the registry's field, checked by
the registry), a file input for each material to upload, and a bank account when a service pays. The
uploads that pass the material checks are held (casework.held_uploads) so that the check page and a
form sent back with errors need not ask for them again. `application_submit` judges it all again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from profiles.facts import FactsInvalid, facts_clean
from profiles.facts.fields import fact_field, form_values
from profiles.models import BankAccount, FactSource
from profiles.services.bank_accounts import account_number_clean
from services_portal.casework.held_uploads import HeldUpload, held_by_material
from services_portal.casework.materials import CheckedFile, MaterialRefused, field_name, material_check
from services_portal.casework.services.applications import ApplicationForm, HeldFact, Material
from services_portal.core.errors import PortalError

CONFIRM_PREFIX = "confirm."
BANK_KEEP = "keep"
BANK_NEW = "new"
BANK_FIELDS = ("bank_name", "account_number", "holder_name")


def confirm_name(key: str) -> str:
    """The checkbox by which the person confirms a fact the portal holds."""
    return f"{CONFIRM_PREFIX}{key}"


@dataclass(frozen=True)
class BankDetails:
    bank_name: str
    account_number: str
    holder_name: str


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MaterialField(forms.FileField):
    """One material's files: one or more, as the person's scanner or phone made them."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        uploads = data if isinstance(data, list | tuple) else [data]
        return [upload for upload in uploads if upload]


class ApplyForm(forms.Form):
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        application_form: ApplicationForm,
        held: Sequence[HeldUpload] = (),
        bank_account: BankAccount | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.application_form = application_form
        self.held = held_by_material(held)
        self.bank_account = bank_account
        self.checked: list[CheckedFile] = []
        # a fact the person told us themselves may be corrected here; a department's is reported to it
        self.correctable = [
            fact.definition for fact in application_form.held if fact.source != FactSource.DEPARTMENT_FEED
        ]
        for fact in application_form.held:
            # labelled by the fact, as the error summary names it; the box itself says "This is right"
            self.fields[confirm_name(fact.definition.key)] = forms.BooleanField(
                label=str(fact.definition.label), required=False
            )
        for definition in self.correctable:
            self.fields[definition.key] = fact_field(definition)
        for definition in application_form.asked:
            self.fields[definition.key] = fact_field(definition)
        for material in application_form.uploads:
            self.fields[field_name(material.code)] = MaterialField(
                label=material.name, required=False, widget=MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"})
            )
        self.pays = any(service.benefit_amount_cny is not None for service in application_form.services)
        if self.pays:
            if bank_account is not None:
                self.fields["bank_choice"] = forms.ChoiceField(
                    label=_("Which account should we pay into?"),
                    widget=forms.RadioSelect,
                    required=False,
                    choices=[
                        (BANK_KEEP, _("The account you gave before: %(account)s") % {"account": bank_account.masked}),
                        (BANK_NEW, _("Another account")),
                    ],
                    initial=BANK_KEEP,
                )
            self.fields["bank_name"] = forms.CharField(label=_("Bank"), required=False, max_length=100)
            self.fields["account_number"] = forms.CharField(
                label=_("Account or bank card number"),
                required=False,
                max_length=40,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            )
            self.fields["holder_name"] = forms.CharField(
                label=_("Account holder"),
                required=False,
                max_length=100,
                help_text=_("The account must be in your own name."),
            )

        if self.is_bound and "bank_choice" in self.fields and not self.data.get("bank_choice"):
            # no choice is keeping the account given before, and is shown so
            data = cast(Any, self.data).copy()  # a QueryDict's copy is mutable
            data["bank_choice"] = BANK_KEEP
            self.data = data

    # -- what the template draws ---------------------------------------------------------------

    def _described(self, name: str, *, hint: bool = False) -> forms.BoundField:
        """The field, its input pointing at the hint and the error drawn beside it (screen readers)."""
        bound = self[name]
        ids = [f"{bound.auto_id}_helptext"] if hint else []
        if self.is_bound and bound.errors:
            ids.append(f"{bound.auto_id}_error")
        if ids:
            self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)
        return bound

    def held_rows(self) -> list[tuple[HeldFact, forms.BoundField, forms.BoundField | None]]:
        """Each held fact with its box to confirm it and, if the person may correct it here, its field."""
        return [
            (
                fact,
                self._described(confirm_name(fact.definition.key)),
                self[fact.definition.key] if fact.definition.key in self.fields else None,
            )
            for fact in self.application_form.held
        ]

    def asked_fields(self) -> list[forms.BoundField]:
        return [self[definition.key] for definition in self.application_form.asked]

    def upload_rows(self) -> list[tuple[Material, forms.BoundField, list[HeldUpload]]]:
        return [
            (
                material,
                self._described(field_name(material.code), hint=bool(self.held.get(material.code))),
                self.held.get(material.code, []),
            )
            for material in self.application_form.uploads
        ]

    def paying_names(self) -> str:
        """The services applied for that pay money, by name."""
        return "、".join(
            service.name for service in self.application_form.services if service.benefit_amount_cny is not None
        )

    def bank_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in BANK_FIELDS] if self.pays else []

    # -- checking --------------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        super().clean()
        self._clean_confirmations()
        self._clean_facts()
        self._clean_materials()
        self._clean_bank()
        return self.cleaned_data

    def _clean_confirmations(self) -> None:
        given = self.given()
        for fact in self.application_form.held:
            if fact.definition.key not in given and not self.cleaned_data.get(confirm_name(fact.definition.key)):
                self.add_error(
                    confirm_name(fact.definition.key),
                    _("Confirm that this is right, or correct it."),
                )

    def _clean_facts(self) -> None:
        try:
            facts_clean(self.given(), today=timezone.localdate())
        except FactsInvalid as invalid:
            for key, errors in invalid.errors.items():
                self.add_error(key if key in self.fields else None, [error.message for error in errors])

    def _clean_materials(self) -> None:
        new_count = 0
        for material in self.application_form.uploads:
            name = field_name(material.code)
            uploads = self.cleaned_data.get(name) or []
            new_count += len(uploads)
            checked = []
            for upload in uploads:
                try:
                    checked.append(material_check(material.code, upload))
                except MaterialRefused as refusal:
                    self.add_error(name, refusal.message)
            if checked:
                # new files for a material replace those held for it
                self.held.pop(material.code, None)
                self.checked.extend(checked)
            if material.required and name not in self.errors and not checked and not self.held.get(material.code):
                self.add_error(name, _("Upload this material."))
        if new_count + sum(len(files) for files in self.held.values()) > settings.MATERIAL_MAX_FILES:
            self.add_error(
                None, _("Too many files: at most %(max)d for an application.") % {"max": settings.MATERIAL_MAX_FILES}
            )

    def _clean_bank(self) -> None:
        if not self.new_bank_account():
            return
        for name, message in (
            ("bank_name", _("Enter the name of the bank.")),
            ("holder_name", _("Enter the name of the account holder.")),
        ):
            if not self.cleaned_data.get(name, "").strip():
                self.add_error(name, message)
        try:
            account_number_clean(self.cleaned_data.get("account_number", ""))
        except PortalError as error:
            self.add_error("account_number", error.fields.get("account_number") or error.message)

    # -- what is submitted -----------------------------------------------------------------------

    def given(self) -> dict[str, Any]:
        """The raw answers to the asked facts, as the registry reads them (blank ones left out)."""
        values = form_values([*self.application_form.asked, *self.correctable], self.data)
        return {key: value for key, value in values.items() if value not in ("", None)}

    def confirmed(self) -> list[str]:
        given = self.given()
        return [
            fact.definition.key
            for fact in self.application_form.held
            if fact.definition.key not in given and self.cleaned_data.get(confirm_name(fact.definition.key))
        ]

    def new_bank_account(self) -> bool:
        """Whether the person gives an account now (a service pays, and they do not keep the last one)."""
        if not self.pays:
            return False
        return self.bank_account is None or self.data.get("bank_choice") == BANK_NEW

    def bank_details(self) -> BankDetails:
        data = {name: str(self.cleaned_data.get(name, "")).strip() for name in BANK_FIELDS}
        return BankDetails(**data)

    def refuse(self, error: PortalError) -> None:
        """The service's refusal on the fields it names: a held fact's key on its box, the rest above."""
        for key, messages in error.fields.items():
            if key == "first_case":
                continue
            name = confirm_name(key) if confirm_name(key) in self.fields and key not in self.fields else key
            self.add_error(name if name in self.fields else None, list(messages))
            if name.startswith("material."):
                # refused files are not kept: the person chooses them again
                self.held.pop(name.removeprefix("material."), None)
        if not error.fields:
            self.add_error(None, error.message)


class DeclarationForm(forms.Form):
    declaration = forms.BooleanField(
        label=_(
            "I declare that what I have given is true and complete, and that the files are of real documents. "
            "I know that giving false information to obtain a benefit is against the law."
        ),
        error_messages={"required": _("Tick the declaration to submit your application.")},
    )


class WithdrawForm(forms.Form):
    withdraw = forms.BooleanField(
        label=_("Yes, withdraw this application"),
        error_messages={"required": _("Tick the box to confirm that you want to withdraw.")},
    )


class ResubmitForm(forms.Form):
    """补正: the files the department asked for, and a reply."""

    text = forms.CharField(
        label=_("Your reply (optional)"),
        required=False,
        max_length=2000,
        help_text=_("Say what you send, or answer what the department asked."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, materials: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "resubmit-%s")
        super().__init__(*args, **kwargs)
        self.materials = list(materials)
        for code, name in self.materials:
            self.fields[field_name(code)] = MaterialField(
                label=name, required=False, widget=MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"})
            )
        # the reply box last, after the files
        self.order_fields([*(field_name(code) for code, _name in self.materials), "text"])

    def files_by_material(self) -> dict[str, list[UploadedFile]]:
        return {code: self.cleaned_data.get(field_name(code)) or [] for code, _name in self.materials}

    def refuse(self, error: PortalError) -> None:
        for key, messages in error.fields.items():
            self.add_error(key if key in self.fields else None, list(messages))
        if not error.fields:
            self.add_error(None, error.message)
