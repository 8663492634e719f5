"""The forms of the casework pages. They read input; the services decide whether it is enough.

The reasons are not required here: the decision services check them (a listed reason, a text for
"other") and their refusals come back onto these forms as field errors, so the rule lives in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from services_portal.casework.models import ApprovalReason, RejectionReason
from services_portal.casework.selectors import QueueSort
from services_portal.catalog.models import ServiceItem
from services_portal.reference import regions
from services_portal.reference.regions import Region

SORT_CHOICES = [
    (QueueSort.AGE, _("Oldest first")),
    (QueueSort.AMOUNT, _("Largest amount first")),
    (QueueSort.REGION, _("By region")),
]


def _group_label(city_code: str) -> str:
    city = regions.get(city_code)
    return city.name if city else city_code


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string."""

    service = forms.ChoiceField(label=_("Service"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    sort = forms.ChoiceField(label=_("Order"), required=False, choices=SORT_CHOICES)

    def __init__(self, data: Any, *, services: Iterable[ServiceItem], areas: Iterable[Region]) -> None:
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["service"]).choices = [
            ("", _("All services")),
            *((s.code, s.name) for s in services),
        ]
        # Counties grouped under their city, the city itself first as "all of it".
        grouped = [
            (city_code, list(members)) for city_code, members in groupby(areas, key=lambda region: region.city_code)
        ]
        cast(forms.ChoiceField, self.fields["region"]).choices = [
            ("", _("All regions you cover")),
            *(
                (_group_label(city_code), [(region.code, region.name) for region in members])
                for city_code, members in grouped
            ),
        ]

    def filters(self) -> dict[str, str]:
        """The valid filters; a value that is not one of the choices is left out (and shown as an error)."""
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "service": cleaned.get("service") or "",
            "region": cleaned.get("region") or "",
            "sort": cleaned.get("sort") or QueueSort.AGE,
        }


class _DecisionForm(forms.Form):
    reason_code = forms.ChoiceField(label=_("Reason"), widget=forms.RadioSelect, required=False)
    text = forms.CharField(
        label=_("Explanation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if "version" in self.errors:
            # Only a tampered or truncated form lacks the version it was shown with.
            self.errors.pop("version")
            self.add_error(None, _("The form is out of date. Look at the case again."))
        return cleaned


class ApprovalForm(_DecisionForm):
    decision = "approve"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "approve-%s")
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["reason_code"]).choices = ApprovalReason.choices
        self.fields["reason_code"].label = _("Why do you approve?")
        self.fields["text"].label = _("Note (optional)")


class RejectionForm(_DecisionForm):
    decision = "reject"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "reject-%s")
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["reason_code"]).choices = RejectionReason.choices
        self.fields["reason_code"].label = _("Why do you reject?")
        self.fields["text"].label = _("Explanation")
        self.fields["text"].help_text = _("Needed when the reason is “Other”. The person will read it.")


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("Why do you object?"),
        required=False,
        max_length=2000,
        help_text=_("Say what is wrong, for example a record that is out of date. A caseworker will look again."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
