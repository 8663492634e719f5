"""Writing many people's records at once: a department's batch of facts (feeds), and the population
the simulator makes up (recommender.simulator). Like the rest of profiles.services, nothing else writes
these tables; these writers take values the caller has checked (the registry's parse, the department's
right to deliver the fact, the person's consent) and write them without building model instances.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from profiles import hooks
from profiles.facts import FACTS
from profiles.facts.codec import fact_encode
from profiles.hooks import FactChange
from profiles.models import Citizen, ConsentEvent, FactSource, FactValue, Household, User
from profiles.resident_id import resident_id_mask, resident_ids_hash
from services_portal.core.bulk import rows_insert

# Rows per statement: large enough to keep round trips few, small enough to keep statements sane.
CHUNK = 5000
BULK_CHUNK = 20_000


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- a department's batch ------------------------------------------------------------------------------


class PersonRef(NamedTuple):
    """What a batch needs of a person, read without building model instances."""

    pk: int
    guardian_id: int | None
    region_code: str


def citizens_bulk_find(numbers: Iterable[str], *, create: Collection[str] = ()) -> tuple[dict[str, PersonRef], int]:
    """People by clean resident ID number. Those numbers in `create` the portal does not know get a
    record holding the number only; the others are left out of the answer. Returns the people and how
    many records were made."""
    hashes = resident_ids_hash(numbers)

    def found(digests: list[str]) -> dict[str, PersonRef]:
        people: dict[str, PersonRef] = {}
        if connection.vendor == "postgresql":
            # one statement for the whole batch, the digests as one text rather than one parameter each
            with connection.cursor() as cursor:
                cursor.execute(_CITIZENS_SQL, [",".join(digests)])
                for pk, digest, guardian_id, region_code in cursor.fetchall():
                    people[digest] = PersonRef(pk, guardian_id, region_code)
            return people
        for chunk in _chunks(digests):
            for pk, digest, guardian_id, region_code in Citizen.objects.filter(resident_id_hash__in=chunk).values_list(
                "pk", "resident_id_hash", "guardian_id", "region_code"
            ):
                if digest is not None:  # always, as found by it: for the type checker
                    people[digest] = PersonRef(pk, guardian_id, region_code)
        return people

    known = found(list(set(hashes.values())))
    new = [
        Citizen(resident_id_hash=digest, resident_id_masked=resident_id_mask(number))
        for number, digest in hashes.items()
        if digest not in known and number in create
    ]
    # Another batch may be creating the same new person at this moment: then its row wins.
    Citizen.objects.bulk_create(new, batch_size=CHUNK, ignore_conflicts=True)
    if new:
        known.update(found([hashes[number] for number in hashes if hashes[number] not in known and number in create]))
    return {number: known[digest] for number, digest in hashes.items() if digest in known}, len(new)


_CITIZENS_SQL = """
SELECT id, resident_id_hash, guardian_id, region_code FROM profiles_citizen
WHERE resident_id_hash = ANY(string_to_array(%s, ','))
"""


@dataclass
class FactColumns:
    """Checked values of facts about people, as a department delivered them: one list per column, a
    value the same place in each (a batch's rows as a few lists, not an object each)."""

    citizen_ids: list[int]
    keys: list[str]
    values: list[Any]  # clean, as the registry's parse returns them
    observed_at: list[datetime.datetime]
    expires_at: list[datetime.datetime | None]

    def __len__(self) -> int:
        return len(self.citizen_ids)

    def rows(self) -> Iterator[tuple[int, str, Any, datetime.datetime, datetime.datetime | None]]:
        return zip(self.citizen_ids, self.keys, self.values, self.observed_at, self.expires_at, strict=True)


@dataclass
class FactsRecorded:
    """What a batch changed: the people with a new value or a new household, and per person the facts
    whose value changed (what may start a life event)."""

    citizen_ids: set[int] = field(default_factory=set)
    changes: dict[int, dict[str, FactChange]] = field(default_factory=dict)


def facts_bulk_record(
    *,
    facts: FactColumns,
    department: str,
    recorded_by: User,
    households: Mapping[str, Collection[int]] | None = None,
) -> FactsRecorded:
    """Store a department's batch in the caller's transaction: each value supersedes the person's
    current one (the same value from the same department again records nothing), a new region_code
    moves the person, and the people named join their households (by the register's id). Then the apps
    above react, in the same transaction, to the values that changed (hooks.on_facts_recorded)."""
    merge = _facts_merge_postgresql if connection.vendor == "postgresql" else _facts_merge
    stored, changes = merge(facts, department, recorded_by)
    _regions_move({citizen_id: value for citizen_id, key, value, *_ in facts.rows() if key == "region_code"})
    recorded = FactsRecorded(stored | _households_join(households or {}), changes)
    hooks.on_facts_recorded(recorded.changes)
    return recorded


# Facts that only prove who a person is: a new value of one is no change for the apps above.
_IDENTITY_KEYS = frozenset(key for key, fact in FACTS.items() if fact.identity)


def _facts_merge(
    facts: FactColumns, department: str, account: User
) -> tuple[set[int], dict[int, dict[str, FactChange]]]:
    """The plain way, for SQLite: read the current values, compare, write in bulk. Returns the people
    given a new value and the changes per person."""
    encoded = [fact_encode(value) for value in facts.values]
    current = _current_values(set(zip(facts.citizen_ids, facts.keys, strict=True)))
    new, superseded, changes = _facts_compare(facts, encoded, current, department)
    now = timezone.now()
    for chunk in _chunks(superseded):
        FactValue.objects.filter(pk__in=chunk).update(superseded_at=now)
    FactValue.objects.bulk_create(
        [
            FactValue(
                citizen_id=facts.citizen_ids[place],
                key=facts.keys[place],
                value=encoded[place],
                source=FactSource.DEPARTMENT_FEED,
                department=department,
                recorded_by_id=account.pk,
                observed_at=facts.observed_at[place],
                expires_at=facts.expires_at[place],
            )
            for place in new
        ],
        batch_size=CHUNK,
    )
    return {facts.citizen_ids[place] for place in new}, changes


def _facts_compare(
    facts: FactColumns, encoded: Sequence[Any], current: Mapping[tuple[int, str], tuple[int, Any, str]], department: str
) -> tuple[list[int], list[int], dict[int, dict[str, FactChange]]]:
    """Each value beside the person's current one: the places of the values to record, the ids of the
    current values they supersede, and per person the facts whose value changed."""
    new: list[int] = []
    superseded: list[int] = []
    changes: dict[int, dict[str, FactChange]] = defaultdict(dict)
    for place, (citizen_id, key) in enumerate(zip(facts.citizen_ids, facts.keys, strict=True)):
        previous = current.get((citizen_id, key))
        value = encoded[place]
        if previous is not None:
            previous_id, previous_value, previous_department = previous
            if previous_value == value and previous_department == department:
                continue  # the same value from the same department: nothing new to record
            superseded.append(previous_id)
        if (previous is None or previous[1] != value) and key not in _IDENTITY_KEYS:
            changes[citizen_id][key] = FactChange(previous[1] if previous else None, facts.observed_at[place])
        new.append(place)
    return new, superseded, dict(changes)


def _current_values(wanted: set[tuple[int, str]]) -> dict[tuple[int, str], tuple[int, Any, str]]:
    """(id, value, department) of the current value of each wanted (citizen id, fact key)."""
    current = {}
    keys = sorted({key for _, key in wanted})
    citizen_ids = sorted({citizen_id for citizen_id, _ in wanted})
    for chunk in _chunks(citizen_ids):
        values = FactValue.objects.filter(citizen_id__in=chunk, key__in=keys, superseded_at__isnull=True)
        for pk, citizen_id, key, value, department in values.values_list(
            "pk", "citizen_id", "key", "value", "department"
        ):
            if (citizen_id, key) in wanted:
                current[(citizen_id, key)] = (pk, value, department)
    return current


def _facts_merge_postgresql(
    facts: FactColumns, department: str, account: User
) -> tuple[set[int], dict[int, dict[str, FactChange]]]:
    """As _facts_merge, with PostgreSQL's bulk paths: the batch's (person, fact) pairs go in with COPY
    to a temporary table, one join answers the current values, the superseded ones are marked by one
    statement and the new values go in with COPY. Reading the current values one chunk at a time and
    sending the new ones as arrays of parameters took most of a batch's time, and INSERT ... SELECT
    writes a row at a time where COPY writes pages. The temporary table is the transaction's own."""
    now = timezone.now()
    # as fact_encode, which leaves numbers, text and booleans (most of a batch) as they are
    encoded = [value if type(value) in _AS_THEY_ARE else fact_encode(value) for value in facts.values]
    citizen_ids, keys = facts.citizen_ids, facts.keys
    # a savepoint, or the transaction itself if the caller has none: the staging table lives until it ends
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_STAGE_SQL)
        with cursor.cursor.copy("COPY feed_facts_stage FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "int8", "varchar"])
            for row in zip(range(len(facts)), citizen_ids, keys, strict=True):
                copy.write_row(row)
        # values as text, read here: how the connection loads jsonb is Django's business (text, for JSONField)
        cursor.execute(_CURRENT_SQL)
        current = {
            (citizen_ids[place], keys[place]): (pk, json.loads(value), previous_department)
            for place, pk, value, previous_department in cursor.fetchall()
        }
        new, superseded, changes = _facts_compare(facts, encoded, current, department)
        if superseded:
            cursor.execute(_SUPERSEDE_SQL, [now, ",".join(map(str, superseded))])
        columns = "source, department, recorded_by_id, recorded_at, citizen_id, key, value, observed_at, expires_at"
        with cursor.cursor.copy(f"COPY profiles_factvalue ({columns}) FROM STDIN (FORMAT BINARY)") as copy:  # noqa: S608
            copy.set_types(
                ["varchar", "varchar", "int8", "timestamptz", "int8", "varchar", "jsonb"] + ["timestamptz"] * 2
            )
            source = FactSource.DEPARTMENT_FEED
            for place in new:
                copy.write_row(
                    (
                        source,
                        department,
                        account.pk,
                        now,
                        citizen_ids[place],
                        keys[place],
                        encoded[place],
                        facts.observed_at[place],
                        facts.expires_at[place],
                    )
                )
    return {citizen_ids[place] for place in new}, changes


_AS_THEY_ARE = frozenset({int, str, bool, float})
_STAGE_SQL = """
DROP TABLE IF EXISTS feed_facts_stage;
CREATE TEMPORARY TABLE feed_facts_stage (ordinal integer, citizen_id bigint, key varchar(64)) ON COMMIT DROP;
"""
_CURRENT_SQL = """
SELECT stage.ordinal, current.id, current.value::text, current.department
FROM feed_facts_stage AS stage
JOIN profiles_factvalue AS current
    ON current.citizen_id = stage.citizen_id AND current.key = stage.key AND current.superseded_at IS NULL
"""
# The old value steps aside before the new one comes in: a person has one current value of a fact at a
# time (the `one_current_value` constraint).
_SUPERSEDE_SQL = """
UPDATE profiles_factvalue SET superseded_at = %s WHERE id = ANY(string_to_array(%s, ',')::bigint[])
"""


def _regions_move(regions: Mapping[int, str]) -> None:
    """The person's region follows a new region_code fact (the counter desk and outreach go by it)."""
    if not regions:
        return
    moved = [
        Citizen(pk=pk, region_code=regions[pk])
        for pk, region_code in Citizen.objects.filter(pk__in=list(regions)).values_list("pk", "region_code")
        if regions[pk] != region_code
    ]
    Citizen.objects.bulk_update(moved, ["region_code"], batch_size=CHUNK)


def _households_join(wanted: Mapping[str, Collection[int]]) -> set[int]:
    """Link people into the households named (by the register's id); returns the people linked."""
    if not wanted:
        return set()
    existing = {h.external_id: h for h in Household.objects.filter(external_id__in=wanted)}
    Household.objects.bulk_create([Household(external_id=e) for e in wanted if e not in existing])
    households = {h.external_id: h for h in Household.objects.filter(external_id__in=wanted)}
    through = Household.members.through
    links = [
        through(household_id=households[external].pk, citizen_id=citizen_id)
        for external, citizen_ids in wanted.items()
        for citizen_id in citizen_ids
    ]
    through.objects.bulk_create(links, ignore_conflicts=True, batch_size=5000)
    return {citizen_id for citizen_ids in wanted.values() for citizen_id in citizen_ids}


# -- a simulated population ----------------------------------------------------------------------------
# Rows as tuples of values the database takes as they are (services_portal.core.bulk): timestamps as
# the database's text (core.bulk.moments_for_database), ids as integers. For people new to the database
# only: nothing is superseded, and no app above is told.


class CitizenInsert(NamedTuple):
    resident_id_hash: str
    resident_id_masked: str
    name: str
    phone: str
    region_code: str
    personalisation_enabled: bool
    created_at: Any


class FactInsert(NamedTuple):
    """A value as it stood when it was recorded (recorded when observed)."""

    citizen_id: int
    key: str
    value: Any  # clean, as the registry's parse returns it
    source: str
    department: str
    recorded_by_id: int | None
    observed_at: Any


class ConsentInsert(NamedTuple):
    citizen_id: int
    purpose: str
    granted: bool
    notice_id: int
    channel: str
    witness_id: int | None
    created_at: Any


def citizens_bulk_insert(citizens: Sequence[CitizenInsert]) -> list[int]:
    """Insert new people; returns their ids in the order given."""
    rows_insert(Citizen, CitizenInsert._fields, citizens)
    digests = [citizen.resident_id_hash for citizen in citizens]
    ids = dict(Citizen.objects.filter(resident_id_hash__in=digests).values_list("resident_id_hash", "pk"))
    return [ids[digest] for digest in digests]


def facts_bulk_insert(facts: Iterable[FactInsert]) -> int:
    """Insert the new people's facts (each the current value of its fact); returns how many."""
    columns = ("citizen", "key", "value", "source", "department", "recorded_by", "observed_at", "recorded_at")
    return rows_insert(
        FactValue,
        columns,
        (
            (
                fact.citizen_id,
                fact.key,
                json.dumps(fact_encode(fact.value)),
                fact.source,
                fact.department,
                fact.recorded_by_id,
                fact.observed_at,
                fact.observed_at,
            )
            for fact in facts
        ),
    )


def consents_bulk_insert(consents: Iterable[ConsentInsert]) -> int:
    """Insert the new people's consent ledger rows; returns how many."""
    columns = ("citizen", "purpose", "granted", "notice", "channel", "witness", "created_at")
    return rows_insert(ConsentEvent, columns, consents)
