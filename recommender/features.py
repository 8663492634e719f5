"""What the models see of the catalog and of people, as arrays: one item index, eligibility and life
events per person, interactions as sparse matrices, and the user and item features LightFM learns from.

Everything here reads; nothing writes. The same loading serves training, batch scoring, evaluation and
the "for you" page, so that a person is described the same way everywhere.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from scipy import sparse

from profiles.models import Citizen, TagSuppression
from profiles.purposes import Purpose
from profiles.selectors import consent_in_force
from recommender.models import (
    DONE_KINDS,
    INTERACTION_WEIGHTS,
    NEGATIVE_KINDS,
    Interaction,
    InteractionChannel,
)
from services_portal.casework.models import UNDECIDED_STATES, Case, CaseState
from services_portal.casework.services import period_of
from services_portal.catalog.life_events import citizen_tags
from services_portal.catalog.models import ServiceItem
from services_portal.catalog.rules import catalog_rules, catalog_version, life_event_rules, life_events_compiled
from services_portal.eligibility import population
from services_portal.eligibility.derived_columns import calendar
from services_portal.eligibility.engine import Outcome, ServiceRules, eligibility_evaluate
from services_portal.eligibility.life_events import LifeEventRule, life_events_of, life_events_population
from services_portal.reference import regions

ELIGIBLE, MAYBE, NOT_ELIGIBLE = 2, 1, 0
# A service open to everyone ranks like one the person qualifies for: nothing stands in the way.
# CatalogIndex.open_to_everyone keeps it apart where "qualifies" is said or guarded.
# The population evaluator's outcome codes (population.ELIGIBLE, MAYBE, NOT_ELIGIBLE, OPEN) as ours.
_OUTCOME_CODES = np.zeros(
    max(population.ELIGIBLE, population.MAYBE, population.NOT_ELIGIBLE, population.OPEN) + 1, dtype=np.int8
)
_OUTCOME_CODES[population.ELIGIBLE] = ELIGIBLE
_OUTCOME_CODES[population.OPEN] = ELIGIBLE
_OUTCOME_CODES[population.MAYBE] = MAYBE
_OUTCOME_CODES[population.NOT_ELIGIBLE] = NOT_ELIGIBLE
# The per-person engine's outcomes as ours, for a chunk of one or a few.
_ENGINE_CODES = {
    Outcome.ELIGIBLE: ELIGIBLE,
    Outcome.OPEN: ELIGIBLE,
    Outcome.MAYBE: MAYBE,
    Outcome.NOT_ELIGIBLE: NOT_ELIGIBLE,
}
ENGINE_UP_TO = 4

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("18-29", 0, 29),
    ("30-44", 30, 44),
    ("45-59", 45, 59),
    ("60-74", 60, 74),
    ("75+", 75, 200),
)
UNKNOWN = "unknown"
ONLINE, OFFLINE, NO_ACTIVITY = "online", "offline", "none"
CHANNEL_HABITS = (ONLINE, OFFLINE, NO_ACTIVITY)


@dataclass(frozen=True)
class CatalogIndex:
    """The published services in a fixed order (by code): row i of every item matrix is codes[i]."""

    codes: tuple[str, ...]
    ids: tuple[int, ...]
    rules: tuple[ServiceRules, ...]
    categories: tuple[str, ...]
    departments: tuple[str, ...]
    life_events: tuple[frozenset[str], ...]
    essential: np.ndarray
    open_to_everyone: np.ndarray  # services without criteria
    life_event_rules: tuple[LifeEventRule, ...]

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def position(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}

    @property
    def position_of_id(self) -> dict[int, int]:
        return {service_id: i for i, service_id in enumerate(self.ids)}


_index_lock = threading.Lock()
_index_cache: dict[str, Any] = {"stamp": None, "index": None}


def catalog_index(*, version: str | None = None) -> CatalogIndex:
    """The published catalog as the models see it, rebuilt in this process only when it changed
    (`catalog_version`, which the caller may pass when it has just read it)."""
    stamp = version or catalog_version()
    with _index_lock:
        if _index_cache["stamp"] != stamp:
            rules = catalog_rules(version=stamp)
            event_rules = life_event_rules(version=stamp)
            services = {
                s.code: s
                for s in ServiceItem.objects.filter(code__in=[r.code for r in rules])
                .select_related("category", "department")
                .prefetch_related("life_events")
            }
            ordered = [services[r.code] for r in rules]
            _index_cache["index"] = CatalogIndex(
                codes=tuple(r.code for r in rules),
                ids=tuple(s.pk for s in ordered),
                rules=rules,
                categories=tuple(s.category.code for s in ordered),
                departments=tuple(s.department.code for s in ordered),
                life_events=tuple(frozenset(e.code for e in s.life_events.all()) for s in ordered),
                essential=np.array([s.essential for s in ordered], dtype=bool),
                open_to_everyone=np.array([not r.criteria for r in rules], dtype=bool),
                life_event_rules=event_rules,
            )
            _index_cache["stamp"] = stamp
        return _index_cache["index"]


def age_band(age: int | None) -> str:
    if age is None:
        return UNKNOWN
    for label, low, high in AGE_BANDS:
        if low <= age <= high:
            return label
    return UNKNOWN


@dataclass
class People:
    """A batch of people as arrays aligned on `ids`; item columns follow the CatalogIndex."""

    ids: np.ndarray
    eligibility: np.ndarray  # (n, items) int8: ELIGIBLE, MAYBE or NOT_ELIGIBLE
    tags: list[frozenset[str]]  # life events, leaving out those the person deleted
    age_band: list[str]
    prefecture: list[str]  # the city code (first four digits), or UNKNOWN
    hukou_type: list[str]
    disabled: list[str]  # "yes", "no" or UNKNOWN
    personalised: np.ndarray  # (n,) bool: personalisation consented and switched on
    positives: sparse.csr_array  # (n, items) float32: summed weights of positive interactions
    positive_count: np.ndarray  # (n,) int: positive interactions
    done: sparse.csr_array  # (n, items) bool: applied or completed
    negative: sparse.csr_array  # (n, items) bool: dismissed or "not relevant"
    channel_habit: list[str]  # ONLINE, OFFLINE or NO_ACTIVITY
    # (n, items) bool: a case under way (not yet decided), or approved or delivered for the service's
    # current benefit period: applied for or granted, so not to be recommended. Known only of people as
    # they are now; None for people described as they were (evaluation).
    under_way: sparse.csr_array | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def row(self) -> dict[int, int]:
        return {int(citizen_id): i for i, citizen_id in enumerate(self.ids)}


def personalised_ids(citizen_ids: Iterable[int], *, citizens: Iterable[Citizen] | None = None) -> set[int]:
    """Who allows personalisation now: the consent (their own, or their guardian's) and the switch on.
    `citizens` (the rows of exactly these people), when the caller holds them, saves reading them again."""
    if citizens is not None:
        switched_on = [c for c in citizens if c.erased_at is None and c.personalisation_enabled]
        return consent_in_force(switched_on, Purpose.PERSONALISATION)
    people = Citizen.objects.filter(
        pk__in=list(citizen_ids), erased_at__isnull=True, personalisation_enabled=True
    ).values_list("pk", "guardian_id", named=True)
    return consent_in_force(people, Purpose.PERSONALISATION)


def interaction_matrices(
    citizen_ids: Iterable[int],
    index: CatalogIndex,
    *,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    kinds: Iterable[str] | None = None,
) -> tuple[sparse.csr_array, sparse.csr_array, sparse.csr_array, np.ndarray, list[str]]:
    """Positive weights, done, negative, positive counts and channel habits for interactions in [since, until)."""
    ids = np.fromiter((int(citizen_id) for citizen_id in citizen_ids), dtype=np.int64)
    shape = (len(ids), len(index))
    interactions = of_citizens(Interaction.objects.all(), ids)
    if since is not None:
        interactions = interactions.filter(occurred_at__gte=since)
    if until is not None:
        interactions = interactions.filter(occurred_at__lt=until)
    if kinds is not None:
        interactions = interactions.filter(kind__in=list(kinds))
    rows = list(interactions.order_by().values_list("citizen_id", "service_id", "kind", "channel"))
    citizen = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    service = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    kind = np.array([r[2] for r in rows], dtype=object)
    channel = np.array([r[3] for r in rows], dtype=object)
    # Rows and columns as arrays: a service no longer published has no column and is left out.
    column_of = dict(index.position_of_id)
    j = np.fromiter((column_of.get(int(s), -1) for s in service), dtype=np.int64, count=len(rows))
    order = np.argsort(ids, kind="stable")
    found = np.searchsorted(ids, citizen, sorter=order) if len(ids) else np.zeros(0, dtype=np.int64)
    i = order[np.minimum(found, max(len(ids) - 1, 0))] if len(ids) else found
    published = j >= 0
    i, j, kind, channel = i[published], j[published], kind[published], channel[published]
    weight = np.array([INTERACTION_WEIGHTS.get(k, 0.0) for k in kind], dtype=np.float32)
    negative = np.isin(kind, list(NEGATIVE_KINDS))
    done = np.isin(kind, list(DONE_KINDS))
    positive = ~negative
    counts = np.bincount(i[positive], minlength=shape[0]).astype(np.int32)
    active = np.bincount(i, minlength=shape[0]) > 0
    online = np.bincount(i[channel != InteractionChannel.COUNTER], minlength=shape[0]) > 0
    habits = [
        ONLINE if o else OFFLINE if a else NO_ACTIVITY for o, a in zip(online.tolist(), active.tolist(), strict=True)
    ]
    return (
        _csr_of(i[positive], j[positive], weight[positive], shape, np.float32),
        _csr_of(i[done], j[done], np.ones(int(done.sum()), dtype=bool), shape, bool),
        _csr_of(i[negative], j[negative], np.ones(int(negative.sum()), dtype=bool), shape, bool),
        counts,
        habits,
    )


def services_under_way(citizen_ids: np.ndarray, index: CatalogIndex, *, on: datetime.date) -> sparse.csr_array:
    """(people, items) bool: the services each person has a case for that is not yet decided
    (casework's UNDECIDED_STATES), or approved or delivered for the service's benefit period that `on`
    falls in (a proactive grant leaves no "complete" in the log): not recommended to them. One query."""
    shape = (len(citizen_ids), len(index))
    # a case's period says its kind ("2026-12", "2026", "once"): the current one of each kind
    current = {period_of(kind, on) for kind in ServiceItem.BenefitPeriod.values}
    cases = Case.objects.filter(
        Q(state__in=UNDECIDED_STATES) | Q(state__in=[CaseState.APPROVED, CaseState.DELIVERED], period__in=current)
    )
    rows = of_citizens(cases, citizen_ids).order_by().values_list("citizen_id", "service_id")
    row_of = {int(citizen_id): i for i, citizen_id in enumerate(citizen_ids.tolist())}
    column_of = index.position_of_id
    cells = [(row_of[c], column_of[s]) for c, s in rows if s in column_of]
    i = np.fromiter((cell[0] for cell in cells), dtype=np.int64, count=len(cells))
    j = np.fromiter((cell[1] for cell in cells), dtype=np.int64, count=len(cells))
    return _csr_of(i, j, np.ones(len(cells), dtype=bool), shape, bool)


def of_citizens(
    queryset: QuerySet[Any], ids: Sequence[int] | np.ndarray, *, column: str = "citizen_id"
) -> QuerySet[Any]:
    """Rows of these citizens. On PostgreSQL one array parameter: a chunk's thousands of `IN`
    placeholders cost more to send than the rows themselves."""
    wanted = [int(citizen_id) for citizen_id in ids]
    if connection.vendor == "postgresql":
        table = queryset.model._meta.db_table
        return queryset.extra(where=[f'"{table}"."{column}" = ANY(%s)'], params=[wanted])  # noqa: S610 - names are ours
    return queryset.filter(**{f"{column}__in": wanted})


def _csr_of(
    rows: np.ndarray, columns: np.ndarray, values: np.ndarray, shape: tuple[int, int], dtype: Any
) -> sparse.csr_array:
    """Cells summed where they repeat (weights), or'ed for booleans."""
    matrix = sparse.coo_array((values.astype(np.float32), (rows, columns)), shape=shape).tocsr()
    matrix.sum_duplicates()
    if dtype is bool:
        matrix.data = matrix.data > 0
        matrix.eliminate_zeros()
    return sparse.csr_array(matrix.astype(dtype))


def _suppressed_tags(citizens: list[Citizen]) -> dict[int, set[str]]:
    """Life events people deleted and that stay deleted, settled by the profile's own rule."""
    with_suppressions = set(
        of_citizens(TagSuppression.objects.all(), [c.pk for c in citizens])
        .values_list("citizen_id", flat=True)
        .distinct()
    )
    result = {}
    for citizen in citizens:
        if citizen.pk in with_suppressions:
            shown = {tag.code for tag in citizen_tags(citizen)}
            hidden = set(TagSuppression.objects.filter(citizen=citizen).values_list("life_event", flat=True))
            result[citizen.pk] = hidden - shown
    return result


@dataclass
class ChunkDecided:
    eligibility: np.ndarray  # (people, items) int8: ELIGIBLE, MAYBE or NOT_ELIGIBLE
    memberships: list[frozenset[str]]  # the life events each person is in


def chunk_decide(people: population.Population, *, index: CatalogIndex, on: datetime.date) -> ChunkDecided:
    """Eligibility for every service and life-event membership, for a whole chunk of people in one
    pass of the population evaluator: the one place every batch of people (scoring, training,
    evaluation, the sweep, the "for you" page) is decided."""
    if people.size <= ENGINE_UP_TO:
        # A person or two (the "for you" page) is decided sooner by the per-person engine, whose answers
        # are the evaluator's (tests/eligibility/test_population.py holds the two side by side).
        rows = [people.facts(i) for i in range(people.size)]
        decided = [eligibility_evaluate(facts=row, on=on, services=index.rules) for row in rows]
        return ChunkDecided(
            eligibility=np.array(
                [[_ENGINE_CODES[result.outcome] for result in results] for results in decided], dtype=np.int8
            ).reshape(people.size, len(index)),
            memberships=[life_events_of(row, rules=index.life_event_rules, on=on) for row in rows],
        )
    outcomes = population.population_evaluate(people, on=on, services=index.rules).outcomes
    in_event = life_events_population(people, rules=index.life_event_rules, on=on)
    codes = np.array([rule.code for rule in index.life_event_rules], dtype=object)
    return ChunkDecided(
        eligibility=_OUTCOME_CODES[outcomes].reshape(people.size, len(index)),
        memberships=[frozenset(codes[row].tolist()) for row in in_event],
    )


@dataclass
class _Traits:
    age_band: list[str]
    prefecture: list[str]
    hukou_type: list[str]
    disabled: list[str]


def _traits(people: population.Population, registered_regions: list[str], on: datetime.date) -> _Traits:
    """Age band, city, hukou type and disability as the features name them, from the fact columns;
    the region falls back to the one the citizen registered with."""
    size = people.size
    bands = np.full(size, UNKNOWN, dtype=object)
    born = people.dates.get("birth_date")
    if born is not None:
        years, months, days = calendar(born.days)
        before_birthday = (months > on.month) | ((months == on.month) & (days > on.day))
        age = on.year - years - before_birthday
        for label, low, high in AGE_BANDS:
            bands[born.known & (age >= low) & (age <= high)] = label
    stated = _code_values(people, "region_code", size)
    prefecture_of: dict[Any, str] = {}
    prefectures = []
    for value, registered in zip(stated, registered_regions, strict=True):
        region = value or registered
        if region not in prefecture_of:
            prefecture_of[region] = region[:4] if region and regions.get(region) else UNKNOWN
        prefectures.append(prefecture_of[region])
    hukou = [UNKNOWN if value is None else value for value in _code_values(people, "hukou_type", size)]
    disabled = np.full(size, UNKNOWN, dtype=object)
    level = people.numbers.get("disability_level")
    if level is not None:
        disabled[level.known] = np.where(level.values[level.known] >= 1, "yes", "no")
    return _Traits(bands.tolist(), prefectures, hukou, disabled.tolist())


def _code_values(people: population.Population, key: str, size: int) -> list[Any]:
    """A choice or region fact's values, None where unknown."""
    column = people.codes.get(key)
    if column is None:
        return [None] * size
    categories = np.array([*column.categories, None], dtype=object)
    return categories[column.codes].tolist()  # -1 (unknown) picks the None at the end


def people_load(
    citizen_ids: Sequence[int],
    *,
    index: CatalogIndex,
    on: datetime.date,
    until: datetime.datetime | None = None,
    since: datetime.datetime | None = None,
    facts: dict[int, dict[str, Any]] | None = None,
    citizens: Sequence[Citizen] | None = None,
) -> People:
    """Describe these people as the models see them, with interactions in [since, until). Without
    `until` they are described as they are now, with the cases they have open. `facts` (from `facts_for`)
    and `citizens` (their rows), when the caller has already read them, save reading them again."""
    citizens = list(citizens) if citizens is not None else list(Citizen.objects.filter(pk__in=list(citizen_ids)))
    by_id = {c.pk: c for c in citizens}
    ids = np.array([i for i in citizen_ids if i in by_id], dtype=np.int64)
    # Their facts as columns, read in bulk unless the caller holds them, decided in one pass.
    columns = (
        population.population_load(ids.tolist())
        if facts is None
        else population.population_from_facts([facts[citizen_id] for citizen_id in ids.tolist()], ids.tolist())
    )
    suppressed = _suppressed_tags(citizens)
    decided = chunk_decide(columns, index=index, on=on)
    traits = _traits(columns, [by_id[citizen_id].region_code for citizen_id in ids.tolist()], on)
    tags = [
        memberships - suppressed.get(citizen_id, set())
        for citizen_id, memberships in zip(ids.tolist(), decided.memberships, strict=True)
    ]
    positives, done, negative, counts, habits = interaction_matrices(ids, index, since=since, until=until)
    allowed = personalised_ids(ids.tolist(), citizens=[by_id[citizen_id] for citizen_id in ids.tolist()])
    return People(
        ids=ids,
        eligibility=decided.eligibility,
        tags=tags,
        age_band=traits.age_band,
        prefecture=traits.prefecture,
        hukou_type=traits.hukou_type,
        disabled=traits.disabled,
        personalised=np.array([int(i) in allowed for i in ids], dtype=bool),
        positives=positives,
        positive_count=counts,
        done=done,
        negative=negative,
        channel_habit=habits,
        under_way=services_under_way(ids, index, on=on) if until is None else None,
    )


# -- LightFM features -------------------------------------------------------------------------------


def user_feature_names(index: CatalogIndex) -> list[str]:
    """The user features' vocabulary: fixed by the catalog and the region table, so that a person
    the model never saw can still be described."""
    names = [f"life_event:{rule.code}" for rule in index.life_event_rules]
    names += [f"age_band:{label}" for label, _low, _high in AGE_BANDS] + [f"age_band:{UNKNOWN}"]
    names += [f"prefecture:{r.code[:4]}" for r in regions.all_regions() if r.level == "city"]
    names += [f"prefecture:{UNKNOWN}"]
    names += ["hukou:urban", "hukou:rural", f"hukou:{UNKNOWN}"]
    names += [f"channel:{habit}" for habit in CHANNEL_HABITS]
    return names


def person_features(people: People, row: int) -> list[str]:
    return [
        *(f"life_event:{code}" for code in sorted(people.tags[row])),
        f"age_band:{people.age_band[row]}",
        f"prefecture:{people.prefecture[row]}",
        f"hukou:{people.hukou_type[row]}",
        f"channel:{people.channel_habit[row]}",
    ]


def _normalised_rows(rows: list[list[int]], width: int) -> sparse.csr_array:
    """A 0/1 feature matrix whose rows sum to one, as LightFM's Dataset builds them by default."""
    data, indices, indptr = [], [], [0]
    for columns in rows:
        weight = 1.0 / len(columns) if columns else 0.0
        data.extend([weight] * len(columns))
        indices.extend(columns)
        indptr.append(len(indices))
    return sparse.csr_array(
        (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int32)),
        shape=(len(rows), width),
    )


def user_feature_matrix(people: People, names: Sequence[str]) -> sparse.csr_array:
    column = {name: i for i, name in enumerate(names)}
    rows = [[column[f] for f in person_features(people, i) if f in column] for i in range(len(people))]
    return _normalised_rows(rows, len(names))


def item_feature_names(index: CatalogIndex) -> list[str]:
    names = [f"service:{code}" for code in index.codes]
    names += sorted({f"category:{c}" for c in index.categories})
    names += sorted({f"department:{d}" for d in index.departments})
    names += [f"life_event:{rule.code}" for rule in index.life_event_rules]
    return names


def item_feature_matrix(index: CatalogIndex, names: Sequence[str]) -> sparse.csr_array:
    column = {name: i for i, name in enumerate(names)}
    rows = []
    for i, code in enumerate(index.codes):
        features = [f"service:{code}", f"category:{index.categories[i]}", f"department:{index.departments[i]}"]
        features += [f"life_event:{event}" for event in sorted(index.life_events[i])]
        rows.append([column[f] for f in features if f in column])
    return _normalised_rows(rows, len(names))


def trait_label(feature: str, *, life_event_names: Mapping[str, str] | None = None) -> str:
    """A user feature said in the person's words, for "people like you" reasons. `life_event_names`
    (code to name, in the active language), when the caller holds them, saves reading the catalog."""
    kind, _sep, value = feature.partition(":")
    if kind == "life_event":
        if life_event_names is None:
            life_event_names = {event.code: event.name for event, _rule in life_events_compiled()}
        return life_event_names.get(value, value)
    if kind == "age_band":
        return _("aged %(band)s") % {"band": value}
    if kind == "prefecture":
        region = regions.get(value + "00")
        return _("living in %(city)s") % {"city": region.name if region else value}
    if kind == "hukou":
        return {"urban": _("with an urban household registration"), "rural": _("with a rural household registration")}[
            value
        ]
    if kind == "channel":
        return {ONLINE: _("who use the portal online"), OFFLINE: _("who go to a service counter")}[value]
    return feature
