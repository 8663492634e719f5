"""The finance pages' forms: the list's filters and the bank's result file."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from services_portal.payments.models import PaymentState

RESULT_FILE_MAX_BYTES = 20 * 1024 * 1024


class PaymentFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("Any state")), *PaymentState.choices])
    period = forms.RegexField(
        label=_("Benefit period"),
        required=False,
        regex=r"^[0-9a-z-]{1,10}$",
        help_text=_("A year (2026), a month (2026-12) or once."),
        error_messages={"invalid": _("Write a year, a month such as 2026-12, or once.")},
    )
    service = forms.SlugField(label=_("Service code"), required=False, max_length=80)
    batch = forms.IntegerField(label=_("Payment file number"), required=False, min_value=1)
    without_account = forms.BooleanField(label=_("Only those waiting for a bank account"), required=False)

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "state": data["state"],
            "period": data["period"],
            "service": data["service"],
            "batch": data["batch"],
            "without_account": data["without_account"],
        }


class ResultFileForm(forms.Form):
    file = forms.FileField(
        label=_("The bank's result file (CSV)"),
        help_text=_("UTF-8 CSV as described in the payment file format. Sending the same file again does no harm."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > RESULT_FILE_MAX_BYTES:
            raise forms.ValidationError(_("The file is too large (at most 20 MB)."))
        return upload
