"""Keeping the reach ledger: who is eligible for what since when (the population evaluator), and the steps
after it (reached, applied, decided, delivered) read from the rows the other apps already write.

`reach_ledger_refresh` evaluates people a chunk at a time (memory bounded by the chunk, one transaction per
chunk) and writes only the rows that changed, in bulk. `reach_events_apply` fills the later steps with a
few set-based UPDATEs, however many rows.

Which events count (decided here, DESIGN section 11): an event about the entry's service at or after a day
before `eligible_at` (EVENTS_FROM_BEFORE_ELIGIBLE): the refresh may run a little after the push that a
change of facts set off, and an event older than that was about an earlier episode. A case of the service
that is still live (undecided, approved or delivered) counts whatever its age: the person has the service
or is getting it, so they were reached. Review cases (动态认定) are not applications and do not count.
The first reach stays; a later run only moves it earlier (an event recorded late).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import DateTimeField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone

from profiles.models import Citizen
from services_portal.casework.models import Case, CaseOrigin, CaseState
from services_portal.catalog.models import ServiceItem
from services_portal.catalog.rules import life_event_rules, service_rules_build
from services_portal.counter.models import OutreachOutcome, OutreachTask
from services_portal.eligibility.engine import ServiceRules
from services_portal.eligibility.life_events import LifeEventRule, life_events_population
from services_portal.eligibility.population import ELIGIBLE, Population, population_evaluate, population_load
from services_portal.notifications.models import Delivery, DeliveryChannel, DeliveryState, Notification, Push
from services_portal.notifications.services.routing import reach_for
from services_portal.reach import groups
from services_portal.reach.models import ReachChannel, ReachEntry

LEDGER_CHUNK = 20_000
# rows per INSERT ... ON CONFLICT statement
WRITE_BATCH = 5_000
# Events this long before the entry's eligible_at still count for it (see the module's docstring).
EVENTS_FROM_BEFORE_ELIGIBLE = datetime.timedelta(days=1)
# Cases that are still live: the person has the service or is getting it.
LIVE_CASE_STATES = (
    CaseState.SUBMITTED,
    CaseState.IN_REVIEW,
    CaseState.RETURNED,
    CaseState.AWAITING_SECOND,
    CaseState.APPROVED,
    CaseState.DELIVERED,
)


@dataclass
class LedgerRefresh:
    """What one refresh did: people evaluated, rows eligible now, rows made, rows ended, and how long."""

    people: int = 0
    eligible: int = 0
    created: int = 0
    ended: int = 0
    seconds: float = 0.0


# -- eligibility -------------------------------------------------------------------------------------


def _services() -> tuple[list[ServiceItem], list[ServiceRules]]:
    """Published services with criteria (one without says nothing of who is eligible), in code order."""
    services = list(
        ServiceItem.objects.filter(is_published=True, criteria__isnull=False)
        .distinct()
        .order_by("code")
        .prefetch_related("criteria")
    )
    return services, [service_rules_build(service) for service in services]


def _chunks(citizen_ids: Sequence[int] | None, chunk: int) -> Iterator[list[tuple[int, str]]]:
    """(id, region code) of the people to evaluate, not erased, `chunk` at a time, in id order: all of them
    read by keyset (never all ids in memory), or those given."""
    people = Citizen.objects.filter(erased_at__isnull=True).order_by("pk")
    if citizen_ids is not None:
        ids = sorted(set(citizen_ids))
        for start in range(0, len(ids), chunk):
            rows = list(people.filter(pk__in=ids[start : start + chunk]).values_list("pk", "region_code"))
            if rows:
                yield rows
        return
    after = 0
    while rows := list(people.filter(pk__gt=after).values_list("pk", "region_code")[:chunk]):
        yield rows
        after = rows[-1][0]


def _years_before(on: datetime.date, years: int) -> int:
    """The day number (days since 1970-01-01, as date columns hold them) `years` full years before `on`:
    born on or before it, one is at least that old."""
    try:
        day = on.replace(year=on.year - years)
    except ValueError:  # 29 February
        day = on.replace(year=on.year - years, day=28)
    return (day - datetime.date(1970, 1, 1)).days


def _groups(
    population: Population,
    *,
    on: datetime.date,
    now: datetime.datetime,
    event_rules: Sequence[LifeEventRule],
    event_bits: dict[str, int],
) -> np.ndarray:
    """Each person's reach.groups bits: 60+ and 80+ from birth_date, a disability, the low_income life
    event, offline (routing's reach: not online lately), and every life event they are in."""
    bits = np.zeros(population.size, dtype=np.int64)
    born = population.dates.get("birth_date")
    if born is not None:
        for years, code in ((60, groups.ELDERLY_60), (80, groups.ELDERLY_80)):
            old = born.known & (born.days <= _years_before(on, years))
            bits[old] |= groups.VULNERABLE[code][0]
    disability = population.numbers.get("disability_level")
    if disability is not None:
        disabled = disability.known & (np.nan_to_num(disability.values) > 0)
        bits[disabled] |= groups.VULNERABLE[groups.DISABLED][0]
    if event_rules:
        members = life_events_population(population, rules=event_rules, on=on)
        for column, rule in enumerate(event_rules):
            bits[members[:, column]] |= event_bits[rule.code]
            if rule.code == groups.LOW_INCOME:
                bits[members[:, column]] |= groups.VULNERABLE[groups.LOW_INCOME][0]
    ids = population.ids.tolist()
    reach = reach_for(ids, now=now)
    offline = np.array([person in reach and not reach[person].online for person in ids], dtype=bool)
    bits[offline] |= groups.VULNERABLE[groups.OFFLINE][0]
    return bits


def reach_ledger_refresh(
    *, now: datetime.datetime, citizen_ids: Sequence[int] | None = None, chunk: int = LEDGER_CHUNK
) -> LedgerRefresh:
    """Bring the ledger up to date for everyone not erased (or the people given) as of `now`: an ELIGIBLE
    outcome makes a row (eligible_at = now) or keeps it (an ended one opened again is a new episode:
    eligible from now, its later steps cleared), with the person's region and groups; a row no longer
    ELIGIBLE (MAYBE included: a fact is unknown) ends (eligible_until = now). People are evaluated `chunk`
    at a time, each chunk written in bulk and committed on its own; only rows that changed are written.
    Then the later steps are read (`reach_events_apply`) for the same people. People given who are erased
    have their rows ended."""
    started = time.perf_counter()
    report = LedgerRefresh()
    on = timezone.localdate(now)
    services, rules = _services()
    event_rules = list(life_event_rules())
    event_bits = groups.life_event_bits([rule.code for rule in event_rules])
    for people in _chunks(citizen_ids, chunk):
        with transaction.atomic():
            _chunk_refresh(
                people,
                now=now,
                on=on,
                services=services,
                rules=rules,
                event_rules=event_rules,
                event_bits=event_bits,
                report=report,
            )
    # services no longer published (and the erased, whose rows closing the account deletes) keep their rows,
    # ended; a semi-join on the people, not a join of the ledger with itself, whatever the planner thinks
    erased = Citizen.objects.filter(erased_at__isnull=False).values("pk")
    ended = ReachEntry.objects.filter(eligible_until__isnull=True).filter(
        Q(citizen_id__in=erased) | ~Q(service__in=services)
    )
    if citizen_ids is not None:
        ended = ended.filter(citizen_id__in=list(citizen_ids))
    report.ended += ended.update(eligible_until=now, updated_at=now)
    reach_events_apply(citizen_ids=citizen_ids)
    report.seconds = time.perf_counter() - started
    return report


def _chunk_refresh(
    people: list[tuple[int, str]],
    *,
    now: datetime.datetime,
    on: datetime.date,
    services: list[ServiceItem],
    rules: list[ServiceRules],
    event_rules: Sequence[LifeEventRule],
    event_bits: dict[str, int],
    report: LedgerRefresh,
) -> None:
    ids = [pk for pk, _ in people]
    region_of = dict(people)
    report.people += len(ids)
    existing = {
        (citizen_id, service_id): (pk, region_code, bits, until)
        for pk, citizen_id, service_id, region_code, bits, until in ReachEntry.objects.filter(
            citizen_id__in=ids
        ).values_list("pk", "citizen_id", "service_id", "region_code", "groups", "eligible_until")
    }
    written: list[ReachEntry] = []
    reopened: list[int] = []
    eligible_pairs: set[tuple[int, int]] = set()
    if rules:
        population = population_load(ids)
        evaluated = population_evaluate(population, on=on, services=rules)
        rows, columns = np.nonzero(evaluated.outcomes == ELIGIBLE)
        if len(rows):
            bits = _groups(population, on=on, now=now, event_rules=event_rules, event_bits=event_bits)
            person_ids = evaluated.ids.tolist()
            for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
                citizen_id, service_id = person_ids[row], services[column].pk
                region_code, person_bits = region_of.get(citizen_id, "")[:6], int(bits[row])
                eligible_pairs.add((citizen_id, service_id))
                held = existing.get((citizen_id, service_id))
                if held is None:
                    report.created += 1
                elif held[1:] == (region_code, person_bits, None):
                    continue
                elif held[3] is not None:
                    reopened.append(held[0])
                written.append(
                    ReachEntry(
                        citizen_id=citizen_id,
                        service_id=service_id,
                        region_code=region_code,
                        groups=person_bits,
                        eligible_at=now,
                        eligible_until=None,
                    )
                )
    report.eligible += len(eligible_pairs)
    # eligible_at is not among the fields updated: a row still eligible keeps when it became eligible
    ReachEntry.objects.bulk_create(
        written,
        batch_size=WRITE_BATCH,
        update_conflicts=True,
        unique_fields=["citizen", "service"],
        update_fields=["region_code", "groups", "eligible_until", "updated_at"],
    )
    # an ended row eligible again is a new episode: eligible from now, its steps to be reached again
    ReachEntry.objects.filter(pk__in=reopened).update(
        eligible_at=now,
        reached_at=None,
        reached_channel="",
        escalation_step=0,
        escalated_at=None,
        applied_at=None,
        decided_at=None,
        delivered_at=None,
    )
    ending = [held[0] for pair, held in existing.items() if held[3] is None and pair not in eligible_pairs]
    for start in range(0, len(ending), WRITE_BATCH):
        report.ended += ReachEntry.objects.filter(pk__in=ending[start : start + WRITE_BATCH]).update(
            eligible_until=now, updated_at=now
        )


# -- the steps after eligibility -------------------------------------------------------------------------


def _since() -> F:
    """The earliest moment an event counts for the entry (OuterRef: the entry)."""
    return OuterRef("eligible_at") - Value(EVENTS_FROM_BEFORE_ELIGIBLE)  # type: ignore[return-value]


def _first(queryset: QuerySet, field: str) -> Subquery:
    """The earliest `field` of these rows, as a subquery per ledger entry."""
    return Subquery(queryset.order_by(field).values(field)[:1], output_field=DateTimeField())


def _inbox_read() -> Subquery:
    pushes = Push.objects.filter(
        citizen_id=OuterRef(OuterRef("citizen_id")),
        service_id=OuterRef(OuterRef("service_id")),
        idempotency_key=OuterRef("idempotency_key"),
    )
    read = Notification.objects.filter(Exists(pushes), read_at__isnull=False, read_at__gte=_since())
    return _first(read, "read_at")


def _sms_delivered() -> Subquery:
    delivered = Delivery.objects.filter(
        push__citizen_id=OuterRef("citizen_id"),
        push__service_id=OuterRef("service_id"),
        channel=DeliveryChannel.SMS,
        state=DeliveryState.DELIVERED,
        updated_at__gte=_since(),
    )
    return _first(delivered, "updated_at")


def _outreach(outcome: str) -> Subquery:
    done = OutreachTask.objects.filter(
        citizen_id=OuterRef("citizen_id"),
        service_id=OuterRef("service_id"),
        outcome=outcome,
        outcome_at__isnull=False,
        outcome_at__gte=_since(),
    )
    return _first(done, "outcome_at")


def _cases(origins: Sequence[str] | None = None) -> QuerySet:
    """The entry's cases that count: opened since the entry's window began, or still live."""
    cases = (
        Case.objects.filter(citizen_id=OuterRef("citizen_id"), service_id=OuterRef("service_id"))
        .exclude(origin=CaseOrigin.REVIEW)
        .filter(Q(opened_at__gte=_since()) | Q(state__in=LIVE_CASE_STATES))
    )
    return cases.filter(origin__in=origins) if origins is not None else cases


# How a person can be reached, in the order a tie is settled (the first wins).
def _reach_events() -> list[tuple[str, Subquery]]:
    return [
        (ReachChannel.APPLIED, _first(_cases([CaseOrigin.ONLINE, CaseOrigin.COUNTER]), "opened_at")),
        (ReachChannel.CASE_OPENED, _first(_cases([CaseOrigin.PROACTIVE]), "opened_at")),
        (ReachChannel.INBOX, _inbox_read()),
        (ReachChannel.SMS, _sms_delivered()),
        (ReachChannel.COUNTER_PHONE, _outreach(OutreachOutcome.REACHED_BY_PHONE)),
        (ReachChannel.VISIT, _outreach(OutreachOutcome.VISITED)),
    ]


def people_with_events_since(since: datetime.datetime) -> list[int]:
    """The people with an event the ledger reads at or after `since`: an inbox message read, a text message
    delivered, an outreach outcome, a case opened, decided or delivered. One pass over each table's recent
    rows, however large the ledger."""
    people = set(Notification.objects.filter(read_at__gte=since).values_list("citizen_id", flat=True))
    delivered = Delivery.objects.filter(
        channel=DeliveryChannel.SMS, state=DeliveryState.DELIVERED, updated_at__gte=since
    )
    people.update(delivered.values_list("push__citizen_id", flat=True))
    people.update(OutreachTask.objects.filter(outcome_at__gte=since).values_list("citizen_id", flat=True))
    cases = Case.objects.filter(Q(opened_at__gte=since) | Q(decided_at__gte=since) | Q(delivered_at__gte=since))
    people.update(cases.values_list("citizen_id", flat=True))
    return sorted(people)


def reach_events_apply(*, citizen_ids: Sequence[int] | None = None, since: datetime.datetime | None = None) -> int:
    """Fill each ledger entry's later steps (of everyone, the people given, or those with an event since
    `since`) from the rows the apps already write: reached_at and reached_channel (the earliest of an inbox
    message about the service read, a text message about it delivered, a counter call or visit recorded,
    an application or a proactive case opened), applied_at (the first case), decided_at and delivered_at.
    Set-based: one UPDATE per kind of event, in one transaction (`since`: one a WRITE_BATCH of people).
    Returns how many steps were filled."""
    if since is not None:
        given = None if citizen_ids is None else set(citizen_ids)
        people = [pk for pk in people_with_events_since(since) if given is None or pk in given]
        return sum(
            reach_events_apply(citizen_ids=people[start : start + WRITE_BATCH])
            for start in range(0, len(people), WRITE_BATCH)
        )
    now = timezone.now()
    entries = ReachEntry.objects.all()
    if citizen_ids is not None:
        entries = entries.filter(citizen_id__in=list(citizen_ids))
    filled = 0
    with transaction.atomic():
        # Entries not reached when the run began, and those this run reached (updated_at == now): each kind
        # of event may move an entry's reach earlier, so the earliest wins whatever the order.
        pool = entries.filter(Q(reached_at__isnull=True) | Q(updated_at=now))
        for channel, first in _reach_events():
            filled += (
                pool.annotate(event_at=first)
                .filter(event_at__isnull=False)
                .filter(Q(reached_at__isnull=True) | Q(reached_at__gt=F("event_at")))
                .update(reached_at=first, reached_channel=channel, updated_at=now)
            )
        for field, cases_field, condition in (
            ("applied_at", "opened_at", Q()),
            ("decided_at", "decided_at", Q(applied_at__isnull=False)),
            ("delivered_at", "delivered_at", Q(applied_at__isnull=False)),
        ):
            first = _first(_cases().filter(**{f"{cases_field}__isnull": False}), cases_field)
            filled += (
                entries.filter(condition, **{f"{field}__isnull": True})
                .annotate(event_at=first)
                .filter(event_at__isnull=False)
                .update(**{field: first}, updated_at=now)
            )
    return filled
