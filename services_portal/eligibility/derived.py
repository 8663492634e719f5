"""Derived facts: computed from stored facts and a reference date, never stored.

Each derived fact names the stored facts it needs, so that an unknown derived fact can be
explained as "tell us X" in terms a person can answer.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rule_engine import DataType

from services_portal.reference import standards

LOW_INCOME_FACTOR = Decimal("1.5")


def full_years(start: datetime.date, end: datetime.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def full_months(start: datetime.date, end: datetime.date) -> int:
    """Whole months from `start` to `end`; negative when `end` comes first."""
    if end < start:
        return -full_months(end, start)
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


@dataclass(frozen=True)
class DerivedFact:
    key: str
    label: Promise
    depends_on: tuple[str, ...]
    rule_type: Any
    compute: Callable[[Mapping[str, Any], datetime.date], Any]
    unit: str = ""
    # None from `compute` means there is no such value (no children: no youngest child), an answer to keep
    # so that criteria over it are decided; otherwise None means it cannot be worked out (unknown).
    none_is_answer: bool = False


def _age(facts: Mapping[str, Any], on: datetime.date) -> int:
    return full_years(facts["birth_date"], on)


def _child_ages_months(facts: Mapping[str, Any], on: datetime.date) -> list[int]:
    return [full_months(born, on) for born in facts["children_birth_dates"] if born <= on]


def _youngest_child_age_months(facts: Mapping[str, Any], on: datetime.date) -> int | None:
    ages = _child_ages_months(facts, on)
    return min(ages) if ages else None


def _children_under_3_count(facts: Mapping[str, Any], on: datetime.date) -> int:
    return sum(1 for months in _child_ages_months(facts, on) if months < 36)


def _dibao_standard(facts: Mapping[str, Any], on: datetime.date) -> Decimal | None:
    return standards.dibao_standard_for(region_code=facts["region_code"], hukou_type=facts["hukou_type"])


def _low_income(facts: Mapping[str, Any], on: datetime.date) -> bool | None:
    standard = _dibao_standard(facts, on)
    if standard is None:
        return None
    income: Decimal = facts["household_income_monthly_per_capita"]
    return income < standard * LOW_INCOME_FACTOR


def _hukou_in_residence_city(facts: Mapping[str, Any], on: datetime.date) -> bool:
    hukou_region: str = facts["hukou_region_code"]
    region: str = facts["region_code"]
    return hukou_region[:4] == region[:4]


DERIVED_FACTS: dict[str, DerivedFact] = {
    fact.key: fact
    for fact in (
        DerivedFact("age", _("Age"), ("birth_date",), DataType.FLOAT, _age, unit="years"),
        DerivedFact(
            "youngest_child_age_months",
            _("Age of your youngest child"),
            ("children_birth_dates",),
            DataType.FLOAT,
            _youngest_child_age_months,
            unit="months",
            none_is_answer=True,
        ),
        DerivedFact(
            "children_under_3_count",
            _("Children under 3"),
            ("children_birth_dates",),
            DataType.FLOAT,
            _children_under_3_count,
        ),
        DerivedFact(
            "months_since_graduation",
            _("Months since graduation"),
            ("graduation_date",),
            DataType.FLOAT,
            lambda facts, on: full_months(facts["graduation_date"], on),
            unit="months",
        ),
        DerivedFact(
            "months_to_retirement",
            _("Months until retirement"),
            ("retirement_date",),
            DataType.FLOAT,
            lambda facts, on: full_months(on, facts["retirement_date"]),
            unit="months",
        ),
        DerivedFact(
            "months_since_business_registered",
            _("Months since your business was registered"),
            ("business_registered_date",),
            DataType.FLOAT,
            lambda facts, on: full_months(facts["business_registered_date"], on),
            unit="months",
        ),
        DerivedFact(
            "dibao_standard_monthly",
            _("Local minimum living standard"),
            ("region_code", "hukou_type"),
            DataType.FLOAT,
            _dibao_standard,
            unit="CNY",
            # living outside Guangxi, no Guangxi standard applies: criteria over it are not met
            none_is_answer=True,
        ),
        DerivedFact(
            "low_income",
            _("Low-income household"),
            ("household_income_monthly_per_capita", "region_code", "hukou_type"),
            DataType.BOOLEAN,
            _low_income,
            none_is_answer=True,
        ),
        DerivedFact(
            "hukou_in_residence_city",
            _("Household registration in the city where you live"),
            ("region_code", "hukou_region_code"),
            DataType.BOOLEAN,
            _hukou_in_residence_city,
        ),
    )
}


def facts_with_derived(
    facts: Mapping[str, Any], *, on: datetime.date, only: Iterable[str] | None = None
) -> dict[str, Any]:
    """The stored facts plus every derived fact their inputs allow (or those of `only`); a derived fact
    given is kept. A derived fact that has no value for a person (see DerivedFact.none_is_answer) is
    there as None."""
    result = dict(facts)
    wanted = DERIVED_FACTS.values() if only is None else [DERIVED_FACTS[key] for key in only if key in DERIVED_FACTS]
    for derived in wanted:
        if derived.key in result or not all(key in facts for key in derived.depends_on):
            continue
        value = derived.compute(facts, on)
        if value is not None or derived.none_is_answer:
            result[derived.key] = value
    return result


def stored_facts_behind(key: str) -> tuple[str, ...]:
    """The stored facts a person would tell us to settle `key` (itself when it is stored)."""
    derived = DERIVED_FACTS.get(key)
    return derived.depends_on if derived else (key,)
