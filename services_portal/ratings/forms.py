"""The forms of the rating pages. They read input; the services decide whether it fits (a reason for
the level chosen, words for "other"), and their refusals come back as field errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from services_portal.ratings.models import BAD_REASONS, GOOD_REASONS, RatingLevel, RatingReason
from services_portal.ratings.selectors import FollowUpFilter

FOLLOW_UP_FILTERS = [
    (FollowUpFilter.OPEN, _("Waiting for an answer")),
    (FollowUpFilter.OVERDUE, _("Overdue")),
    (FollowUpFilter.ANSWERED, _("Answered")),
    (FollowUpFilter.ALL, _("All")),
]


class RatingForm(forms.Form):
    level = forms.TypedChoiceField(
        label=_("How satisfied are you with how this was handled?"),
        choices=RatingLevel.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how satisfied you are.")},
    )
    reasons = forms.MultipleChoiceField(
        label=_("Why? Choose any that apply"),
        choices=RatingReason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    text = forms.CharField(
        label=_("Anything else you want to tell the department (optional)"),
        required=False,
        max_length=1000,
        help_text=_("Needed when you choose “Other”. Do not write your ID number or other personal details."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "rating-%s")
        super().__init__(*args, **kwargs)

    def reason_groups(self) -> list[tuple[str, list[Any]]]:
        """The reason checkboxes in the groups the person reads: what was good, what was wrong, other."""
        boxes = {box.data["value"]: box for box in self["reasons"]}
        return [
            (str(_("If you are satisfied: what was good")), [boxes[code] for code in GOOD_REASONS]),
            (str(_("If you are dissatisfied: what was wrong")), [boxes[code] for code in BAD_REASONS]),
            (str(_("Something else")), [boxes[RatingReason.OTHER]]),
        ]


class FollowUpAnswerForm(forms.Form):
    text = forms.CharField(
        label=_("Your answer to the person"),
        required=False,
        max_length=2000,
        help_text=_("Say what you found and what the department has put right. The person will read it."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "answer-%s")
        super().__init__(*args, **kwargs)


class FollowUpFilterForm(forms.Form):
    show = forms.ChoiceField(label=_("Show"), required=False, choices=FOLLOW_UP_FILTERS)

    def show_value(self) -> str:
        cleaned = getattr(self, "cleaned_data", {})
        return cleaned.get("show") or FollowUpFilter.OPEN


class SatisfactionFilterForm(forms.Form):
    since = forms.DateField(label=_("Rated from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Rated until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end must not be before the start."))
        return cleaned
