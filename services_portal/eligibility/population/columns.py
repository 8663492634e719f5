"""People's facts as columns: built from fact dicts, and the view the compiled criteria read."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from profiles.facts import FACTS, FactType
from services_portal.eligibility.derived import DERIVED_FACTS, stored_facts_behind
from services_portal.eligibility.derived_columns import (
    DERIVED_COLUMNS,
    EPOCH_ORDINAL,
    Bools,
    CodeColumn,
    Codes,
    DateColumn,
    DateListColumn,
    DerivedColumn,
    Floats,
    Ints,
    NumberColumn,
)
from services_portal.eligibility.engine import FINITE_DOMAINS, CompiledExpression

NUMBER_TYPES = (FactType.INTEGER, FactType.MONEY)
CODE_TYPES = (FactType.CHOICE, FactType.BOOLEAN, FactType.REGION, FactType.TEXT, FactType.PHONE)
FINITE_TYPES = (FactType.CHOICE, FactType.BOOLEAN)


def categories_start(key: str) -> tuple[object, ...]:
    """The first codes of a fact's column: the values a yes/no or choice fact could take (none for others)."""
    return FINITE_DOMAINS.get(key, ())


def domain_size(key: str) -> int:
    """How many values an unknown yes/no or choice fact could take: the first codes of its column."""
    return len(categories_start(key))


Truth = tuple[Bools, Bools]  # (may be true, may be false)
Interval = tuple[Floats, Floats]  # (lo, hi); a known number has lo == hi
StandIns = Mapping[str, float]


# -- the population: facts as columns ------------------------------------------------------------------


@dataclass(eq=False)
class Population:
    """People's facts as columns, row i being person ids[i]."""

    ids: Ints
    numbers: dict[str, NumberColumn]
    codes: dict[str, CodeColumn]
    dates: dict[str, DateColumn]
    date_lists: dict[str, DateListColumn]
    # derived facts stated outright (the screener asks for an age): facts_with_derived keeps them
    given: dict[str, DerivedColumn]
    # the fact dicts the columns came from, when they came from dicts: what a criterion not compiled reads
    rows: Sequence[Mapping[str, Any]] | None = None
    _known: dict[str, Bools] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.ids)

    def known(self, key: str) -> Bools:
        """Whether each person's stored fact `key` is known."""
        found = self._known.get(key)
        if found is None:
            column: Any = (
                self.numbers.get(key) or self.codes.get(key) or self.dates.get(key) or self.date_lists.get(key)
            )
            found = self._known[key] = column.known if column is not None else np.zeros(self.size, dtype=bool)
        return found

    def facts(self, i: int) -> Mapping[str, Any]:
        """Row i's facts as the per-person engine takes them."""
        if self.rows is not None:
            return self.rows[i]
        facts: dict[str, Any] = {}
        for key, number in self.numbers.items():
            if number.known[i]:
                value = float(number.values[i])
                facts[key] = Decimal(f"{value:.2f}") if FACTS[key].type == FactType.MONEY else int(value)
        for key, code in self.codes.items():
            if code.codes[i] >= 0:
                facts[key] = code.categories[code.codes[i]]
        for key, date in self.dates.items():
            if date.known[i]:
                facts[key] = datetime.date.fromordinal(int(date.days[i]) + EPOCH_ORDINAL)
        for key, dates in self.date_lists.items():
            if dates.known[i]:
                days = dates.days[dates.offsets[i] : dates.offsets[i + 1]]
                facts[key] = [datetime.date.fromordinal(int(day) + EPOCH_ORDINAL) for day in days]
        for key, given in self.given.items():
            if given.present[i]:
                value = float(given.values[i])
                facts[key] = None if given.none[i] else int(value) if value.is_integer() else Decimal(str(value))
        return facts

    def missing(self, compiled: CompiledExpression, i: int) -> tuple[str, ...]:
        """The unknown stored facts behind the expression's symbols for row i, in registry order; a derived
        fact stated outright (the screener's age) stands for itself."""
        unknown = {
            key
            for symbol in compiled.symbols
            if not (symbol in self.given and self.given[symbol].present[i])
            for key in stored_facts_behind(symbol)
            if not self.known(key)[i]
        }
        return tuple(key for key in compiled.needs if key in unknown)


def _number_column(values: list[Any]) -> NumberColumn:
    array = np.array([np.nan if value is None else float(value) for value in values], dtype=np.float64)
    return NumberColumn(array, ~np.isnan(array))


def code_column(values: list[Any], start: tuple[object, ...]) -> CodeColumn:
    lookup: dict[object, int] = {None: -1}
    for index, category in enumerate(start):
        lookup[category] = index
    codes = np.array([lookup.setdefault(value, len(lookup) - 1) for value in values], dtype=np.int32)
    return CodeColumn(codes, tuple(category for category in lookup if category is not None))


def _date_column(values: list[Any]) -> DateColumn:
    days = np.array([0 if value is None else value.toordinal() - EPOCH_ORDINAL for value in values], dtype=np.int64)
    known = np.array([value is not None for value in values], dtype=bool)
    return DateColumn(days, known)


def date_list_column(values: list[Any]) -> DateListColumn:
    counts = np.array([0 if value is None else len(value) for value in values], dtype=np.int64)
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    days = np.array([day.toordinal() - EPOCH_ORDINAL for value in values if value for day in value], dtype=np.int64)
    known = np.array([value is not None for value in values], dtype=bool)
    return DateListColumn(days, offsets, known)


_ABSENT = object()


def _given_column(rows: Sequence[Mapping[str, Any]], key: str) -> DerivedColumn:
    """A derived fact some rows state outright; stated as None it is there as None, as facts_with_derived
    keeps whatever is given."""
    values = [row.get(key, _ABSENT) for row in rows]
    present = np.array([value is not _ABSENT for value in values], dtype=bool)
    none = np.array([value is None for value in values], dtype=bool)
    numbers = np.array([0.0 if value is None or value is _ABSENT else float(value) for value in values])
    return DerivedColumn(numbers, present, none)


def population_from_facts(rows: Sequence[Mapping[str, Any]], ids: Sequence[int] | None = None) -> Population:
    """Columns from the same fact dicts the per-person engine takes (Python values, clean)."""
    keys: set[str] = set()
    for row in rows:
        keys.update(row)
    population = Population(
        ids=np.arange(len(rows), dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64),
        numbers={},
        codes={},
        dates={},
        date_lists={},
        given={},
        rows=rows,
    )
    for key in keys:
        fact = FACTS.get(key)
        if fact is None:
            if key in DERIVED_FACTS:
                population.given[key] = _given_column(rows, key)
            continue
        values = [row.get(key) for row in rows]
        if fact.type in NUMBER_TYPES:
            population.numbers[key] = _number_column(values)
        elif fact.type in CODE_TYPES:
            population.codes[key] = code_column(values, categories_start(key))
        elif fact.type == FactType.DATE:
            population.dates[key] = _date_column(values)
        elif fact.type == FactType.DATE_LIST:
            population.date_lists[key] = date_list_column(values)
    return population


# -- rows being evaluated: the whole population, or some people with unknown facts set to a value ----------


class Rows:
    """The stored and derived facts of some rows as columns (derived_columns.FactColumns), with unknown
    yes/no and choice facts given the values in `fixed` (a code each): one assignment of step 1 in docs/adr/0011."""

    def __init__(
        self, population: Population, on: datetime.date, index: Ints | None = None, fixed: Mapping[str, int] = {}
    ) -> None:
        self.population = population
        self.on = on
        self.index = index
        self.fixed = fixed
        self.size = population.size if index is None else len(index)
        self._derived: dict[str, DerivedColumn] = {}
        # numbers as intervals, derived yes/no facts as codes: worked out once for all the criteria
        self.intervals: dict[str, Interval] = {}
        self.derived_codes: dict[str, Codes] = {}

    def _take(self, array: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return array if self.index is None else array[self.index]

    def number(self, key: str) -> NumberColumn:
        column = self.population.numbers.get(key)
        if column is None:
            return NumberColumn(np.full(self.size, np.nan), np.zeros(self.size, dtype=bool))
        return NumberColumn(self._take(column.values), self._take(column.known))

    def code(self, key: str) -> CodeColumn:
        column = self.population.codes.get(key)
        if column is None:
            column = CodeColumn(np.full(self.population.size, -1, dtype=np.int32), categories_start(key))
        codes: Codes = self._take(column.codes)
        if key in self.fixed:
            codes = np.where(codes < 0, np.int32(self.fixed[key]), codes).astype(np.int32)
        return CodeColumn(codes, column.categories)

    def date(self, key: str) -> DateColumn:
        column = self.population.dates.get(key)
        if column is None:
            return DateColumn(np.zeros(self.size, dtype=np.int64), np.zeros(self.size, dtype=bool))
        return DateColumn(self._take(column.days), self._take(column.known))

    def date_list(self, key: str) -> DateListColumn:
        column = self.population.date_lists.get(key)
        if column is None:
            empty = np.zeros(self.size + 1, dtype=np.int64)
            return DateListColumn(empty[:0], empty, np.zeros(self.size, dtype=bool))
        if self.index is None:
            return column
        starts = column.offsets[self.index]
        counts = column.offsets[self.index + 1] - starts
        offsets = np.zeros(self.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        within = np.arange(offsets[-1], dtype=np.int64) - np.repeat(offsets[:-1], counts)
        return DateListColumn(column.days[np.repeat(starts, counts) + within], offsets, column.known[self.index])

    def derived(self, key: str) -> DerivedColumn:
        found = self._derived.get(key)
        if found is None:
            found = DERIVED_COLUMNS[key](self, self.on)
            given = self.population.given.get(key)
            if given is not None:
                stated = self._take(given.present)
                found = DerivedColumn(
                    np.where(stated, self._take(given.values), found.values),
                    stated | found.present,
                    np.where(stated, self._take(given.none), found.none),
                )
            self._derived[key] = found
        return found
