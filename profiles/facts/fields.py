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
# A region fact's lists (province, then city, then the county, which is named after the fact) use these suffixes.
PROVINCE_SUFFIX = "_province"
CITY_SUFFIX = "_city"


def fact_form_value(fact: FactDefinition, data: Mapping[str, Any]) -> Any:
    """A fact's raw answer in posted form data: the text, or NONE_ANSWER when only "none" is ticked.
    Dates typed beside a ticked "none" win: they say more than the box. Nothing at all is "not answered"."""
    value = data.get(fact.key, "")
    if fact.none_answer and not str(value).strip() and data.get(fact.key + NONE_SUFFIX):
        return NONE_ANSWER
    if fact.type == FactType.REGION:
        return region_form_value(
            str(value).strip(),
            str(data.get(fact.key + PROVINCE_SUFFIX, "")).strip(),
            str(data.get(fact.key + CITY_SUFFIX, "")).strip(),
        )
    return value


def region_form_value(region_code: str, province_code: str, city_code: str = "") -> str:
    """A region answer from its lists: the county when it lies in the chosen city (or, with no city list,
    in the province); else the city; else another province ("somewhere in that province"). A county list
    that does not agree with the city above it was not refreshed (scripts are off): the city is the answer,
    and the page offers that city's counties next. The home province alone stays "not sure"."""
    province = regions.get(province_code)
    if province is None or province.level != "province":
        return region_code
    city = regions.get(city_code) if city_code else None
    if city is not None and not regions.is_within(city.code, province.code):
        city = None
    if region_code and regions.is_within(region_code, city.code if city else province.code):
        return region_code
    if city is not None:
        return city.code
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


def region_answer_to_narrow(
    facts: Iterable[FactDefinition], values: Mapping[str, Any], before: Mapping[str, Any]
) -> str:
    """The first region fact now answered with a city or a province (not yet a county) that differs from
    its answer before, or "": the page comes back to it with that place's counties or cities to choose."""
    for fact in facts:
        if fact.type != FactType.REGION or fact.key not in values or values[fact.key] == before.get(fact.key):
            continue
        region = regions.get(str(values[fact.key]))
        if region is not None and region.level in ("province", "city"):
            return fact.key
    return ""


def region_cities(province_code: str) -> list[tuple[str, str]]:
    """The first step in a province: its cities, and the province itself for the districts or county-level
    cities it runs directly (a municipality's districts; 湖北省's 仙桃市)."""
    province = regions.get(province_code)
    if province is None:
        return []
    children = regions.children(province.code)
    direct = [(province.code, province.name)] if any(child.level == "county" for child in children) else []
    return direct + [(child.code, child.name) for child in children if child.level == "city"]


def region_counties(city_code: str) -> list[tuple[str, str]]:
    """The second step: the counties and districts of a city, or those a province runs directly."""
    return [(child.code, child.name) for child in regions.children(city_code) if child.level == "county"]


def region_city_of(code: str) -> str:
    """The first step's answer for a region: its city, or its province for one the province runs directly."""
    region = regions.get(code)
    if region is None or region.level == "province":
        return ""
    city = regions.city_of(code)
    return city.code if city is not None else region.parent_code


class RegionWidget(forms.MultiWidget):
    """Three lists: the province (the home province chosen), then its cities, then the chosen city's
    counties, so that nobody reads one list of 125 places and the whole mainland stays reachable.
    portal.js refreshes the city and county lists from the region API when a list above changes; without
    scripts, the most exact answer that agrees is sent (a city whose county list was not refreshed), and
    the page comes back with that city's counties (the /me/facts/ page comes back at once)."""

    template_name = "profiles/widgets/region.html"

    def __init__(self, question: Any) -> None:
        self.question = question
        super().__init__(widgets={"province": forms.Select(), "city": forms.Select(), "": forms.Select()})

    def decompress(self, value: Any) -> list[Any]:
        region = regions.get(str(value or ""))
        if region is None:
            return [regions.HOME_PROVINCE, "", ""]
        city = region.code if region.level == "city" else region_city_of(region.code)
        return [region.province_code, city, region.code if region.level == "county" else ""]

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return region_form_value(
            str(data.get(name, "")).strip(),
            str(data.get(name + PROVINCE_SUFFIX, "")).strip(),
            str(data.get(name + CITY_SUFFIX, "")).strip(),
        )

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return not any(key in data for key in (name, name + PROVINCE_SUFFIX, name + CITY_SUFFIX))

    def id_for_label(self, id_: str) -> str:
        return f"{id_}{PROVINCE_SUFFIX}" if id_ else id_

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        province, city, _county = self.decompress(value)
        province_select, city_select, county_select = (cast(forms.Select, widget) for widget in self.widgets)
        province_select.choices = [(region.code, region.name) for region in regions.provinces()]
        city_select.choices = [NOT_SURE, *region_cities(province)]
        county_select.choices = [NOT_SURE, *(region_counties(city) if city else [])]
        context = super().get_context(name, value, attrs)
        province_list, city_list, county_list = context["widget"]["subwidgets"]
        if county_list["attrs"].get("id"):
            # The answer's own list keeps the field's plain id; the province list, first, takes the label's.
            county_list["attrs"]["id"] = context["widget"]["attrs"]["id"]
            province_list["attrs"]["id"] = self.id_for_label(county_list["attrs"]["id"])
            city_list["attrs"]["id"] = county_list["attrs"]["id"] + CITY_SUFFIX
        context["widget"].update(
            province_label=_("Province, region or municipality"),
            city_label=_("City"),
            county_label=_("County or district"),
            question=self.question,
        )
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
