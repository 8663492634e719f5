"""What the models see of the catalog and of people, as arrays: one item index, eligibility and life
events per person, interactions as sparse matrices, and the user and item features LightFM learns from.

Everything here reads; nothing writes. The same loading serves training, batch scoring, evaluation and
the "for you" page, so that a person is described the same way everywhere.
"""

from __future__ import annotations

import dataclasses
import datetime
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Max
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
from services_portal.catalog.life_events import citizen_tags
from services_portal.catalog.models import LifeEvent, ServiceItem
from services_portal.catalog.rules import catalog_rules, life_event_rules
from services_portal.eligibility.derived import full_years
from services_portal.eligibility.engine import Outcome, ServiceRules, eligibility_evaluate
from services_portal.eligibility.facts import facts_for
from services_portal.eligibility.life_events import LifeEventRule, life_events_evaluate
from services_portal.reference import regions

ELIGIBLE, MAYBE, NOT_ELIGIBLE = 2, 1, 0
# A service open to everyone ranks like one the person qualifies for: nothing stands in the way.
# CatalogIndex.open_to_everyone keeps it apart where "qualifies" is said or guarded.
_OUTCOME_CODES = {
    Outcome.ELIGIBLE: ELIGIBLE,
    Outcome.OPEN: ELIGIBLE,
    Outcome.MAYBE: MAYBE,
    Outcome.NOT_ELIGIBLE: NOT_ELIGIBLE,
}

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


def catalog_index() -> CatalogIndex:
    """The published catalog as the models see it, rebuilt in this process only when it changed."""
    rules = catalog_rules()
    event_rules = life_event_rules()
    stamp = (
        tuple(r.code for r in rules),
        tuple(ServiceItem.objects.aggregate(Max("updated_at"), Count("life_events")).values()),
        tuple((rule.code, rule.compiled.text) for rule in event_rules),
    )
    with _index_lock:
        if _index_cache["stamp"] != stamp:
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

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def row(self) -> dict[int, int]:
        return {int(citizen_id): i for i, citizen_id in enumerate(self.ids)}

    def subset(self, rows: np.ndarray) -> People:
        return People._of_parts([self], lambda array: array[rows], lambda items: [items[i] for i in rows.tolist()])

    @staticmethod
    def concatenate(parts: list[People]) -> People:
        return People._of_parts(
            parts, lambda *arrays: _stack(arrays), lambda *lists: [item for items in lists for item in items]
        )

    @staticmethod
    def _of_parts(parts: list[People], arrays: Any, lists: Any) -> People:
        """A People whose array fields come from `arrays` and list fields from `lists`, field by field."""
        fields = {}
        for field in dataclasses.fields(People):
            values = [getattr(part, field.name) for part in parts]
            fields[field.name] = lists(*values) if isinstance(values[0], list) else arrays(*values)
        return People(**fields)


def _stack(arrays: tuple[Any, ...]) -> Any:
    if sparse.issparse(arrays[0]):
        return sparse.vstack(arrays, format="csr")
    return np.concatenate(arrays) if arrays[0].ndim == 1 else np.vstack(arrays)


def personalised_ids(citizen_ids: Iterable[int]) -> set[int]:
    """Who allows personalisation now: the consent (their own, or their guardian's) and the switch on."""
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
    row = {int(citizen_id): i for i, citizen_id in enumerate(citizen_ids)}
    column = index.position_of_id
    shape = (len(row), len(index))
    interactions = Interaction.objects.filter(citizen_id__in=list(row))
    if since is not None:
        interactions = interactions.filter(occurred_at__gte=since)
    if until is not None:
        interactions = interactions.filter(occurred_at__lt=until)
    if kinds is not None:
        interactions = interactions.filter(kind__in=list(kinds))
    weights: dict[tuple[int, int], float] = {}
    done: set[tuple[int, int]] = set()
    negative: set[tuple[int, int]] = set()
    counts = np.zeros(shape[0], dtype=np.int32)
    online = np.zeros(shape[0], dtype=bool)
    active = np.zeros(shape[0], dtype=bool)
    for citizen_id, service_id, kind, channel in interactions.values_list(
        "citizen_id", "service_id", "kind", "channel"
    ):
        j = column.get(service_id)
        if j is None:  # a service no longer published
            continue
        i = row[citizen_id]
        active[i] = True
        online[i] |= channel != InteractionChannel.COUNTER
        if kind in NEGATIVE_KINDS:
            negative.add((i, j))
            continue
        weights[(i, j)] = weights.get((i, j), 0.0) + INTERACTION_WEIGHTS[kind]
        counts[i] += 1
        if kind in DONE_KINDS:
            done.add((i, j))
    habits = [ONLINE if online[i] else OFFLINE if active[i] else NO_ACTIVITY for i in range(shape[0])]
    return (
        _csr(weights, shape, np.float32),
        _csr(dict.fromkeys(done, True), shape, bool),
        _csr(dict.fromkeys(negative, True), shape, bool),
        counts,
        habits,
    )


def _csr(cells: dict[tuple[int, int], Any], shape: tuple[int, int], dtype: Any) -> sparse.csr_array:
    if not cells:
        return sparse.csr_array(shape, dtype=dtype)
    rows, columns = zip(*cells, strict=True)
    return sparse.csr_array((np.array(list(cells.values()), dtype=dtype), (rows, columns)), shape=shape)


def _suppressed_tags(citizens: list[Citizen]) -> dict[int, set[str]]:
    """Life events people deleted and that stay deleted, settled by the profile's own rule."""
    with_suppressions = set(
        TagSuppression.objects.filter(citizen__in=citizens).values_list("citizen_id", flat=True).distinct()
    )
    result = {}
    for citizen in citizens:
        if citizen.pk in with_suppressions:
            shown = {tag.code for tag in citizen_tags(citizen)}
            hidden = set(TagSuppression.objects.filter(citizen=citizen).values_list("life_event", flat=True))
            result[citizen.pk] = hidden - shown
    return result


def people_load(
    citizen_ids: Sequence[int],
    *,
    index: CatalogIndex,
    on: datetime.date,
    until: datetime.datetime | None = None,
    since: datetime.datetime | None = None,
    facts: dict[int, dict[str, Any]] | None = None,
) -> People:
    """Describe these people as the models see them, with interactions in [since, until). `facts`
    (from `facts_for`), when the caller has already read them, saves reading them again."""
    citizens = list(Citizen.objects.filter(pk__in=list(citizen_ids)))
    by_id = {c.pk: c for c in citizens}
    ids = np.array([i for i in citizen_ids if i in by_id], dtype=np.int64)
    facts = facts if facts is not None else facts_for([by_id[int(i)] for i in ids])
    suppressed = _suppressed_tags(citizens)
    memberships = life_events_evaluate(
        facts={int(citizen_id): facts[int(citizen_id)] for citizen_id in ids}, rules=index.life_event_rules, on=on
    )
    eligibility = np.zeros((len(ids), len(index)), dtype=np.int8)
    tags, bands, prefectures, hukou, disabled = [], [], [], [], []
    for row, citizen_id in enumerate(ids):
        citizen = by_id[int(citizen_id)]
        stored = facts[citizen.pk]
        results = eligibility_evaluate(facts=stored, on=on, services=index.rules)
        eligibility[row] = [_OUTCOME_CODES[result.outcome] for result in results]
        tags.append(memberships[citizen.pk] - suppressed.get(citizen.pk, set()))
        bands.append(age_band(full_years(stored["birth_date"], on) if "birth_date" in stored else None))
        region = stored.get("region_code") or citizen.region_code
        prefectures.append(region[:4] if region and regions.get(region) else UNKNOWN)
        hukou.append(stored.get("hukou_type", UNKNOWN))
        level = stored.get("disability_level")
        disabled.append(UNKNOWN if level is None else "yes" if level >= 1 else "no")
    positives, done, negative, counts, habits = interaction_matrices(ids, index, since=since, until=until)
    allowed = personalised_ids(ids.tolist())
    return People(
        ids=ids,
        eligibility=eligibility,
        tags=tags,
        age_band=bands,
        prefecture=prefectures,
        hukou_type=hukou,
        disabled=disabled,
        personalised=np.array([int(i) in allowed for i in ids], dtype=bool),
        positives=positives,
        positive_count=counts,
        done=done,
        negative=negative,
        channel_habit=habits,
    )


def people_load_chunked(citizen_ids: Sequence[int], *, chunk: int = 2000, **kwargs: Any) -> People:
    """people_load over many people, a chunk at a time so that queries stay small."""
    parts = [people_load(citizen_ids[start : start + chunk], **kwargs) for start in range(0, len(citizen_ids), chunk)]
    return parts[0] if len(parts) == 1 else People.concatenate(parts)


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


def trait_label(feature: str) -> str:
    """A user feature said in the person's words, for "people like you" reasons."""
    kind, _sep, value = feature.partition(":")
    if kind == "life_event":
        event = LifeEvent.objects.filter(code=value).first()
        return event.name if event else value
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
