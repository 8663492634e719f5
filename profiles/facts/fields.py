"""Form fields for facts, built from the registry: the screener's steps and the /me/ fact forms use them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from profiles.facts.registry import NONE_ANSWER, FactDefinition, FactType
from services_portal.reference import regions

NOT_SURE = ("", _("Not sure, or I prefer not to say"))

# The checkbox beside a list fact's text box that answers "none" is named after the fact with this suffix.
NONE_SUFFIX = "_none"


def fact_form_value(fact: FactDefinition, data: Mapping[str, Any]) -> Any:
    """A fact's raw answer in posted form data: the text, or NONE_ANSWER when only "none" is ticked.
    Dates typed beside a ticked "none" win: they say more than the box. Nothing at all is "not answered"."""
    value = data.get(fact.key, "")
    if fact.none_answer and not str(value).strip() and data.get(fact.key + NONE_SUFFIX):
        return NONE_ANSWER
    return value


def form_values(facts: Iterable[FactDefinition], data: Mapping[str, Any]) -> dict[str, Any]:
    """The raw answers posted for `facts`, only those the form sent (a "none" box counts as sent)."""
    return {
        fact.key: fact_form_value(fact, data) for fact in facts if fact.key in data or fact.key + NONE_SUFFIX in data
    }


def fact_form_initial(value: Any) -> str:
    """A stored (JSON) value as a fact field's text; an empty list is the answer "none"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) if value else NONE_ANSWER
    return "" if value is None else str(value)


class ListOrNoneWidget(forms.MultiWidget):
    """A list fact's text box with a checkbox to answer "none"; its value is one text, as the registry reads it."""

    template_name = "profiles/widgets/list_or_none.html"

    def __init__(self, none_label: Any) -> None:
        self.none_label = none_label
        super().__init__(widgets={"": forms.TextInput(attrs={"autocomplete": "off"}), "none": forms.CheckboxInput()})

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, str) and value.strip().lower() == NONE_ANSWER:
            return ["", True]
        return [value or "", False]

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = data.get(name, "")
        return NONE_ANSWER if not str(value).strip() and data.get(name + NONE_SUFFIX) else value

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and name + NONE_SUFFIX not in data

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_0" if id_ else id_

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["none_label"] = self.none_label
        return context


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
    if fact.type == FactType.DATE_LIST and fact.none_answer:
        return forms.CharField(widget=ListOrNoneWidget(fact.none_answer), **common)
    if fact.type in (FactType.INTEGER, FactType.MONEY):
        mode = "numeric" if fact.type == FactType.INTEGER else "decimal"
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": mode, "autocomplete": "off"}), **common)
    return forms.CharField(widget=forms.TextInput(attrs={"autocomplete": "off"}), **common)
