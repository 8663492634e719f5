"""The screener's question pages, built from the fact registry."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from profiles.facts import FactDefinition, FactType
from services_portal.core.errors import PortalError
from services_portal.reference import regions
from services_portal.screener.screening import screener_answers_clean

NOT_SURE = ("", _("Not sure, or I prefer not to say"))


def _region_choices() -> list[Any]:
    groups = []
    for city in regions.all_regions():
        if city.level != "city":
            continue
        counties = [(child.code, child.name) for child in regions.children(city.code)]
        groups.append((city.name, [(city.code, city.name), *counties]))
    return [NOT_SURE, *groups]


def fact_field(fact: FactDefinition) -> forms.Field:
    """A form field for a fact. Values are checked by the registry, so every field is a plain text or choice."""
    common = {"label": fact.question, "help_text": fact.hint, "required": False}
    if fact.type == FactType.BOOLEAN:
        return forms.ChoiceField(
            choices=[("true", _("Yes")), ("false", _("No")), NOT_SURE], widget=forms.RadioSelect, **common
        )
    if fact.type == FactType.CHOICE:
        return forms.ChoiceField(
            choices=[(c.value, c.label) for c in fact.choices] + [NOT_SURE], widget=forms.RadioSelect, **common
        )
    if fact.type == FactType.REGION:
        return forms.ChoiceField(choices=_region_choices(), **common)
    if fact.type == FactType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if fact.type in (FactType.INTEGER, FactType.MONEY):
        mode = "numeric" if fact.type == FactType.INTEGER else "decimal"
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": mode, "autocomplete": "off"}), **common)
    return forms.CharField(widget=forms.TextInput(attrs={"autocomplete": "off"}), **common)


class StepForm(forms.Form):
    """One page of questions. Radio and select values outside the choices reach the registry check too."""

    def __init__(self, *args: Any, facts: tuple[FactDefinition, ...], today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.facts = facts
        self.today = today
        for fact in facts:
            self.fields[fact.key] = fact_field(fact)

    def full_clean(self) -> None:
        # The registry is the one judge of a value, so that the page and the API give the same messages.
        self._errors = forms.utils.ErrorDict()
        self.cleaned_data = {}
        if not self.is_bound:
            return
        raw = {fact.key: self.data.get(fact.key, "") for fact in self.facts}
        try:
            self.cleaned_data = screener_answers_clean(raw, today=self.today)
        except PortalError as error:
            for key, messages in error.fields.items():
                self._errors[key] = self.error_class(messages)
