"""Ingesting a department's batch of facts: checked row by row, stored in bulk, in one transaction.

A row that fails a check is kept out with its reason and the rest of the batch is stored. The whole
batch commits or nothing does, so a process killed halfway leaves nothing and the department simply
delivers the batch again. Delivering a stored batch again changes nothing and answers its result.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from profiles import hooks
from profiles.facts import FACTS, FactDefinition, FactValueError, Sensitivity
from profiles.models import Household, User
from profiles.purposes import Purpose
from profiles.resident_id import ResidentIdInvalid, resident_ids_clean
from profiles.selectors import consent_in_force_by_purpose
from profiles.services.bulk import FactColumns, PersonRef, citizens_bulk_find, facts_bulk_record
from services_portal.core.errors import PortalError
from services_portal.core.tasks import enqueue_on_commit
from services_portal.feeds.models import FeedBatch, FeedRowRejection

REQUIRED_COLUMNS = ("resident_id", "fact", "value", "observed_at")
OPTIONAL_COLUMNS = ("expires_at", "household_id")
MAX_ROWS = 200_000
HOUSEHOLD_ID_LENGTH = cast(int, Household._meta.get_field("external_id").max_length)  # a CharField's: never None
# A batch not detected this long after it arrived has lost its task: feeds.tasks.detect_pending queues it.
DETECT_LOST_AFTER = datetime.timedelta(minutes=5)
KEY_LENGTH = FeedRowRejection._meta.get_field("fact_key").max_length
IDENTITY_KEYS = frozenset(key for key, fact in FACTS.items() if fact.identity)
SENSITIVE_KEYS = frozenset(key for key, fact in FACTS.items() if fact.sensitivity == Sensitivity.SENSITIVE)


class BatchRefused(PortalError):
    """The whole batch is refused (unreadable, wrong columns, too large); nothing is stored."""


# What the checks take for a field left out: nothing, or empty text.
_BLANK = (None, "")


@dataclass
class _Accepted:
    """The rows that passed the checks, one list per column (a row is the same place in each): a
    batch's hundred thousand rows as a few lists, not an object each."""

    numbers: list[int] = field(default_factory=list)  # in the batch, from 1
    numbers_clean: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)
    observed_at: list[datetime.datetime] = field(default_factory=list)
    expires_at: list[datetime.datetime | None] = field(default_factory=list)
    household_ids: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, rows: list[tuple]) -> _Accepted:
        """From rows as tuples in the order of the fields."""
        return cls(*([row[place] for row in rows] for place in range(len(fields(cls)))))

    def __len__(self) -> int:
        return len(self.numbers)


@dataclass
class _Outcome:
    accepted: _Accepted = field(default_factory=_Accepted)
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
    moment: datetime.datetime | None
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


class _Memo(dict):
    """A check's answers by what it was given, each worked out once: a batch names the same people,
    facts, values and dates many times over. A hit is a dict look-up; an argument that cannot be a key
    (a list) raises TypeError, and the caller works it out itself."""

    def __init__(self, work: Callable[[Any], Any]) -> None:
        super().__init__()
        self.work = work

    def __missing__(self, argument: Any) -> Any:
        answer = self[argument] = self.work(argument)
        return answer


def _parse_or_refusal(fact: FactDefinition, raw: Any, today: datetime.date) -> Any:
    """The registry's parse, with a refusal returned rather than raised, to be kept and given again."""
    try:
        return fact.parse(raw, today=today)
    except FactValueError as error:
        return error


def _check_rows(rows: Sequence[Any], department: str, outcome: _Outcome) -> None:
    """The checks that need no database: identity number, fact, department, value, dates, duplicates."""
    now, today = timezone.now(), timezone.localdate()
    seen: set[tuple[str, str]] = set()
    numbers = resident_ids_clean(
        str(row["resident_id"]) for row in rows if isinstance(row, Mapping) and row.get("resident_id") is not None
    )
    keys = _Memo(lambda raw: str(raw or "").strip())
    moments = _Memo(_moment)
    observed = _Memo(lambda raw: moment if (moment := _moment(raw)) is not None and moment <= now else None)
    # by (fact, type, value): True == 1, but they are not the same answer. A list the registry parses
    # from text is shared by the rows that sent the same text: nothing changes it.
    values = _Memo(lambda memo: _parse_or_refusal(FACTS[memo[0]], memo[2], today))
    accepted: list[tuple] = []
    accept = accepted.append
    may_hold_nul = _may_hold_nul(rows)
    for number, row in enumerate(rows, start=1):
        if type(row) is not dict and not isinstance(row, Mapping):
            outcome.reject(number, "invalid_row", _("The row must be an object with named fields."))
            continue
        get = row.get
        raw_key = get("fact")
        try:
            key = keys[raw_key]
        except TypeError:
            key = keys.work(raw_key)
        if may_hold_nul and any(isinstance(value, str) and "\x00" in value for value in row.values()):
            outcome.reject(number, "invalid_characters", _("The row holds a NUL character."), key)
            continue
        raw_number, raw_value, raw_observed = get("resident_id"), get("value"), get("observed_at")
        if raw_number in _BLANK or raw_key in _BLANK or raw_value in _BLANK or raw_observed in _BLANK:
            missing = [column for column in REQUIRED_COLUMNS if get(column) in _BLANK]
            outcome.reject(number, "missing_field", _("Missing: %(fields)s.") % {"fields": ", ".join(missing)}, key)
            continue
        clean_number = numbers[raw_number if type(raw_number) is str else str(raw_number)]
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
            value = values[key, type(raw_value), raw_value]
        except TypeError:
            value = _parse_or_refusal(fact, raw_value, today)
        if isinstance(value, FactValueError):
            outcome.reject(number, value.code, value.message, key)
            continue
        try:
            observed_at = observed[raw_observed]
        except TypeError:
            observed_at = observed.work(raw_observed)
        if observed_at is None:
            message = _("observed_at must be a date or time, not in the future.")
            outcome.reject(number, "invalid_observed_at", message, key)
            continue
        raw_expires = get("expires_at")
        try:
            expires_at = None if raw_expires is None else moments[raw_expires]
        except TypeError:
            expires_at = _moment(raw_expires)
        if expires_at is None and raw_expires not in _BLANK:
            outcome.reject(number, "invalid_expires_at", _("expires_at must be a date or time."), key)
            continue
        if (clean_number, key) in seen:
            message = _("The same person and fact appear earlier in this batch.")
            outcome.reject(number, "duplicate_row", message, key)
            continue
        raw_household = get("household_id")
        household = str(raw_household).strip() if raw_household else ""
        if len(household) > HOUSEHOLD_ID_LENGTH:
            message = _("household_id may have at most %(count)d characters.") % {"count": HOUSEHOLD_ID_LENGTH}
            outcome.reject(number, "invalid_household_id", message, key)
            continue
        seen.add((clean_number, key))
        accept((number, clean_number, key, value, observed_at, expires_at, household))
    outcome.accepted = _Accepted.of(accepted)


def _may_hold_nul(rows: Sequence[Any]) -> bool:
    """Whether some row's text may hold a NUL: all of a batch's text searched at once, so that rows are
    searched one by one only in a batch that has one somewhere (or rows that are not plain dicts)."""
    try:
        text = "".join([value for row in rows for value in row.values() if isinstance(value, str)])
    except (AttributeError, TypeError):
        return True
    return "\x00" in text or not all(type(row) is dict for row in rows)


def _people(rows: _Accepted) -> tuple[dict[str, PersonRef], int]:
    """Citizens by clean number. A person the portal did not know gets a record only for a row of an
    identity fact (a name, a mobile number: stored without consent, to prove who they are later); any
    other row about them would be refused for want of consent, and makes no record. Those left out of
    the answer have no record."""
    makes_a_record = {number for number, key in zip(rows.numbers_clean, rows.keys, strict=True) if key in IDENTITY_KEYS}
    return citizens_bulk_find(rows.numbers_clean, create=makes_a_record)


def feed_batch_get(*, department: str, batch_id: str) -> FeedBatch | None:
    return FeedBatch.objects.filter(department=department, batch_id=batch_id).first()


def feed_batch_ingest(
    *, account: User, batch_id: str, rows: Sequence[Mapping[str, Any]], format: str = FeedBatch.Format.JSON
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
        enqueue_on_commit("services_portal.feeds.tasks.detect_batch", batch.pk)
    return batch


def feed_batch_detect(*, batch_pk: int) -> int:
    """The apps above reassess the people a batch changed (profiles.hooks.on_people_reassess: casework
    opens the cases they now qualify for), then the batch is marked detected, in one transaction.
    Returns the cases opened. Safe to run twice: the second run finds the batch done."""
    with transaction.atomic():
        batch = FeedBatch.objects.select_for_update().filter(pk=batch_pk, detected_at__isnull=True).first()
        if batch is None:
            return 0
        opened = sum(hooks.on_people_reassess.collect(batch.detect_citizen_ids))
        batch.detected_at = timezone.now()
        batch.detect_citizen_ids = []
        batch.save(update_fields=["detected_at", "detect_citizen_ids"])
    return opened


def feed_batches_undetected(*, now: datetime.datetime | None = None) -> list[int]:
    """Batches whose detection should have run by now and has not: its task was lost (the broker was
    down when the batch committed, or a worker died)."""
    now = now or timezone.now()
    undetected = FeedBatch.objects.filter(detected_at__isnull=True, received_at__lte=now - DETECT_LOST_AFTER)
    return list(undetected.order_by("received_at").values_list("pk", flat=True))


def _ingest(
    account: User, department: str, batch_id: str, format: str, rows: Sequence[Mapping[str, Any]], outcome: _Outcome
) -> tuple[FeedBatch, set[int]]:
    batch = FeedBatch.objects.create(department=department, batch_id=batch_id, account=account, format=format)
    accepted = outcome.accepted
    people, created = _people(accepted)
    consenting = consent_in_force_by_purpose(people.values(), [Purpose.DATA_MATCHING, Purpose.SENSITIVE_FACTS])
    matching, sensitive_ok = consenting[Purpose.DATA_MATCHING], consenting[Purpose.SENSITIVE_FACTS]
    storable: list[int] = []  # places in `accepted`
    citizen_ids: list[int] = []
    for place, (number, clean_number, key) in enumerate(
        zip(accepted.numbers, accepted.numbers_clean, accepted.keys, strict=True)
    ):
        citizen = people.get(clean_number)
        if citizen is not None and key in IDENTITY_KEYS:
            pass  # proves who the person is, for nothing else (profiles.facts IDENTITY_BASIS)
        elif citizen is None or citizen.pk not in matching:
            message = _("The person has not agreed to receive department data.")
            outcome.reject(number, "no_data_matching_consent", message, key)
            continue
        elif key in SENSITIVE_KEYS and citizen.pk not in sensitive_ok:
            message = _("The person has not agreed to the portal holding sensitive facts.")
            outcome.reject(number, "no_sensitive_consent", message, key)
            continue
        storable.append(place)
        citizen_ids.append(citizen.pk)
    households: dict[str, set[int]] = defaultdict(set)  # the households the rows name, with who joins each
    for place, citizen_id in zip(storable, citizen_ids, strict=True):
        household = accepted.household_ids[place]
        if household and accepted.keys[place] not in IDENTITY_KEYS:  # an identity row links no one: no consent
            households[household].add(citizen_id)
    # in this transaction: the batch and the pushes it causes (profiles.hooks.on_facts_recorded) commit
    # together, or neither does
    recorded = facts_bulk_record(
        facts=FactColumns(
            citizen_ids,
            [accepted.keys[place] for place in storable],
            [accepted.values[place] for place in storable],
            [accepted.observed_at[place] for place in storable],
            [accepted.expires_at[place] for place in storable],
        ),
        department=department,
        recorded_by=account,
        households=households,
    )
    changed = recorded.citizen_ids
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
