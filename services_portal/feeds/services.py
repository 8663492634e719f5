"""Ingesting a department's batch of facts: checked row by row, stored in bulk, in one transaction.

A row that fails a check is kept out with its reason and the rest of the batch is stored. The whole
batch commits or nothing does, so a process killed halfway leaves nothing and the department simply
delivers the batch again. Delivering a stored batch again changes nothing and answers its result.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from profiles.facts import FACTS, FactValueError, Sensitivity
from profiles.models import Citizen, ConsentEvent, FactSource, FactValue, Household, User
from profiles.purposes import Purpose
from profiles.resident_id import ResidentIdInvalid, resident_id_clean, resident_id_hash, resident_id_mask
from profiles.services.facts import fact_encode
from services_portal.casework.services import cases_detect
from services_portal.core.errors import PortalError
from services_portal.core.tasks import enqueue_on_commit
from services_portal.feeds.models import FeedBatch, FeedRowRejection
from services_portal.notifications.services.triggers import FactChange, life_event_pushes_create

REQUIRED_COLUMNS = ("resident_id", "fact", "value", "observed_at")
OPTIONAL_COLUMNS = ("expires_at", "household_id")
MAX_ROWS = 200_000
# Rows per statement: large enough to keep round trips few, small enough to keep statements sane.
CHUNK = 5000
BULK_CHUNK = 20_000
HOUSEHOLD_ID_LENGTH = Household._meta.get_field("external_id").max_length
# A batch not detected this long after it arrived has lost its task: feeds.tasks.detect_pending queues it.
DETECT_LOST_AFTER = datetime.timedelta(minutes=5)
KEY_LENGTH = FeedRowRejection._meta.get_field("fact_key").max_length


class BatchRefused(PortalError):
    """The whole batch is refused (unreadable, wrong columns, too large); nothing is stored."""


@dataclass
class _Row:
    number: int
    number_clean: str
    key: str
    value: Any
    observed_at: datetime.datetime
    expires_at: datetime.datetime | None
    household_id: str


class _Person(NamedTuple):
    """What ingest needs of a citizen, read without building model instances."""

    pk: int
    guardian_id: int | None
    region_code: str


@dataclass
class _Outcome:
    accepted: list[_Row] = field(default_factory=list)
    rejected: list[FeedRowRejection] = field(default_factory=list)

    def reject(self, number: int, reason: str, message: str, key: str = "") -> None:
        # what the sender wrote is cut to the columns' size and loses the NUL PostgreSQL cannot store
        message, key = message.replace("\x00", "")[:300], key.replace("\x00", "")[:KEY_LENGTH]
        self.rejected.append(FeedRowRejection(row_number=number, reason=reason, message=message, fact_key=key))


def feed_csv_parse(content: bytes) -> list[dict[str, str]]:
    """Rows of a CSV batch (UTF-8, header line). A broken encoding or a missing column refuses the batch."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BatchRefused(
            "bad_encoding",
            _("The file is not UTF-8 text (byte %(position)d cannot be read).") % {"position": error.start},
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise BatchRefused(
            "missing_column", _("The CSV header lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    return list(reader)


def _moment(raw: Any) -> datetime.datetime | None:
    """The time a row names, or None where there is none: not a date, or an impossible one (2026-02-30,
    25:00, an offset of days), or one outside what the database can hold."""
    try:
        if isinstance(raw, datetime.datetime):
            moment = raw
        elif isinstance(raw, str) and raw.strip():
            moment = parse_datetime(raw.strip())
            if moment is None:
                day = parse_date(raw.strip())
                moment = datetime.datetime.combine(day, datetime.time()) if day else None
        else:
            return None
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        if moment is not None:
            moment.astimezone(datetime.UTC)  # raises for a time beyond year 1 .. 9999 in UTC
    except (ValueError, OverflowError):
        return None
    return moment


def _number_or_error(raw: str) -> str | ResidentIdInvalid:
    try:
        return resident_id_clean(raw)
    except ResidentIdInvalid as error:
        return error


def _check_rows(rows: Iterable[Mapping[str, Any]], department: str, outcome: _Outcome) -> None:
    """The checks that need no database: identity number, fact, department, value, dates, duplicates."""
    today = timezone.localdate()
    now = timezone.now()
    seen: set[tuple[str, str]] = set()
    # A batch names the same people and the same dates many times over: check each distinct one once.
    number_of = functools.cache(_number_or_error)
    moment_of = functools.cache(_moment)

    def moment(raw: Any) -> datetime.datetime | None:
        return moment_of(raw) if isinstance(raw, str) else _moment(raw)

    for number, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            outcome.reject(number, "invalid_row", _("The row must be an object with named fields."))
            continue
        key = str(row.get("fact") or "").strip()
        if any(isinstance(value, str) and "\x00" in value for value in row.values()):
            outcome.reject(number, "invalid_characters", _("The row holds a NUL character."), key)
            continue
        missing = [column for column in REQUIRED_COLUMNS if row.get(column) in (None, "")]
        if missing:
            outcome.reject(number, "missing_field", _("Missing: %(fields)s.") % {"fields": ", ".join(missing)}, key)
            continue
        clean_number = number_of(str(row["resident_id"]))
        if isinstance(clean_number, ResidentIdInvalid):
            outcome.reject(number, clean_number.code, clean_number.message, key)
            continue
        fact = FACTS.get(key)
        if fact is None:
            outcome.reject(number, "unknown_fact", _("%(key)s is not a fact the portal knows.") % {"key": key}, key)
            continue
        if department not in fact.departments:
            message = _("This department may not deliver %(fact)s.") % {"fact": fact.label}
            outcome.reject(number, "department_not_allowed", message, key)
            continue
        try:
            value = fact.parse(row["value"], today=today)
        except FactValueError as error:
            outcome.reject(number, error.code, error.message, key)
            continue
        observed_at = moment(row["observed_at"])
        if observed_at is None or observed_at > now:
            message = _("observed_at must be a date or time, not in the future.")
            outcome.reject(number, "invalid_observed_at", message, key)
            continue
        expires_at = moment(row.get("expires_at"))
        if row.get("expires_at") not in (None, "") and expires_at is None:
            outcome.reject(number, "invalid_expires_at", _("expires_at must be a date or time."), key)
            continue
        if (clean_number, key) in seen:
            message = _("The same person and fact appear earlier in this batch.")
            outcome.reject(number, "duplicate_row", message, key)
            continue
        household = str(row.get("household_id") or "").strip()
        if len(household) > HOUSEHOLD_ID_LENGTH:
            message = _("household_id may have at most %(count)d characters.") % {"count": HOUSEHOLD_ID_LENGTH}
            outcome.reject(number, "invalid_household_id", message, key)
            continue
        seen.add((clean_number, key))
        outcome.accepted.append(_Row(number, clean_number, key, value, observed_at, expires_at, household))


def _consents(people: Iterable[_Person]) -> dict[tuple[int, str], bool]:
    """The consent in force per (holder id, purpose), for every holder, in one query."""
    holders = {person.guardian_id or person.pk for person in people}
    latest: dict[tuple[int, str], bool] = {}
    events = ConsentEvent.objects.filter(
        citizen_id__in=holders, purpose__in=[Purpose.DATA_MATCHING, Purpose.SENSITIVE_FACTS]
    ).order_by("created_at", "id")
    for citizen_id, purpose, granted in events.values_list("citizen_id", "purpose", "granted"):
        latest[(citizen_id, purpose)] = granted
    return latest


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _people(rows: list[_Row]) -> tuple[dict[str, _Person], int]:
    """Citizens by clean number. A person the portal did not know gets a record only for a row of an
    identity fact (a name, a mobile number: stored without consent, to prove who they are later); any
    other row about them would be refused for want of consent, and makes no record. Those left out of
    the answer have no record."""
    hashes = {number: resident_id_hash(number) for number in {row.number_clean for row in rows}}
    makes_a_record = {row.number_clean for row in rows if FACTS[row.key].identity}

    def found(digests: list[str]) -> dict[str, _Person]:
        people = {}
        for chunk in _chunks(digests):
            for pk, digest, guardian_id, region_code in Citizen.objects.filter(resident_id_hash__in=chunk).values_list(
                "pk", "resident_id_hash", "guardian_id", "region_code"
            ):
                people[digest] = _Person(pk, guardian_id, region_code)
        return people

    known = found(list(set(hashes.values())))
    new = [
        Citizen(resident_id_hash=digest, resident_id_masked=resident_id_mask(number))
        for number, digest in hashes.items()
        if digest not in known and number in makes_a_record
    ]
    # Another batch may be creating the same new person at this moment: then its row wins.
    Citizen.objects.bulk_create(new, batch_size=CHUNK, ignore_conflicts=True)
    if new:
        known.update(found([citizen.resident_id_hash for citizen in new]))
    return {number: known[digest] for number, digest in hashes.items() if digest in known}, len(new)


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


class _NewFact(NamedTuple):
    citizen_id: int
    key: str
    value: Any  # as JSON
    observed_at: datetime.datetime
    expires_at: datetime.datetime | None


def _facts_write(new: list[_NewFact], superseded: list[int], department: str, account: User) -> None:
    """Mark the superseded values, then insert the new ones: a person has one current value of a fact
    at a time (the `one_current_value` constraint), so the old one must step aside first."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        # The statement bulk_create makes on PostgreSQL (INSERT ... SELECT FROM UNNEST, one array per
        # column), without preparing every field of every row through the ORM: that took about 12 s
        # per 100,000 rows, against 3 s for the database's own work.
        with connection.cursor() as cursor:
            for chunk in _chunks(superseded, BULK_CHUNK):
                cursor.execute(_SUPERSEDE_SQL, [now, chunk])
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


def _store(
    rows: list[_Row], people: dict[str, _Person], department: str, account: User
) -> tuple[set[int], dict[int, dict[str, FactChange]]]:
    """Supersede the current values and write the new ones in bulk; returns the citizens changed, and
    per citizen the facts whose value changed (what may start a life event)."""
    current = _current_values({(people[row.number_clean].pk, row.key) for row in rows})
    new: list[_NewFact] = []
    superseded: list[int] = []
    changes: dict[int, dict[str, FactChange]] = defaultdict(dict)
    for row in rows:
        citizen_id = people[row.number_clean].pk
        encoded = fact_encode(row.value)
        previous = current.get((citizen_id, row.key))
        if previous is not None:
            previous_id, previous_value, previous_department = previous
            if previous_value == encoded and previous_department == department:
                continue  # the same value from the same department: nothing new to record
            superseded.append(previous_id)
        if (previous is None or previous[1] != encoded) and not FACTS[row.key].identity:
            changes[citizen_id][row.key] = FactChange(previous[1] if previous else None, row.observed_at)
        new.append(_NewFact(citizen_id, row.key, encoded, row.observed_at, row.expires_at))
    _facts_write(new, superseded, department, account)
    regions_new = {people[row.number_clean].pk: row.value for row in rows if row.key == "region_code"}
    moved = [
        Citizen(pk=person.pk, region_code=regions_new[person.pk])
        for person in {people[row.number_clean] for row in rows}
        if person.pk in regions_new and regions_new[person.pk] != person.region_code
    ]
    Citizen.objects.bulk_update(moved, ["region_code"], batch_size=CHUNK)
    return {fact.citizen_id for fact in new}, changes


def _households(rows: list[_Row], people: dict[str, _Person]) -> set[int]:
    """Link people into the households named by the rows; returns the citizens whose household changed."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        if row.household_id and not FACTS[row.key].identity:  # an identity row links no one: no consent
            wanted[row.household_id].add(people[row.number_clean].pk)
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


def feed_batch_get(*, department: str, batch_id: str) -> FeedBatch | None:
    return FeedBatch.objects.filter(department=department, batch_id=batch_id).first()


def feed_batch_ingest(
    *, account: User, batch_id: str, rows: list[Mapping[str, Any]], format: str = FeedBatch.Format.JSON
) -> FeedBatch:
    """Store a department's batch. Returns the batch with its counts; rejected rows are on `rejections`."""
    department = account.department
    if not department:
        raise BatchRefused("no_department", _("This feed account is not linked to a department."))
    batch_id = str(batch_id or "").strip()[:100]
    if not batch_id:
        raise BatchRefused("missing_batch_id", _("The batch needs the department's own batch id."))
    if len(rows) > MAX_ROWS:
        raise BatchRefused("too_many_rows", _("A batch may hold at most %(max)d rows.") % {"max": MAX_ROWS})
    if (done := feed_batch_get(department=department, batch_id=batch_id)) is not None:
        return done
    outcome = _Outcome()
    _check_rows(rows, department, outcome)
    try:
        with transaction.atomic():
            batch, changed = _ingest(account, department, batch_id, format, rows, outcome)
    except IntegrityError:
        # The same batch was being delivered at the same moment and the other delivery won.
        if (done := feed_batch_get(department=department, batch_id=batch_id)) is not None:
            return done
        raise
    if changed:
        from services_portal.feeds.tasks import detect_batch

        enqueue_on_commit(detect_batch, batch.pk)
    return batch


def feed_batch_detect(*, batch_pk: int) -> int:
    """Casework detection for the people a batch changed, then the batch is marked detected, in one
    transaction. Returns the cases opened. Safe to run twice: the second run finds the batch done."""
    with transaction.atomic():
        batch = FeedBatch.objects.select_for_update().filter(pk=batch_pk, detected_at__isnull=True).first()
        if batch is None:
            return 0
        opened = cases_detect(citizen_ids=batch.detect_citizen_ids)
        batch.detected_at = timezone.now()
        batch.detect_citizen_ids = []
        batch.save(update_fields=["detected_at", "detect_citizen_ids"])
    return len(opened)


def feed_batches_undetected(*, now: datetime.datetime | None = None) -> list[int]:
    """Batches whose detection should have run by now and has not: its task was lost (the broker was
    down when the batch committed, or a worker died)."""
    now = now or timezone.now()
    undetected = FeedBatch.objects.filter(detected_at__isnull=True, received_at__lte=now - DETECT_LOST_AFTER)
    return list(undetected.order_by("received_at").values_list("pk", flat=True))


def _ingest(
    account: User, department: str, batch_id: str, format: str, rows: list, outcome: _Outcome
) -> tuple[FeedBatch, set[int]]:
    batch = FeedBatch.objects.create(department=department, batch_id=batch_id, account=account, format=format)
    people, created = _people(outcome.accepted)
    consents = _consents(people.values())
    storable = []
    for row in outcome.accepted:
        citizen = people.get(row.number_clean)
        holder = citizen and (citizen.guardian_id or citizen.pk)
        if citizen is not None and FACTS[row.key].identity:
            storable.append(row)  # proves who the person is, for nothing else (profiles.facts IDENTITY_BASIS)
        elif citizen is None or not consents.get((holder, Purpose.DATA_MATCHING)):
            message = _("The person has not agreed to receive department data.")
            outcome.reject(row.number, "no_data_matching_consent", message, row.key)
        elif FACTS[row.key].sensitivity == Sensitivity.SENSITIVE and not consents.get(
            (holder, Purpose.SENSITIVE_FACTS)
        ):
            message = _("The person has not agreed to the portal holding sensitive facts.")
            outcome.reject(row.number, "no_sensitive_consent", message, row.key)
        else:
            storable.append(row)
    stored, changes = _store(storable, people, department, account)
    changed = stored | _households(storable, people)
    # in this transaction: the batch and the pushes it causes commit together, or neither does
    life_event_pushes_create(changes=changes)
    for rejection in outcome.rejected:
        rejection.batch = batch
    FeedRowRejection.objects.bulk_create(sorted(outcome.rejected, key=lambda r: r.row_number), batch_size=5000)
    batch.rows_total = len(rows)
    batch.rows_accepted = len(storable)
    batch.rows_rejected = len(outcome.rejected)
    batch.rejected_by_reason = dict(Counter(rejection.reason for rejection in outcome.rejected))
    batch.people_created = created
    batch.detect_citizen_ids = sorted(changed)
    batch.detected_at = None if changed else timezone.now()
    batch.save()
    return batch, changed
