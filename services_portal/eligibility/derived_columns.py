"""Derived facts (derived.py) worked out for a whole population at once, one vectorised function per fact.

Each function reads stored facts as columns and answers, per person, what `facts_with_derived` would hold:
present (all its inputs known and a value), present as None ("no such value", for a fact whose
`none_is_answer`), or absent (unknown). tests/eligibility/test_population.py checks that every derived
fact has one and that they agree with derived.py person by person.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import numpy as np
import numpy.typing as npt

from services_portal.eligibility.derived import DERIVED_FACTS, LOW_INCOME_FACTOR
from services_portal.reference import standards

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Codes = npt.NDArray[np.int32]

EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()


def day_number(value: datetime.date) -> int:
    """Days since 1970-01-01: how dates are held in columns."""
    return value.toordinal() - EPOCH_ORDINAL


@dataclass(frozen=True)
class NumberColumn:
    values: Floats  # NaN where unknown
    known: Bools


@dataclass(frozen=True)
class CodeColumn:
    """A fact with few distinct values (a choice, a yes/no, a region) as codes into `categories`; -1 unknown.
    A choice's categories start with its registry choices in order; a yes/no's are (False, True)."""

    codes: Codes
    categories: tuple[object, ...]

    @property
    def known(self) -> Bools:
        return self.codes >= 0


@dataclass(frozen=True)
class DateColumn:
    days: Ints  # days since 1970-01-01; 0 where unknown
    known: Bools


@dataclass(frozen=True)
class DateListColumn:
    """A list of dates per person, ragged: person i's dates are days[offsets[i]:offsets[i + 1]].
    An empty list is the answer "none" (known); an unknown list is empty and not known."""

    days: Ints
    offsets: Ints
    known: Bools


@dataclass(frozen=True)
class DerivedColumn:
    """values: the number, or 1.0 / 0.0 for a yes/no; present: in facts_with_derived; none: present as None."""

    values: Floats
    present: Bools
    none: Bools


class FactColumns(Protocol):
    """Stored facts as columns, over the rows being evaluated."""

    @property
    def size(self) -> int: ...

    def number(self, key: str) -> NumberColumn: ...

    def code(self, key: str) -> CodeColumn: ...

    def date(self, key: str) -> DateColumn: ...

    def date_list(self, key: str) -> DateListColumn: ...


def calendar(days: Ints) -> tuple[Ints, Ints, Ints]:
    """Year, month and day of each date, in integer arithmetic (H. Hinnant's civil_from_days): several
    times faster than numpy's datetime64 unit conversions."""
    shifted = days + 719_468
    era = shifted // 146_097
    day_of_era = shifted - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_from_march = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_from_march + 2) // 5 + 1
    month = np.where(month_from_march < 10, month_from_march + 3, month_from_march - 9)
    return year_of_era + era * 400 + (month <= 2), month, day


def full_months_between(start: Ints, end: Ints) -> Ints:
    """derived.full_months for day numbers (arrays, or one day as a 0-d array): whole months from start to
    end, negative when end comes first."""
    start_year, start_month, start_day = calendar(start)
    end_year, end_month, end_day = calendar(end)
    forward = (end_year - start_year) * 12 + end_month - start_month - (end_day < start_day)
    backward = (start_year - end_year) * 12 + start_month - end_month - (start_day < end_day)
    months: Ints = np.where(end < start, -backward, forward)
    return months


def _answer(key: str, values: Floats, inputs_known: Bools, no_value: Bools | None = None) -> DerivedColumn:
    """The column as facts_with_derived has it: worked out where its inputs are known; where it has no value,
    there as None if the derived fact says that is an answer (DerivedFact.none_is_answer), else absent."""
    if no_value is None:
        return DerivedColumn(np.where(inputs_known, values, 0.0), inputs_known, np.zeros(len(values), dtype=bool))
    none = inputs_known & no_value
    kept = DERIVED_FACTS[key].none_is_answer
    present = inputs_known if kept else inputs_known & ~no_value
    return DerivedColumn(np.where(present & ~none, values, 0.0), present, none if kept else np.zeros_like(none))


def age(columns: FactColumns, on: datetime.date) -> DerivedColumn:
    born = columns.date("birth_date")
    years, months, days = calendar(born.days)
    before_birthday = (on.month * 32 + on.day) < (months * 32 + days)
    return _answer("age", (on.year - years - before_birthday).astype(np.float64), born.known)


def _child_months(columns: FactColumns, on: datetime.date) -> tuple[DateListColumn, Ints, Bools, Ints]:
    """The children's list, each child's age in months, whether the child is born by `on`, and its person."""
    children = columns.date_list("children_birth_dates")
    counts = np.diff(children.offsets)
    person = np.repeat(np.arange(len(counts)), counts)
    today = np.array(day_number(on), dtype=np.int64)
    return children, full_months_between(children.days, today), children.days <= day_number(on), person


def youngest_child_age_months(columns: FactColumns, on: datetime.date) -> DerivedColumn:
    children, months, born, person = _child_months(columns, on)
    youngest = np.full(columns.size, np.inf)
    np.minimum.at(youngest, person[born], months[born].astype(np.float64))
    return _answer("youngest_child_age_months", youngest, children.known, ~np.isfinite(youngest))


def children_under_3_count(columns: FactColumns, on: datetime.date) -> DerivedColumn:
    children, months, born, person = _child_months(columns, on)
    counted = np.bincount(person[born & (months < 36)], minlength=columns.size).astype(np.float64)
    return _answer("children_under_3_count", counted, children.known)


def _months_since(key: str, stored: str) -> Callable[[FactColumns, datetime.date], DerivedColumn]:
    def months_since(columns: FactColumns, on: datetime.date) -> DerivedColumn:
        event = columns.date(stored)
        today = np.array(day_number(on), dtype=np.int64)
        return _answer(key, full_months_between(event.days, today).astype(np.float64), event.known)

    return months_since


def months_to_retirement(columns: FactColumns, on: datetime.date) -> DerivedColumn:
    retirement = columns.date("retirement_date")
    today = np.array(day_number(on), dtype=np.int64)
    return _answer(
        "months_to_retirement", full_months_between(today, retirement.days).astype(np.float64), retirement.known
    )


@cache
def _standards_of(regions: tuple[object, ...]) -> tuple[Floats, Floats, Floats, Floats]:
    """Per region category: the urban and rural standards (NaN where there is none) and 1.5 times each,
    the low-income line. The line is worked out in Decimal as derived.py does; money with two decimals
    and these lines (15 significant digits at most) compare as doubles exactly as they do as Decimals."""
    table = np.full((4, len(regions) + 1), np.nan)  # one more, for the code -1 of an unknown region
    for index, region in enumerate(regions):
        for kind, hukou_type in enumerate(("urban", "rural")):
            standard = standards.dibao_standard_for(region_code=str(region), hukou_type=hukou_type)
            if standard is not None:
                table[kind, index] = float(standard)
                table[2 + kind, index] = float(standard * LOW_INCOME_FACTOR)
    return table[0], table[1], table[2], table[3]


def _rural(columns: FactColumns) -> tuple[Bools, Bools]:
    hukou_type = columns.code("hukou_type")
    rural = hukou_type.categories.index("rural")
    return hukou_type.codes == rural, hukou_type.known


def _standard(columns: FactColumns, *, line: bool) -> tuple[Floats, Bools, Bools]:
    """The standard (or the low-income line) per person, whether its inputs are known, and where there is none."""
    region = columns.code("region_code")
    rural, hukou_known = _rural(columns)
    urban_standard, rural_standard, urban_line, rural_line = _standards_of(region.categories)
    at = region.codes
    urban, rural_ = (urban_line, rural_line) if line else (urban_standard, rural_standard)
    values: Floats = np.where(rural, rural_[at], urban[at])
    return values, region.known & hukou_known, np.isnan(values)


def dibao_standard_monthly(columns: FactColumns, on: datetime.date) -> DerivedColumn:
    values, inputs_known, none = _standard(columns, line=False)
    return _answer("dibao_standard_monthly", values, inputs_known, none)


def low_income(columns: FactColumns, on: datetime.date) -> DerivedColumn:
    line, inputs_known, none = _standard(columns, line=True)
    income = columns.number("household_income_monthly_per_capita")
    below = (income.values < line).astype(np.float64)
    return _answer("low_income", below, inputs_known & income.known, none)


def _prefixes(categories: tuple[object, ...], index: dict[str, int]) -> Ints:
    """The city (first four digits) of each region category, as a number shared by both columns; the last
    entry, for the code -1 of an unknown region, matches nothing."""
    cities = [index.setdefault(str(value)[:4], len(index)) for value in categories]
    return np.array([*cities, -1], dtype=np.int64)


def hukou_in_residence_city(columns: FactColumns, on: datetime.date) -> DerivedColumn:
    region = columns.code("region_code")
    hukou = columns.code("hukou_region_code")
    index: dict[str, int] = {}
    region_city = _prefixes(region.categories, index)[region.codes]
    hukou_city = _prefixes(hukou.categories, index)[hukou.codes]
    same = (region_city == hukou_city).astype(np.float64)
    return _answer("hukou_in_residence_city", same, region.known & hukou.known)


DERIVED_COLUMNS: dict[str, Callable[[FactColumns, datetime.date], DerivedColumn]] = {
    "age": age,
    "youngest_child_age_months": youngest_child_age_months,
    "children_under_3_count": children_under_3_count,
    "months_since_graduation": _months_since("months_since_graduation", "graduation_date"),
    "months_to_retirement": months_to_retirement,
    "months_since_business_registered": _months_since("months_since_business_registered", "business_registered_date"),
    "dibao_standard_monthly": dibao_standard_monthly,
    "low_income": low_income,
    "hukou_in_residence_city": hukou_in_residence_city,
}
