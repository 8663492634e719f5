"""How a person's data reads to people: fact values, field names and departments in the page language.

Shared by the /me/ pages and the export, so that a value reads the same wherever it is shown.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from profiles.facts import FACTS, TOPICS, FactType, Sensitivity
from profiles.models import Citizen, FactValue
from services_portal.reference import regions

# What the access log may name besides facts.
OTHER_FIELDS = {
    "access_log": lambda: _("Access log"),
    "bank_account": lambda: _("Bank account"),
    "consents": lambda: _("Consents"),
    "resident_id": lambda: _("Resident ID number"),
}


def _date(value: str) -> str:
    try:
        return formats.date_format(datetime.date.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)


def fact_value_display(key: str, value: Any) -> str:
    """A stored (JSON) fact value as a person reads it: labels, region names, dates, units."""
    fact = FACTS.get(key)
    if fact is not None and fact.type == FactType.DATE_LIST and value == []:
        return pgettext("a list fact answered none", "None")  # an answer (no children), not a question left unanswered
    if value is None or value == "" or value == []:
        return _("Not given")
    if fact is None:
        return str(value)
    if fact.type == FactType.BOOLEAN:
        return _("Yes") if value else _("No")
    if fact.type == FactType.CHOICE:
        return fact.choice_label(value)
    if fact.type == FactType.REGION:
        return regions.display_name(value)
    if fact.type == FactType.DATE:
        return _date(value)
    if fact.type == FactType.DATE_LIST:
        return _(", ").join(_date(item) for item in value)
    if fact.type == FactType.MONEY:
        return _("%(amount)s yuan") % {"amount": value}
    if fact.unit == "people":
        return ngettext("%(count)s person", "%(count)s people", int(value)) % {"count": value}
    return str(value)


def field_label(key: str) -> str:
    """The name of a fact or a record field, as the access log lists them."""
    if key in FACTS:
        return str(FACTS[key].label)
    if key in OTHER_FIELDS:
        return OTHER_FIELDS[key]()
    try:
        field = Citizen._meta.get_field(key)
    except Exception:  # noqa: BLE001 - an unknown name is shown as it is
        return key
    return capfirst(str(field.verbose_name)) if isinstance(field, models.Field) else key


@dataclass(frozen=True)
class FactRow:
    """One value of one fact with its provenance, ready for a page."""

    record: FactValue
    label: str
    value: str
    source: str
    department: str
    sensitive: bool

    @property
    def key(self) -> str:
        return self.record.key


def fact_row(record: FactValue, departments: Mapping[str, str]) -> FactRow:
    fact = FACTS.get(record.key)
    return FactRow(
        record=record,
        label=field_label(record.key),
        value=fact_value_display(record.key, record.value),
        source=record.get_source_display(),
        department=departments.get(record.department, record.department) if record.department else "",
        sensitive=bool(fact and fact.sensitivity == Sensitivity.SENSITIVE),
    )


@dataclass(frozen=True)
class TopicRows:
    code: str
    title: str
    rows: list[FactRow]


def rows_by_topic(records: Iterable[FactValue], departments: Mapping[str, str]) -> list[TopicRows]:
    """Current values grouped by the registry's topics, in the registry's order; empty topics left out."""
    by_key = {record.key: record for record in records}
    topics = []
    for code, title in TOPICS.items():
        rows = [
            fact_row(by_key[key], departments) for key, fact in FACTS.items() if fact.topic == code and key in by_key
        ]
        if rows:
            topics.append(TopicRows(code, str(title), rows))
    return topics
