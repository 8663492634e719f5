"""Form fields for facts, built from the registry: the screener's steps and the /me/ fact forms use them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from profiles.facts.registry import NONE_ANSWER, FactDefinition, FactType
from services_portal.reference import regions

NOT_SURE = ("", _("Not sure, or I prefer not to say"))

# The checkbox beside a list fact's text box that answers "none" is named after the fact with this suffix.
NONE_SUFFIX = "_none"
# The province list beside a region fact's list of cities and counties is named after the fact with this suffix.
PROVINCE_SUFFIX = "_province"


def fact_form_value(fact: FactDefinition, data: Mapping[str, Any]) -> Any:
    """A fact's raw answer in posted form data: the text, or NONE_ANSWER when only "none" is ticked.
    Dates typed beside a ticked "none" win: they say more than the box. Nothing at all is "not answered"."""
    value = data.get(fact.key, "")
    if fact.none_answer and not str(value).strip() and data.get(fact.key + NONE_SUFFIX):
        return NONE_ANSWER
    if fact.type == FactType.REGION:
        return region_form_value(str(value).strip(), str(data.get(fact.key + PROVINCE_SUFFIX, "")).strip())
    return value


def region_form_value(region_code: str, province_code: str) -> str:
    """A region answer from its two lists. A province chosen without a county in it (another province, or
    the county list was not refreshed because scripts are off) answers "somewhere in that province"; the
    page then offers that province's counties to narrow it down. The home province alone stays "not sure"."""
    province = regions.get(province_code)
    if province is None or province.level != "province" or regions.is_within(region_code, province_code):
        return region_code
    if not region_code and province.code == regions.HOME_PROVINCE:
        return ""
    return province.code


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


def region_choices(province_code: str) -> list[Any]:
    """A province's cities and counties, grouped by city; districts a municipality or province runs directly
    come first, in a group named after it."""
    province = regions.get(province_code)
    if province is None:
        return [NOT_SURE]
    direct = [(child.code, child.name) for child in regions.children(province.code) if child.level == "county"]
    groups = [(province.name, [(province.code, province.name), *direct])]
    for city in regions.children(province.code):
        if city.level == "city":
            counties = [(child.code, child.name) for child in regions.children(city.code)]
            groups.append((city.name, [(city.code, city.name), *counties]))
    return [NOT_SURE, *groups]


class RegionWidget(forms.MultiWidget):
    """Two lists, province first, then the chosen province's cities and counties: the whole mainland is
    reachable without one list of 3,000 places. portal.js refreshes the second list when the province
    changes; without scripts, the province alone is the answer until the page comes back."""

    template_name = "profiles/widgets/region.html"

    def __init__(self, question: Any) -> None:
        self.question = question
        super().__init__(widgets={"province": forms.Select(), "": forms.Select()})

    def decompress(self, value: Any) -> list[Any]:
        region = regions.get(str(value or ""))
        return [region.province_code if region else regions.HOME_PROVINCE, value or ""]

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return region_form_value(str(data.get(name, "")).strip(), str(data.get(name + PROVINCE_SUFFIX, "")).strip())

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and name + PROVINCE_SUFFIX not in data

    def id_for_label(self, id_: str) -> str:
        return f"{id_}{PROVINCE_SUFFIX}" if id_ else id_

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        province = self.decompress(value)[0]
        province_select, region_select = (cast(forms.Select, widget) for widget in self.widgets)
        province_select.choices = [(region.code, region.name) for region in regions.provinces()]
        region_select.choices = region_choices(province)
        context = super().get_context(name, value, attrs)
        province_list, region_list = context["widget"]["subwidgets"]
        if region_list["attrs"].get("id"):
            # The answer's own list keeps the field's plain id; the province list, first, takes the label's.
            region_list["attrs"]["id"] = context["widget"]["attrs"]["id"]
            province_list["attrs"]["id"] = self.id_for_label(region_list["attrs"]["id"])
        context["widget"]["province_label"] = _("Province, region or municipality")
        context["widget"]["region_label"] = _("City, county or district")
        context["widget"]["question"] = self.question
        return context


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
        return forms.CharField(widget=RegionWidget(fact.question), **common)
    if fact.type == FactType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if fact.type == FactType.DATE_LIST and fact.none_answer:
        return forms.CharField(widget=ListOrNoneWidget(fact.none_answer), **common)
    if fact.type in (FactType.INTEGER, FactType.MONEY):
        mode = "numeric" if fact.type == FactType.INTEGER else "decimal"
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": mode, "autocomplete": "off"}), **common)
    return forms.CharField(widget=forms.TextInput(attrs={"autocomplete": "off"}), **common)
