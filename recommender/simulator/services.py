"""Filling the database with a simulated population: people, facts, consents and interactions.

Reproducible: the same seed, number of people, `now` and window give the same people, facts and
interactions (on a database holding no other simulated people). People are drawn, evaluated and written
a chunk at a time, so memory stays bounded however many are asked for.
"""

from __future__ import annotations

import datetime
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from profiles.models import Citizen, Role, User
from profiles.purposes import Purpose
from profiles.resident_id import check_character, resident_id_hash, resident_id_mask
from profiles.services.bulk import (
    CitizenInsert,
    ConsentInsert,
    FactInsert,
    citizens_bulk_insert,
    consents_bulk_insert,
    facts_bulk_insert,
)
from profiles.services.consent import notice_current
from recommender.models import Interaction
from recommender.simulator import behaviour, disclosure, population
from services_portal.catalog.models import Bundle, ServiceItem
from services_portal.catalog.rules import catalog_rules, life_event_rules
from services_portal.core.bulk import moments_for_database, rows_insert
from services_portal.core.errors import PortalError
from services_portal.eligibility.engine import ServiceRules
from services_portal.eligibility.life_events import LifeEventRule, life_events_population
from services_portal.eligibility.population import ELIGIBLE, OPEN, population_evaluate, population_from_facts

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

DEFAULT_SEED = 20261123
CHUNK = 5000
# Sequence numbers (digits 15-17 of the ID number) the simulator uses: the upper half first, where real
# numbers issued in order are scarcer; the 17th digit is odd for men and even for women.
SEQUENCES = tuple(range(500, 1000)) + tuple(range(0, 500))
SEQUENCES_BY_SEX = {male: tuple(s for s in SEQUENCES if s % 2 == male) for male in (False, True)}
COUNTER_STAFF_PREFIX = "simulator-counter-"
DAY = 86400


class SimulationRefused(PortalError):
    pass


@dataclass
class SimulationSummary:
    people: int = 0
    facts: int = 0
    consents: int = 0
    interactions: dict[str, int] = field(default_factory=dict)
    offline_people: int = 0
    life_events: dict[str, int] = field(default_factory=dict)
    sequence_collisions: int = 0
    seconds: float = 0.0

    @property
    def interactions_total(self) -> int:
        return sum(self.interactions.values())

    @property
    def rows(self) -> int:
        return self.people + self.facts + self.consents + self.interactions_total

    def lines(self) -> list[str]:
        rate = self.people / self.seconds if self.seconds else 0.0
        kinds = ", ".join(f"{kind} {count:,}" for kind, count in self.interactions.items())
        events = ", ".join(f"{event} {count:,}" for event, count in self.life_events.items())
        return [
            f"people: {self.people:,} ({self.offline_people:,} not online)",
            f"facts: {self.facts:,}",
            f"consent events: {self.consents:,}",
            f"interactions: {self.interactions_total:,} ({kinds})",
            f"life events: {events}",
            f"ID sequence numbers skipped as already used: {self.sequence_collisions:,}",
            f"time: {self.seconds:.1f} s ({rate:,.0f} people/s)",
        ]


@dataclass(frozen=True)
class _Setting:
    """What every chunk shares: the catalog, the rules, the moment and the accounts rows point to."""

    catalog: behaviour.CatalogView
    rules: tuple[ServiceRules, ...]
    event_rules: tuple[LifeEventRule, ...]
    habits: behaviour.Habits
    today: datetime.date
    midnight: float  # epoch seconds of local midnight on `today`
    now: float  # days since that midnight
    window_start: float
    notices: dict[str, int]
    counter_staff: dict[str, int]  # prefecture -> user id


def population_simulate(
    *,
    people: int,
    seed: int = DEFAULT_SEED,
    now: datetime.datetime | None = None,
    days: int = 180,
    stdout: SupportsWrite[str] | None = None,
) -> SimulationSummary:
    """Add `people` simulated adults with their facts, consents and `days` of interactions up to `now`
    to the database. Needs the catalog imported."""
    started = time.perf_counter()
    if people < 1 or days < 1:
        raise SimulationRefused("invalid_size", "people and days must be at least 1.")
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise SimulationRefused("naive_now", "now must carry its time zone.")
    setting = _setting(seed=seed, now=now, days=days)
    summary = SimulationSummary(interactions=dict.fromkeys(behaviour.KINDS, 0))
    events = Counter[str]()
    used: dict[tuple[str, int, bool], int] = {}
    for chunk, first in enumerate(range(0, people, CHUNK)):
        rng = np.random.default_rng([seed, 1, chunk])
        size = min(CHUNK, people - first)
        written = _chunk_simulate(rng, setting, size, used, summary, events)
        summary.people += written
        if stdout is not None:
            elapsed = time.perf_counter() - started
            stdout.write(
                f"{summary.people:,}/{people:,} people, {summary.rows:,} rows, {elapsed:.1f} s "
                f"({summary.people / elapsed:,.0f} people/s)\n"
            )
    summary.life_events = {event: events[event] for event in setting.catalog.events}
    if connection.vendor == "postgresql":
        # The tables grew by millions of rows at once: without fresh statistics the planner reads a whole
        # table where an index would do (a chunk's consents: 0.45 s instead of 0.05 s at a million people).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    summary.seconds = time.perf_counter() - started
    return summary


def _setting(*, seed: int, now: datetime.datetime, days: int) -> _Setting:
    rules = catalog_rules()
    if not rules:
        raise SimulationRefused(
            "no_catalog", "The catalog is empty: import it first (manage.py catalog_import), then simulate."
        )
    services = {
        s.code: s
        for s in ServiceItem.objects.filter(code__in=[r.code for r in rules])
        .select_related("category")
        .prefetch_related("life_events")
    }
    ordered = [services[r.code] for r in rules]
    event_rules = life_event_rules()
    bundles = [
        [item.service.code for item in bundle.items.select_related("service").order_by("position", "id")]
        for bundle in Bundle.objects.order_by("code")
    ]
    catalog = behaviour.catalog_view_build(
        codes=[s.code for s in ordered],
        ids=[s.pk for s in ordered],
        categories=[s.category.code for s in ordered],
        online=[s.online for s in ordered],
        processing_days=[s.processing_days for s in ordered],
        service_events=[sorted(e.code for e in s.life_events.all()) for s in ordered],
        events=[rule.code for rule in event_rules],
        bundles=bundles,
    )
    geography = population.geography()
    habits = behaviour.habits_draw(np.random.default_rng([seed, 0]), catalog, prefectures=len(geography.prefectures))
    local = timezone.localtime(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    current = (now - midnight).total_seconds() / DAY
    return _Setting(
        catalog=catalog,
        rules=rules,
        event_rules=event_rules,
        habits=habits,
        today=local.date(),
        midnight=midnight.timestamp(),
        now=current,
        window_start=current - days,
        notices={purpose: notice_current(purpose).pk for purpose in disclosure.CONSENT_PURPOSES},
        counter_staff=_counter_staff(geography.prefectures),
    )


@transaction.atomic
def _counter_staff(prefectures: tuple[str, ...]) -> dict[str, int]:
    """One counter staff account per prefecture, to witness the consents given at its counters."""
    staff = {}
    for prefecture in prefectures:
        user, _ = User.objects.get_or_create(
            username=f"{COUNTER_STAFF_PREFIX}{prefecture}",
            defaults={"role": Role.COUNTER_STAFF, "region_scope": prefecture + "00", "password": make_password(None)},
        )
        staff[prefecture] = user.pk
    return staff


def _evaluate(true_facts: list[dict[str, Any]], setting: _Setting) -> tuple[np.ndarray, np.ndarray]:
    """(people × services) eligible and (people × events) in the life event, from the true facts, for
    the whole cohort at once. Every fact a person's situation has is there, so "maybe" only means a
    situation that is not theirs (no child, no graduation): it counts as not eligible."""
    people = population_from_facts(true_facts)
    outcomes = population_evaluate(people, on=setting.today, services=setting.rules).outcomes
    events = life_events_population(people, rules=setting.event_rules, on=setting.today)
    return (outcomes == ELIGIBLE) | (outcomes == OPEN), events


def _numbers(
    cohort: population.Cohort, used: dict[tuple[str, int, bool], int], summary: SimulationSummary
) -> tuple[list[str], list[str]]:
    """A valid, unused resident ID number for each person (hukou place, birth date, sex), and its hash."""
    places = cohort.hukou_region_code.tolist()
    born = cohort.born.tolist()
    male = cohort.male.tolist()
    numbers = [""] * len(places)
    hashes = [""] * len(places)
    pending = list(range(len(places)))
    while pending:
        for i in pending:
            key = (places[i], born[i], male[i])
            slot = used.get(key, 0)
            sequences = SEQUENCES_BY_SEX[male[i]]
            if slot >= len(sequences):
                raise SimulationRefused("no_sequence_left", "Too many simulated people share a birth date and place.")
            used[key] = slot + 1
            first_17 = f"{places[i]}{population.date_of(born[i]):%Y%m%d}{sequences[slot]:03d}"
            numbers[i] = first_17 + check_character(first_17)
            hashes[i] = resident_id_hash(numbers[i])
        taken = set(
            Citizen.objects.filter(resident_id_hash__in=[hashes[i] for i in pending]).values_list(
                "resident_id_hash", flat=True
            )
        )
        summary.sequence_collisions += len(taken)
        pending = [i for i in pending if hashes[i] in taken]
    return numbers, hashes


def _chunk_simulate(
    rng: np.random.Generator,
    setting: _Setting,
    size: int,
    used: dict[tuple[str, int, bool], int],
    summary: SimulationSummary,
    events_seen: Counter[str],
) -> int:
    today = population.day_of(setting.today)
    cohort = population.cohort_draw(rng, size, today=setting.today)
    consents = disclosure.consents_draw(rng, cohort, window_start=today + int(np.floor(setting.window_start)))
    true_facts = list(cohort.facts())
    eligible, events = _evaluate(true_facts, setting)
    interactions = behaviour.interactions_draw(
        rng,
        cohort=cohort,
        consents=consents,
        eligible=eligible,
        events=events,
        catalog=setting.catalog,
        habits=setting.habits,
        window_start=setting.window_start,
        now=setting.now,
    )
    stored = disclosure.facts_stored(rng, cohort, consents, true_facts)
    withdraw_after = rng.uniform(1, 30, size)
    numbers, hashes = _numbers(cohort, used, summary)

    def moment_of_day(days: np.ndarray, hour: float) -> np.ndarray:
        """Epoch seconds of `hour` o'clock local on each day, never after now."""
        seconds = setting.midnight + (np.asarray(days, dtype=np.float64) - today) * DAY + hour * 3600
        return np.minimum(seconds, setting.midnight + setting.now * DAY).astype(np.int64)

    joined = moment_of_day(consents.joined, 10.0)
    prefecture_codes = np.array(population.geography().prefectures)[cohort.prefecture].tolist()
    with transaction.atomic():
        joined_text = moments_for_database(joined)
        ids = citizens_bulk_insert(
            [
                CitizenInsert(hashes[i], resident_id_mask(numbers[i]), "", "", region, not off, joined_text[i])
                for i, (region, off) in enumerate(
                    zip(cohort.region_code.tolist(), consents.switched_off.tolist(), strict=True)
                )
            ]
        )

        observed = moments_for_database(moment_of_day(np.array([fact.observed for fact in stored]), 10.0))
        summary.facts += facts_bulk_insert(
            FactInsert(
                ids[fact.person],
                fact.key,
                fact.value,
                fact.source,
                fact.department,
                setting.counter_staff[prefecture_codes[fact.person]] if fact.source == "counter_staff" else None,
                observed[k],
            )
            for k, fact in enumerate(stored)
        )

        summary.consents += consents_bulk_insert(
            _consent_rows(cohort, consents, ids, joined, withdraw_after, setting, prefecture_codes)
        )

        occurred = moments_for_database(np.round(setting.midnight + interactions.moment * DAY))
        service_ids = setting.catalog.ids[interactions.service].tolist()
        kinds = [behaviour.KINDS[k] for k in interactions.kind.tolist()]
        channels = [behaviour.CHANNELS[c] for c in interactions.channel.tolist()]
        rows_insert(
            Interaction,
            ("citizen", "service", "kind", "channel", "occurred_at", "recorded_at"),
            (
                (ids[p], service_ids[k], kinds[k], channels[k], occurred[k], occurred[k])
                for k, p in enumerate(interactions.person.tolist())
            ),
        )
    for kind, count in zip(*np.unique(interactions.kind, return_counts=True), strict=True):
        summary.interactions[behaviour.KINDS[kind]] += int(count)
    summary.offline_people += int((~cohort.online).sum())
    for e, event in enumerate(setting.catalog.events):
        events_seen[event] += int(events[:, e].sum())
    return size


def _consent_rows(
    cohort: population.Cohort,
    consents: disclosure.Consents,
    ids: list[int],
    joined: np.ndarray,
    withdraw_after: np.ndarray,
    setting: _Setting,
    prefecture_codes: list[str],
) -> list[ConsentInsert]:
    """Each granted purpose is a ledger row when the person first came (a second apart, in purpose
    order); a withdrawal of personalisation is a later row."""
    habits = cohort.channel_habit.tolist()
    granted = {purpose: consents.granted[purpose].tolist() for purpose in disclosure.CONSENT_PURPOSES}
    withdrawn = consents.withdrawn.tolist()
    offsets = [joined + k for k in range(len(disclosure.CONSENT_PURPOSES))]
    texts = [moments_for_database(moments) for moments in offsets]
    withdrawals = moments_for_database(joined + (withdraw_after * DAY).astype(np.int64))
    rows: list[ConsentInsert] = []
    for i, citizen_id in enumerate(ids):
        channel = population.CHANNEL_HABITS[habits[i]]
        witness = setting.counter_staff[prefecture_codes[i]] if channel == "counter" else None
        for k, purpose in enumerate(disclosure.CONSENT_PURPOSES):
            if granted[purpose][i]:
                rows.append(
                    ConsentInsert(citizen_id, purpose, True, setting.notices[purpose], channel, witness, texts[k][i])
                )
        if withdrawn[i]:
            purpose = Purpose.PERSONALISATION.value
            rows.append(
                ConsentInsert(citizen_id, purpose, False, setting.notices[purpose], channel, witness, withdrawals[i])
            )
    return rows
