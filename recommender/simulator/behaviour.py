"""What simulated people do with services: views, saves, applications, completions and dismissals.

The behaviour is built so that the eligibility rules explain much of it but not all of it:
- interest follows a person's (true) eligibility and life events, starting soon after the event;
- services are used together: after applying for one, people take its partners some days later (each
  bundle's services, and explicit pairs such as the childcare subsidy followed by vaccination booking);
- services differ a lot in appeal (a seeded, skewed weight per service), and prefectures have seeded
  habits for some categories;
- some needs are invisible to the rules (a disability without a certificate, a chronic illness, a hukou
  elsewhere) and some facts are never told to the portal at all;
- people who are not online act only at the counter, and less; the rest mostly use their usual channel;
- there are random views, and dismissals, mostly of those.

Every figure here is an assumption (there are no public rates for behaviour): each says what it shapes.
Times are float days from local midnight of the simulated day (0 is today's midnight, negative is past).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.simulator.disclosure import Consents
from recommender.simulator.population import APP, COUNTER, WEB, Cohort, anniversary

KINDS = ("view", "save", "apply", "complete", "dismiss", "not_relevant")
VIEW, SAVE, APPLY, COMPLETE, DISMISS, NOT_RELEVANT = range(6)
CHANNELS = ("web", "app", "counter")  # the same order as population.CHANNEL_HABITS

# Interest rates (the chance of looking at a service is 1 - exp(-rate × appeal × regional habit × activity)).
EVENT_INTEREST = 1.3  # eligible, and tied to one of the person's life events: most look within weeks
GENERAL_INTEREST = 0.05  # eligible, not tied to an event: a few look, the popular ones more
OTHER_EVENT_FACTOR = 0.2  # ... and fewer when the service is meant for a life event the person is not in
CURIOSITY = 0.004  # not eligible: now and then someone looks anyway
OFFLINE_ACTIVITY = 0.5  # people who are not online do less, and only at the counter
# Needs the rules cannot see, as interest added for the people who have them (rate, before appeal).
HIDDEN_NEEDS = (
    ("gx-disability-certificate", "disabled_without_certificate", 1.2),
    ("gx-family-doctor", "chronic_illness", 0.5),
    ("gx-outpatient-chronic-disease", "chronic_illness", 0.6),
    ("gx-residence-permit", "migrant", 0.7),
    ("gx-cross-region-medical-filing", "migrant", 0.3),
    ("gx-veteran-preferential-card", "veteran", 0.5),
)
EVENT_DELAY_DAYS = 10.0  # mean days from a life event to looking at a service it brings
BACKGROUND_LEAD_DAYS = 45  # interest not tied to an event starts this long before the window, or within it

# The funnel: each step's chance given the step before (eligible, tied to an event / eligible / not).
SAVE_CHANCE = (0.30, 0.30, 0.06)
APPLY_CHANCE = (0.75, 0.55, 0.02)
APPLY_CHANCE_AT_COUNTER_BONUS = 0.15  # who comes to a counter for a service usually means to apply
COMPLETE_CHANCE = 0.85
EXTRA_VIEWS = 0.5  # mean further views of a service before deciding (online)
DISMISS_CHANCE = (0.04, 0.04, 0.30)  # of a service looked at and not applied for
NOT_RELEVANT_SHARE = 0.25  # of dismissals, recorded as "not relevant" instead
COUNTER_APPLICATION = 0.10  # online people who still apply at a counter
OTHER_ONLINE_CHANNEL = 0.15  # online people who use their other online channel for a step
PROCESSING_DAYS_DEFAULT = 5

# Services used together: after applying for the first, the person takes the second some days later.
BUNDLE_PARTNER_CHANCE = 0.35
PAIRS = (
    ("gx-childcare-subsidy", "gx-child-vaccination-booking", 0.85),
    ("gx-birth-medical-certificate", "gx-newborn-hukou", 0.80),
    ("gx-newborn-hukou", "gx-newborn-medical-insurance", 0.70),
    ("gx-newborn-hukou", "gx-family-doctor", 0.40),
    ("gx-maternal-health-checkup", "gx-maternal-child-handbook", 0.80),
    ("gx-marriage-registration", "gx-prepregnancy-checkup", 0.40),
    ("gx-marriage-registration", "gx-hukou-migration", 0.30),
    ("gx-unemployment-registration", "gx-unemployment-benefit", 0.70),
    ("gx-unemployment-registration", "gx-vocational-training-subsidy", 0.50),
    ("gx-graduate-archive-transfer", "gx-employment-registration", 0.45),
    ("gx-retirement-application", "gx-employee-pension-benefit", 0.80),
    ("gx-elderly-preferential-card", "gx-elderly-free-bus", 0.60),
    ("gx-elderly-health-checkup", "gx-family-doctor", 0.45),
    ("gx-disability-certificate", "gx-assistive-devices-subsidy", 0.50),
    ("gx-disability-certificate", "gx-disabled-free-bus", 0.50),
    ("gx-dibao", "gx-medical-assistance", 0.40),
    ("gx-dibao", "gx-temporary-assistance", 0.30),
    ("gx-company-establishment", "gx-new-taxpayer-package", 0.75),
    ("gx-individual-business-registration", "gx-food-business-licence", 0.35),
    ("gx-housing-fund-loan", "gx-real-estate-registration", 0.60),
    ("gx-residence-permit", "gx-social-security-card", 0.40),
    ("gx-residence-permit", "gx-cross-region-medical-filing", 0.35),
    ("gx-outpatient-chronic-disease", "gx-family-doctor", 0.40),
)
PARTNER_DELAY_DAYS = 15.0  # mean days from applying for one service to looking at its partner
PARTNER_ROUNDS = 3

NOISE_VIEWS = 0.9  # mean random views per online person (times activity)
NOISE_VIEWS_OFFLINE = 0.1
NOISE_DISMISS = 0.35

# Regional habits: per prefecture, a few categories much more (or less) used than elsewhere.
REGION_SPREAD = 0.35
# Personal taste: some people use one kind of service far more than others (log-normal sigma per category).
PERSONAL_SPREAD = 1.0
REGION_FAVOURITES, REGION_FAVOURITE_FACTOR = 2, 2.5
REGION_AVOIDED, REGION_AVOIDED_FACTOR = 1, 0.4
APPEAL_SPREAD = 1.0  # log-normal sigma of the per-service appeal: the most appealing are ~10x the median


@dataclass(frozen=True)
class CatalogView:
    """The published catalog as the simulator needs it, services in code order."""

    codes: tuple[str, ...]
    ids: np.ndarray
    category: np.ndarray  # index into categories
    categories: tuple[str, ...]
    online: np.ndarray
    processing_days: np.ndarray
    events: tuple[str, ...]
    service_events: np.ndarray  # (services, events) bool
    partners: np.ndarray  # (services, k) index, -1 for none
    partner_chance: np.ndarray  # (services, k)

    def __len__(self) -> int:
        return len(self.codes)


def catalog_view_build(
    *,
    codes: list[str],
    ids: list[int],
    categories: list[str],
    online: list[bool],
    processing_days: list[int | None],
    service_events: list[list[str]],
    events: list[str],
    bundles: list[list[str]],
) -> CatalogView:
    position = {code: i for i, code in enumerate(codes)}
    category_codes = tuple(sorted(set(categories)))
    event_index = {code: e for e, code in enumerate(events)}
    linked = np.zeros((len(codes), len(events)), dtype=bool)
    for s, codes_of_events in enumerate(service_events):
        for event in codes_of_events:
            if event in event_index:
                linked[s, event_index[event]] = True
    chance: dict[tuple[int, int], float] = {}
    for members in bundles:
        present = [position[code] for code in members if code in position]
        for a in present:
            for b in present:
                if a != b:
                    chance[(a, b)] = BUNDLE_PARTNER_CHANCE
    for first, second, p in PAIRS:
        if first in position and second in position:
            chance[(position[first], position[second])] = p
    width = max([sum(1 for a, _ in chance if a == s) for s in range(len(codes))] + [1])
    partners = np.full((len(codes), width), -1, dtype=np.int64)
    partner_chance = np.zeros((len(codes), width))
    filled = np.zeros(len(codes), dtype=np.int64)
    for (a, b), p in sorted(chance.items()):
        partners[a, filled[a]] = b
        partner_chance[a, filled[a]] = p
        filled[a] += 1
    return CatalogView(
        codes=tuple(codes),
        ids=np.array(ids, dtype=np.int64),
        category=np.array([category_codes.index(c) for c in categories], dtype=np.int64),
        categories=category_codes,
        online=np.array(online, dtype=bool),
        processing_days=np.array([d if d is not None else PROCESSING_DAYS_DEFAULT for d in processing_days], float),
        events=tuple(events),
        service_events=linked,
        partners=partners,
        partner_chance=partner_chance,
    )


@dataclass(frozen=True)
class Habits:
    """Seeded tastes of the whole population: per-service appeal and per-prefecture category habits."""

    appeal: np.ndarray  # (services,)
    regional: np.ndarray  # (prefectures, categories)


def habits_draw(rng: np.random.Generator, catalog: CatalogView, *, prefectures: int) -> Habits:
    appeal = rng.lognormal(0.0, APPEAL_SPREAD, len(catalog))
    appeal = np.clip(appeal / np.median(appeal), 0.05, 12.0)
    categories = len(catalog.categories)
    regional = np.exp(rng.normal(0.0, REGION_SPREAD, (prefectures, categories)))
    for p in range(prefectures):
        chosen = rng.permutation(categories)
        regional[p, chosen[:REGION_FAVOURITES]] *= REGION_FAVOURITE_FACTOR
        regional[p, chosen[REGION_FAVOURITES : REGION_FAVOURITES + REGION_AVOIDED]] *= REGION_AVOIDED_FACTOR
    return Habits(appeal=appeal, regional=regional)


@dataclass
class Interactions:
    """Interactions of a cohort as parallel arrays, ordered by person and time."""

    person: np.ndarray
    service: np.ndarray  # index into the CatalogView
    kind: np.ndarray
    channel: np.ndarray
    moment: np.ndarray  # float days from local midnight of the simulated day

    def __len__(self) -> int:
        return len(self.person)


@dataclass
class _Steps:
    person: list[np.ndarray]
    service: list[np.ndarray]
    kind: list[np.ndarray]
    channel: list[np.ndarray]
    moment: list[np.ndarray]

    def add(self, person, service, kind, channel, moment) -> None:
        size = len(person)
        self.person.append(np.asarray(person, dtype=np.int64))
        self.service.append(np.asarray(service, dtype=np.int64))
        self.kind.append(np.broadcast_to(np.asarray(kind, dtype=np.int8), (size,)))
        self.channel.append(np.broadcast_to(np.asarray(channel, dtype=np.int8), (size,)))
        self.moment.append(np.asarray(moment, dtype=np.float64))


def event_triggers(
    rng: np.random.Generator, cohort: Cohort, catalog: CatalogView, *, window_start: float, now: float
) -> np.ndarray:
    """(people, events): when each life event began for the person, as a time; for lasting states
    (elderly, disabled, low income) a time within the window when the need made itself felt."""
    n = len(cohort)
    today = cohort.today
    triggers = rng.uniform(window_start - 60, now, (n, len(catalog.events)))
    youngest = np.array([max(days) if days else today for days in cohort.children], dtype=np.float64)
    turned_60 = anniversary(cohort.born, np.full(n, 60)).astype(np.float64)
    known = {
        "newborn_parent": youngest - today,
        "pregnant": cohort.pregnant_known - today,
        "graduate": cohort.graduated - today,
        "job_seeker": cohort.unemployed_since - today,
        "retiring": cohort.retirement - today - rng.uniform(60, 180, n),
        "new_business": cohort.business_registered - today - rng.uniform(0, 14, n),
    }
    for e, event in enumerate(catalog.events):
        if event in known:
            triggers[:, e] = known[event]
        elif event == "elderly":
            recent = turned_60 - today > window_start - 30
            triggers[:, e] = np.where(recent, turned_60 - today, triggers[:, e])
    return triggers + rng.random((n, len(catalog.events)))


def _hidden_needs(cohort: Cohort) -> dict[str, np.ndarray]:
    return {
        "disabled_without_certificate": cohort.disabled & (cohort.disability_level == 0),
        "chronic_illness": cohort.chronic_illness,
        "migrant": cohort.migrant,
        "veteran": cohort.veteran,
    }


def interactions_draw(
    rng: np.random.Generator,
    *,
    cohort: Cohort,
    consents: Consents,
    eligible: np.ndarray,
    events: np.ndarray,
    catalog: CatalogView,
    habits: Habits,
    window_start: float,
    now: float,
) -> Interactions:
    """Interactions in [window_start, now] for a cohort whose true eligibility (people × services, bool)
    and life events (people × events, bool) are given."""
    n, services = eligible.shape
    online = cohort.online
    linked = (events.astype(np.float64) @ catalog.service_events.T.astype(np.float64)) > 0
    strong = linked & eligible
    for_events = np.any(catalog.service_events, axis=1)[None, :]
    general = GENERAL_INTEREST * np.where(for_events, OTHER_EVENT_FACTOR, 1.0)
    rate = np.where(strong, EVENT_INTEREST, np.where(eligible, general, CURIOSITY))
    position = {code: s for s, code in enumerate(catalog.codes)}
    needs = _hidden_needs(cohort)
    hidden = np.zeros((n, services), dtype=bool)
    for code, need, extra in HIDDEN_NEEDS:
        if code in position:
            rate[:, position[code]] += np.where(needs[need], extra, 0.0)
            hidden[:, position[code]] |= needs[need]
    rate = rate * habits.appeal[None, :]
    rate = rate * habits.regional[cohort.prefecture][:, catalog.category]
    taste = rng.lognormal(0.0, PERSONAL_SPREAD, (n, len(catalog.categories)))
    rate = rate * taste[:, catalog.category]
    rate = rate * (cohort.activity * np.where(online, 1.0, OFFLINE_ACTIVITY))[:, None]
    interested = rng.random((n, services)) < -np.expm1(-rate)

    triggers = event_triggers(rng, cohort, catalog, window_start=window_start, now=now)
    # The earliest of the person's events that brings the service; background interest otherwise.
    tied = events[:, None, :] & catalog.service_events[None, :, :]
    first_event = np.where(tied, triggers[:, None, :], np.inf).min(axis=2)
    background = rng.uniform(window_start - BACKGROUND_LEAD_DAYS, now, (n, services))
    start = np.where(strong & ~hidden, first_event + rng.exponential(EVENT_DELAY_DAYS, (n, services)), background)

    steps = _Steps([], [], [], [], [])
    taken = interested.copy()
    person, service = np.nonzero(interested)
    applied = _journeys(rng, steps, cohort, catalog, eligible, strong, person, service, start[person, service])
    for _ in range(PARTNER_ROUNDS):
        person, service, moment = _partners(rng, catalog, applied)
        keep = ~taken[person, service]
        person, service, moment = person[keep], service[keep], moment[keep]
        # The same partner reached twice in a round: the earlier one counts.
        order = np.lexsort((moment, service, person))
        person, service, moment = person[order], service[order], moment[order]
        first = np.ones(len(person), dtype=bool)
        first[1:] = (person[1:] != person[:-1]) | (service[1:] != service[:-1])
        person, service, moment = person[first], service[first], moment[first]
        if not len(person):
            break
        taken[person, service] = True
        applied = _journeys(rng, steps, cohort, catalog, eligible, strong, person, service, moment)
    _noise(rng, steps, cohort, services, window_start=window_start, now=now)

    result = Interactions(
        person=np.concatenate(steps.person),
        service=np.concatenate(steps.service),
        kind=np.concatenate(steps.kind),
        channel=np.concatenate(steps.channel),
        moment=_office_hours(np.concatenate(steps.moment)),
    )
    # The portal keeps views, saves and applications only of people who allow personalisation; a
    # dismissal is kept whatever (recommender.services.interactions.interaction_observe).
    negative = (result.kind == DISMISS) | (result.kind == NOT_RELEVANT)
    keep = (negative | consents.personalised[result.person]) & (result.moment >= window_start)
    keep &= result.moment <= now
    order = np.lexsort((result.kind[keep], result.moment[keep], result.person[keep]))
    return Interactions(
        person=result.person[keep][order],
        service=result.service[keep][order],
        kind=result.kind[keep][order],
        channel=result.channel[keep][order],
        moment=result.moment[keep][order],
    )


def _office_hours(moment: np.ndarray) -> np.ndarray:
    """Put each moment between 08:00 and 20:00 of its day, keeping the order of moments."""
    day = np.floor(moment)
    return day + (8 + 12 * (moment - day)) / 24


def _channels(rng: np.random.Generator, habit: np.ndarray) -> np.ndarray:
    """The channel of each step: the person's usual one, sometimes their other online one."""
    switch = (habit != COUNTER) & (rng.random(len(habit)) < OTHER_ONLINE_CHANNEL)
    return np.where(switch, np.where(habit == APP, WEB, APP), habit).astype(np.int8)


def _journeys(
    rng: np.random.Generator,
    steps: _Steps,
    cohort: Cohort,
    catalog: CatalogView,
    eligible: np.ndarray,
    strong: np.ndarray,
    person: np.ndarray,
    service: np.ndarray,
    start: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Walk people through view → save → apply → complete for one service each; returns who applied
    for what, and when."""
    m = len(person)
    habit = cohort.channel_habit[person]
    offline = habit == COUNTER
    tier = np.where(strong[person, service], 0, np.where(eligible[person, service], 1, 2))

    steps.add(person, service, VIEW, _channels(rng, habit), start)
    extra = np.where(offline, 0, rng.poisson(EXTRA_VIEWS, m))
    again = np.repeat(np.arange(m), extra)
    steps.add(
        person[again],
        service[again],
        VIEW,
        _channels(rng, habit[again]),
        start[again] + rng.uniform(0.01, 3, len(again)),
    )
    latest = start + np.where(extra > 0, 3.0, 0.0)

    saved = ~offline & (rng.random(m) < np.array(SAVE_CHANCE)[tier])
    save_at = start + rng.exponential(0.3, m) + 0.001
    steps.add(person[saved], service[saved], SAVE, _channels(rng, habit[saved]), save_at[saved])
    latest = np.where(saved, np.maximum(latest, save_at), latest)

    apply_chance = np.array(APPLY_CHANCE)[tier] + np.where(offline & (tier < 2), APPLY_CHANCE_AT_COUNTER_BONUS, 0.0)
    applying = rng.random(m) < apply_chance
    apply_at = latest + np.where(offline, rng.uniform(0.005, 0.05, m), rng.exponential(2.5, m) + 0.01)
    at_counter = offline | ~catalog.online[service] | (rng.random(m) < COUNTER_APPLICATION)
    apply_channel = np.where(at_counter, COUNTER, _channels(rng, habit)).astype(np.int8)
    steps.add(person[applying], service[applying], APPLY, apply_channel[applying], apply_at[applying])

    completing = applying & (rng.random(m) < COMPLETE_CHANCE)
    complete_at = apply_at + catalog.processing_days[service] * 1.4 + rng.uniform(0.1, 3, m)
    steps.add(person[completing], service[completing], COMPLETE, apply_channel[completing], complete_at[completing])

    dismiss_chance = np.array(DISMISS_CHANCE)[tier] * np.where(offline, 0.2, 1.0)
    dismissing = ~applying & (rng.random(m) < dismiss_chance)
    kind = np.where(rng.random(m) < NOT_RELEVANT_SHARE, NOT_RELEVANT, DISMISS).astype(np.int8)
    dismiss_at = latest + rng.exponential(0.5, m) + 0.001
    steps.add(
        person[dismissing],
        service[dismissing],
        kind[dismissing],
        _channels(rng, habit[dismissing]),
        dismiss_at[dismissing],
    )
    return person[applying], service[applying], apply_at[applying]


def _partners(
    rng: np.random.Generator, catalog: CatalogView, applied: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    person, service, moment = applied
    partner = catalog.partners[service]  # (applications, k)
    chosen = (partner >= 0) & (rng.random(partner.shape) < catalog.partner_chance[service])
    rows, slots = np.nonzero(chosen)
    delay = 0.5 + rng.exponential(PARTNER_DELAY_DAYS, len(rows))
    return person[rows], partner[rows, slots], moment[rows] + delay


def _noise(rng: np.random.Generator, steps: _Steps, cohort: Cohort, services: int, *, window_start: float, now: float):
    habit = cohort.channel_habit
    mean = np.where(habit == COUNTER, NOISE_VIEWS_OFFLINE, NOISE_VIEWS) * cohort.activity
    count = rng.poisson(mean)
    person = np.repeat(np.arange(len(cohort)), count)
    service = rng.integers(0, services, len(person))
    moment = rng.uniform(window_start, now, len(person))
    steps.add(person, service, VIEW, _channels(rng, habit[person]), moment)
    dismissing = rng.random(len(person)) < NOISE_DISMISS * np.where(habit[person] == COUNTER, 0.2, 1.0)
    kind = np.where(rng.random(len(person)) < NOT_RELEVANT_SHARE, NOT_RELEVANT, DISMISS).astype(np.int8)
    steps.add(
        person[dismissing],
        service[dismissing],
        kind[dismissing],
        _channels(rng, habit[person[dismissing]]),
        moment[dismissing] + rng.exponential(0.2, int(dismissing.sum())) + 0.001,
    )
