"""People's current facts read from the database in bulk, as columns (see population_load)."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone
from psycopg import sql

from profiles.facts import FACTS, FactType, Sensitivity
from profiles.facts.codec import fact_decode
from profiles.models import Citizen, FactValue, Household
from profiles.purposes import Purpose
from profiles.selectors import consent_in_force
from services_portal.eligibility.derived_columns import (
    CodeColumn,
    DateColumn,
    Ints,
    NumberColumn,
)
from services_portal.eligibility.facts import HOUSEHOLD_INCOME_FROM, household_facts
from services_portal.eligibility.population.columns import (
    NUMBER_TYPES,
    Population,
    categories_start,
    code_column,
    date_list_column,
    population_from_facts,
)

# -- the population read from the database in bulk --------------------------------------------------------


def population_load(citizen_ids: Sequence[int]) -> Population:
    """These citizens' current facts, the same as eligibility.facts.facts_for gives, read in bulk: on
    PostgreSQL one COPY of their current values; household facts worked out as facts_for does. Rows are
    the citizens in the order given, each once."""
    ids = list(dict.fromkeys(citizen_ids))
    if connection.vendor == "postgresql":
        population = _columns_copied(ids)
        _households_add(population, _households_queried(ids))
    else:
        people = Citizen.objects.filter(pk__in=ids).only("id", "guardian_id")
        population = population_from_facts(_facts_queried(ids, consent_in_force(people, Purpose.SENSITIVE_FACTS)), ids)
        _households_add(population, household_facts(ids))
    return population


def _households_queried(ids: list[int]) -> dict[int, dict[str, Any]]:
    """eligibility.facts.household_facts in one query that takes the ids as one array: the size of each
    one's registered household, and the income per person when every member's income is stored."""
    query = sql.SQL(
        "SELECT mine.citizen_id, count(*), count(income.value), array_agg(income.value #>> '{{}}') "
        "FROM {members} mine JOIN {members} everyone ON everyone.household_id = mine.household_id "
        "LEFT JOIN {values} income ON income.citizen_id = everyone.citizen_id AND income.key = %s "
        "AND income.superseded_at IS NULL "
        "WHERE mine.citizen_id = ANY(%s::int8[]) GROUP BY mine.citizen_id, mine.household_id"
    ).format(
        members=sql.Identifier(Household.members.through._meta.db_table),
        values=sql.Identifier(FactValue._meta.db_table),
    )
    result: dict[int, dict[str, Any]] = {}
    with connection.connection.cursor() as cursor:
        for citizen_id, size, with_income, incomes in cursor.execute(query, (HOUSEHOLD_INCOME_FROM, _id_array(ids))):
            household: dict[str, Any] = {"household_size": size}
            if with_income == size:
                total = sum(fact_decode(HOUSEHOLD_INCOME_FROM, income) for income in incomes)
                household["household_income_monthly_per_capita"] = (total / size).quantize(Decimal("0.01"))
            result[citizen_id] = household
    return result


def _id_array(ids: list[int]) -> str:
    """Ids as one PostgreSQL array literal: one parameter, however many, quick to pass."""
    return "{" + ",".join(map(str, ids)) + "}"


@dataclass(frozen=True)
class _Person:
    """A citizen as the consent selectors need them (profiles.selectors.ConsentSubject), without a model
    instance: thousands at a time."""

    pk: int
    guardian_id: int | None


def _readable(key: str, citizen_id: int, sensitive_ok: set[int]) -> bool:
    """What fact_values_for lets the rules read: no identity facts; sensitive ones only under consent."""
    fact = FACTS.get(key)
    if fact is None or fact.identity:
        return False
    return fact.sensitivity == Sensitivity.ORDINARY or citizen_id in sensitive_ok


def _current() -> tuple[str, datetime.datetime]:
    """The condition for a current value (neither superseded nor expired) and the moment it is judged at."""
    return "superseded_at IS NULL AND (expires_at IS NULL OR expires_at > %s)", timezone.now()


def _facts_queried(ids: list[int], sensitive_ok: set[int]) -> list[dict[str, Any]]:
    facts: dict[int, dict[str, Any]] = {citizen_id: {} for citizen_id in ids}
    where, now = _current()
    values = FactValue.objects.filter(citizen_id__in=ids).extra(where=[where], params=[now])  # noqa: S610
    for citizen_id, key, value in values.values_list("citizen_id", "key", "value").iterator(chunk_size=10_000):
        if _readable(key, citizen_id, sensitive_ok):
            facts[citizen_id][key] = fact_decode(key, value)
    return list(facts.values())


# The facts the rules may read; sensitive ones only under the consent holder's sensitive-facts consent.
RULE_FACTS = tuple(key for key, fact in FACTS.items() if not fact.identity)
SENSITIVE_FACTS = frozenset(key for key in RULE_FACTS if FACTS[key].sensitivity != Sensitivity.ORDINARY)


def _columns_copied(ids: list[int]) -> Population:
    """One COPY of the current values, a row per fact: each citizen id and value (a JSON scalar unquoted) in
    one string, so that a few rows carry everything; split and turned into columns with numpy."""
    where, now = _current()
    query = sql.SQL(
        "COPY (SELECT key, string_agg(citizen_id::text || {separator} || (value #>> '{{}}'), {separator}) "
        "FROM {table} WHERE citizen_id = ANY(%s::int8[]) AND key = ANY(%s) AND {current} GROUP BY key) TO STDOUT"
    ).format(
        table=sql.Identifier(FactValue._meta.db_table),
        current=sql.SQL(where),
        separator=sql.Literal(_SEPARATOR.decode()),
    )
    people = sql.SQL("SELECT id, guardian_id FROM {table} WHERE id = ANY(%s::int8[])").format(
        table=sql.Identifier(Citizen._meta.db_table)
    )
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        persons = [_Person(pk, guardian_id) for pk, guardian_id in cursor.execute(people, (_id_array(ids),))]
        with cursor.copy(query, (_id_array(ids), list(RULE_FACTS), now)) as copy:
            data = b"".join(bytes(block) for block in copy)
    sensitive_ok = consent_in_force(persons, Purpose.SENSITIVE_FACTS)
    population = Population(np.array(ids, dtype=np.int64), {}, {}, {}, {}, {})
    order = np.argsort(population.ids)
    allowed = np.zeros(population.size, dtype=bool)
    allowed[[i for i, citizen_id in enumerate(ids) if citizen_id in sensitive_ok]] = True
    for line in data.splitlines():
        key_field, pairs_field = (_copy_unescape(field) if b"\\" in field else field for field in line.split(b"\t"))
        key = key_field.decode()
        pairs = pairs_field.split(_SEPARATOR)  # citizen id, value, citizen id, value...
        if len(pairs) % 2:
            raise ValueError(f"{key}: a value holds the separator")
        citizen_ids = np.array(pairs[0::2]).astype(np.int64)
        texts = pairs[1::2]
        rows = order[np.searchsorted(population.ids, citizen_ids, sorter=order)]
        if key in SENSITIVE_FACTS:
            readable = allowed[rows]
            rows, texts = rows[readable], [text for text, kept in zip(texts, readable.tolist(), strict=True) if kept]
        if len(rows):
            _column_from_text(population, key, rows, texts)
    return population


# Between a fact's citizen ids and values in the COPY: a control character no value holds (the unit separator).
_SEPARATOR = b"\x1f"

_COPY_ESCAPES = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}


def _copy_unescape(field: bytes) -> bytes:
    """A field of COPY's text format as it was: backslash sequences undone."""
    return re.sub(rb"\\(.)", lambda match: _COPY_ESCAPES.get(match.group(1), match.group(1)), field)


def _column_from_text(population: Population, key: str, rows: Ints, texts: list[bytes]) -> None:
    """One fact's column from its values as COPY gives them: numbers and dates parsed by numpy at once."""
    size, fact = population.size, FACTS[key]
    known = np.zeros(size, dtype=bool)
    known[rows] = True
    if fact.type in NUMBER_TYPES:
        values = np.full(size, np.nan)
        values[rows] = np.array(texts).astype(np.float64)
        population.numbers[key] = NumberColumn(values, known)
    elif fact.type == FactType.DATE:
        days = np.zeros(size, dtype=np.int64)
        days[rows] = np.array(texts).astype("datetime64[D]").astype(np.int64)
        population.dates[key] = DateColumn(days, known)
    elif fact.type == FactType.DATE_LIST:
        lists: list[Any] = [None] * size
        for row, text in zip(rows.tolist(), texts, strict=True):
            lists[row] = fact_decode(key, json.loads(text))
        population.date_lists[key] = date_list_column(lists)
    else:
        categories, category_of = np.unique(np.array(texts), return_inverse=True)
        if fact.type == FactType.BOOLEAN:
            named: list[object] = [_BOOLEANS[text] for text in categories.tolist()]
        else:
            named = [text.decode() for text in categories.tolist()]
        column = code_column(named, categories_start(key))
        codes = np.full(size, -1, dtype=np.int32)
        codes[rows] = column.codes[category_of]
        population.codes[key] = CodeColumn(codes, column.categories)


_BOOLEANS = {b"true": True, b"false": False}


def _households_add(population: Population, households: Mapping[int, Mapping[str, Any]]) -> None:
    """facts_for's household facts over the stored ones: the size, and the income per person."""
    if not households:
        return
    position = {int(citizen_id): i for i, citizen_id in enumerate(population.ids.tolist())}
    for key in ("household_size", "household_income_monthly_per_capita"):
        stated = [(position[citizen_id], facts[key]) for citizen_id, facts in households.items() if key in facts]
        if not stated:
            continue
        column = population.numbers.get(key) or NumberColumn(
            np.full(population.size, np.nan), np.zeros(population.size, dtype=bool)
        )
        values, known = column.values.copy(), column.known.copy()
        rows = np.array([row for row, _ in stated], dtype=np.int64)
        values[rows] = [float(value) for _, value in stated]
        known[rows] = True
        population.numbers[key] = NumberColumn(values, known)
    if population.rows is not None:
        population.rows = [
            {**facts, **households.get(int(citizen_id), {})}
            for facts, citizen_id in zip(population.rows, population.ids.tolist(), strict=True)
        ]
