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

from django.db import connection
from django.utils import timezone

from profiles import hooks
from profiles.facts import FACTS
from profiles.facts.codec import fact_encode
from profiles.hooks import FactChange
from profiles.models import Citizen, ConsentEvent, FactSource, FactValue, Household, User
from profiles.resident_id import resident_id_hash, resident_id_mask
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
    hashes = {number: resident_id_hash(number) for number in set(numbers)}

    def found(digests: list[str]) -> dict[str, PersonRef]:
        people: dict[str, PersonRef] = {}
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


class FactRow(NamedTuple):
    """A checked value of a fact about a person, as the department delivered it."""

    citizen_id: int
    key: str
    value: Any  # clean, as the registry's parse returns it
    observed_at: datetime.datetime
    expires_at: datetime.datetime | None


@dataclass
class FactsRecorded:
    """What a batch changed: the people with a new value or a new household, and per person the facts
    whose value changed (what may start a life event)."""

    citizen_ids: set[int] = field(default_factory=set)
    changes: dict[int, dict[str, FactChange]] = field(default_factory=dict)


def facts_bulk_record(
    *,
    facts: Sequence[FactRow],
    department: str,
    recorded_by: User,
    households: Mapping[str, Collection[int]] | None = None,
) -> FactsRecorded:
    """Store a department's batch in the caller's transaction: each value supersedes the person's
    current one (the same value from the same department again records nothing), a new region_code
    moves the person, and the people named join their households (by the register's id). Then the apps
    above react, in the same transaction, to the values that changed (hooks.on_facts_recorded)."""
    current = _current_values({(fact.citizen_id, fact.key) for fact in facts})
    new: list[FactRow] = []
    superseded: list[int] = []
    changes: dict[int, dict[str, FactChange]] = defaultdict(dict)
    for fact in facts:
        encoded = fact_encode(fact.value)
        previous = current.get((fact.citizen_id, fact.key))
        if previous is not None:
            previous_id, previous_value, previous_department = previous
            if previous_value == encoded and previous_department == department:
                continue  # the same value from the same department: nothing new to record
            superseded.append(previous_id)
        if (previous is None or previous[1] != encoded) and not FACTS[fact.key].identity:
            changes[fact.citizen_id][fact.key] = FactChange(previous[1] if previous else None, fact.observed_at)
        new.append(fact._replace(value=encoded))
    _facts_write(new, superseded, department, recorded_by)
    _regions_move({fact.citizen_id: fact.value for fact in facts if fact.key == "region_code"})
    recorded = FactsRecorded({fact.citizen_id for fact in new} | _households_join(households or {}), dict(changes))
    hooks.on_facts_recorded(recorded.changes)
    return recorded


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


def _facts_write(new: list[FactRow], superseded: list[int], department: str, account: User) -> None:
    """Mark the superseded values, then insert the new ones (values as JSON): a person has one current
    value of a fact at a time (the `one_current_value` constraint), so the old one must step aside first."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        # The statement bulk_create makes on PostgreSQL (INSERT ... SELECT FROM UNNEST, one array per
        # column), without preparing every field of every row through the ORM: that took about 12 s
        # per 100,000 rows, against 3 s for the database's own work.
        with connection.cursor() as cursor:
            for chunk in _chunks(superseded, BULK_CHUNK):
                cursor.execute(_SUPERSEDE_SQL, [now, list(chunk)])
            for chunk in _chunks(new, BULK_CHUNK):
                citizen_ids, keys, values, observed, expires = zip(*chunk, strict=True)
                cursor.execute(
                    _INSERT_SQL,
                    [
                        FactSource.DEPARTMENT_FEED,
                        department,
                        account.pk,
                        now,
                        list(citizen_ids),
                        list(keys),
                        [json.dumps(value) for value in values],
                        list(observed),
                        list(expires),
                    ],
                )
        return
    for chunk in _chunks(superseded):
        FactValue.objects.filter(pk__in=chunk).update(superseded_at=now)
    FactValue.objects.bulk_create(
        [
            FactValue(
                citizen_id=fact.citizen_id,
                key=fact.key,
                value=fact.value,
                source=FactSource.DEPARTMENT_FEED,
                department=department,
                recorded_by_id=account.pk,
                observed_at=fact.observed_at,
                expires_at=fact.expires_at,
            )
            for fact in new
        ],
        batch_size=CHUNK,
    )


_SUPERSEDE_SQL = "UPDATE profiles_factvalue SET superseded_at = %s WHERE id = ANY(%s::bigint[])"
_INSERT_SQL = """
INSERT INTO profiles_factvalue
    (source, department, recorded_by_id, recorded_at, superseded_at, citizen_id, key, value, observed_at, expires_at)
SELECT %s, %s, %s, %s, NULL, citizen_id, key, value::jsonb, observed_at, expires_at
FROM UNNEST(%s::bigint[], %s::varchar[], %s::text[], %s::timestamptz[], %s::timestamptz[])
    AS row (citizen_id, key, value, observed_at, expires_at)
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
