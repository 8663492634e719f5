"""The forms of the casework pages. They read input; the services decide whether it is enough.

The reasons are not required here: the decision services check them (a listed reason, a text for
"other") and their refusals come back onto these forms as field errors, so the rule lives in one place.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from itertools import groupby
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from services_portal.casework.models import (
    ENDED_STATES,
    QUEUE_STATES,
    ApprovalReason,
    Case,
    CaseOrigin,
    CaseState,
    RefusalReason,
    RejectionReason,
)
from services_portal.casework.selectors import QueueSort, QueueView
from services_portal.catalog.models import ServiceItem
from services_portal.core.i18n import pick
from services_portal.reference import regions
from services_portal.reference.regions import Region

SORT_CHOICES = [
    (QueueSort.AGE, _("Oldest first")),
    (QueueSort.DUE, _("Due soonest first")),
    (QueueSort.AMOUNT, _("Largest amount first")),
    (QueueSort.REGION, _("By region")),
]


STATE_CHOICES = [
    (QueueView.WAITING, _("Waiting for a caseworker")),
    *((state.value, state.label) for state in QUEUE_STATES),
    # the state's own label speaks to the applicant ("more is needed from you")
    (CaseState.RETURNED.value, _("Returned, waiting for the applicant")),
    (QueueView.DECIDED, _("Decided")),
    *((state.value, state.label) for state in ENDED_STATES),
    (CaseState.WITHDRAWN.value, CaseState.WITHDRAWN.label),
]


def _group_label(city_code: str) -> str:
    city = regions.get(city_code)
    return city.name if city else city_code


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string."""

    state = forms.ChoiceField(label=_("Cases"), required=False, choices=STATE_CHOICES)
    origin = forms.ChoiceField(
        label=_("How it came"), required=False, choices=[("", _("Any way")), *CaseOrigin.choices]
    )
    service = forms.ChoiceField(label=_("Service"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    overdue = forms.BooleanField(label=_("Only cases past their time limit"), required=False)
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

    def filters(self) -> dict[str, Any]:
        """The valid filters; a value that is not one of the choices is left out (and shown as an error)."""
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "state": cleaned.get("state") or QueueView.WAITING,
            "origin": cleaned.get("origin") or "",
            "service": cleaned.get("service") or "",
            "region": cleaned.get("region") or "",
            "overdue": bool(cleaned.get("overdue")),
            "sort": cleaned.get("sort") or QueueSort.AGE,
        }


class _StepForm(forms.Form):
    """A step on a case: it carries the version of the case the caseworker saw."""

    decision = ""
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.decision}-%s")
        super().__init__(*args, **kwargs)
        self.case = case

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if "version" in self.errors:
            # Only a tampered or truncated form lacks the version it was shown with.
            self.errors.pop("version")
            self.add_error(None, _("The form is out of date. Look at the case again."))
        return cleaned


class _DecisionForm(_StepForm):
    reason_code = forms.ChoiceField(label=_("Reason"), widget=forms.RadioSelect, required=False)
    text = forms.CharField(
        label=_("Explanation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AcceptanceForm(_StepForm):
    """Accept the application (受理): the promised time limit starts."""

    decision = "accept"


class RefusalForm(_DecisionForm):
    """Refuse the application at intake (不予受理)."""

    decision = "refuse"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["reason_code"]).choices = RefusalReason.choices
        self.fields["reason_code"].label = _("Why is it not accepted?")
        self.fields["text"].label = _("Explanation")
        self.fields["text"].help_text = _("Needed when the reason is “Other”. The person will read it.")


def resubmit_by_default() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=settings.CASE_RESUBMIT_DAYS)


class ReturnForm(_StepForm):
    """Return the application for more (补正): what is missing, and by when."""

    decision = "return"
    materials = forms.MultipleChoiceField(
        label=_("Materials missing"), required=False, widget=forms.CheckboxSelectMultiple
    )
    text = forms.CharField(
        label=_("What else is needed"),
        required=False,
        max_length=2000,
        help_text=_("Say exactly what to send or correct. The person will read it."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    resubmit_by = forms.DateField(
        label=_("Send it by"),
        required=False,
        help_text=_("A date after today."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resubmit_by"].initial = resubmit_by_default()
        materials = self.case.service.materials if self.case is not None else []
        cast(forms.MultipleChoiceField, self.fields["materials"]).choices = [
            (material["code"], pick(material)) for material in materials
        ]


class DeliveryForm(_StepForm):
    """Record that what was approved was issued (a certificate, a card, a service done)."""

    decision = "deliver"
    text = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=2000,
        help_text=_("For example how it was issued. The person will read it."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ApprovalForm(_DecisionForm):
    decision = "approve"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["reason_code"]).choices = ApprovalReason.choices
        self.fields["reason_code"].label = _("Why do you approve?")
        self.fields["text"].label = _("Note (optional)")


class RejectionForm(_DecisionForm):
    decision = "reject"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["reason_code"]).choices = RejectionReason.choices
        self.fields["reason_code"].label = _("Why do you reject?")
        self.fields["text"].label = _("Explanation")
        self.fields["text"].help_text = _("Needed when the reason is “Other”. The person will read it.")


StepForm = AcceptanceForm | RefusalForm | ReturnForm | ApprovalForm | RejectionForm | DeliveryForm
STEP_FORMS: dict[str, type[StepForm]] = {
    form.decision: form for form in (AcceptanceForm, RefusalForm, ReturnForm, ApprovalForm, RejectionForm, DeliveryForm)
}


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("Why do you object?"),
        required=False,
        max_length=2000,
        help_text=_("Say what is wrong, for example a record that is out of date. A caseworker will look again."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReviewResponseForm(forms.Form):
    """The person's answer to a re-assessment of their benefit (动态认定)."""

    text = forms.CharField(
        label=_("Your response"),
        required=False,
        max_length=2000,
        help_text=_(
            "Say what is wrong or what has changed, for example a record that is out of date. "
            "The caseworker reads it before deciding."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
