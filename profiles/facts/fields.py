"""Form fields for facts, built from the registry: the screener's steps and the /me/ fact forms use them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from profiles.facts.registry import FactDefinition, FactType
from services_portal.reference import regions

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
    common: dict[str, Any] = {"label": fact.question, "help_text": fact.hint, "required": False}
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
