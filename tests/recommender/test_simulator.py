"""The population simulator: reproducible, true to its rates, and with the behaviour the recommender
is evaluated on (services used together, offline people at the counter, dismissals, eligibility)."""

from __future__ import annotations

import datetime
import io
from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from profiles.facts import FACTS, Sensitivity
from profiles.models import Citizen, ConsentEvent, FactValue
from profiles.purposes import Purpose
from recommender.models import Interaction
from recommender.simulator import SimulationRefused, SimulationSummary, population_simulate, rates
from services_portal.catalog.models import ServiceItem
from services_portal.catalog.rules import catalog_rules
from services_portal.catalog.services import catalog_import
from services_portal.eligibility.derived import facts_with_derived
from services_portal.eligibility.engine import Outcome, eligibility_evaluate
from services_portal.eligibility.facts import facts_for

NOW = datetime.datetime(2026, 10, 1, 15, 30, tzinfo=datetime.UTC)
DAYS = 180
SENSITIVE = {key for key, fact in FACTS.items() if fact.sensitivity == Sensitivity.SENSITIVE}


@dataclass
class Snapshot:
    """What a simulation left in the database, read back through the portal's own selectors."""

    summary: SimulationSummary
    facts: dict[str, dict]  # resident ID hash -> current facts as Python values
    consents: dict[str, dict[str, bool]]  # hash -> purpose -> in force
    consent_channels: dict[str, set[str]]
    interactions: dict[str, list[tuple[str, str, str, datetime.datetime]]]  # hash -> (service, kind, channel, when)
    eligibility: dict[str, dict[str, Outcome]]  # hash -> service -> outcome on the stored facts
    fact_tuples: set[tuple]
    interaction_tuples: set[tuple]


def _simulate_and_read(*, people: int, seed: int, catalog_data, evaluate: bool = False) -> Snapshot:
    """Run the simulator inside a transaction that is rolled back, and read back what it wrote."""
    with transaction.atomic():
        if not ServiceItem.objects.filter(is_published=True).exists():
            catalog_import(data=catalog_data)
        before = set(Citizen.objects.values_list("pk", flat=True))
        summary = population_simulate(people=people, seed=seed, now=NOW, days=DAYS)
        citizens = list(Citizen.objects.exclude(pk__in=before))
        hash_of = {c.pk: c.resident_id_hash for c in citizens}
        facts = {hash_of[pk]: values for pk, values in facts_for(citizens).items()}
        consents: dict[str, dict[str, bool]] = defaultdict(dict)
        channels: dict[str, set[str]] = defaultdict(set)
        for citizen_id, purpose, granted, channel in (
            ConsentEvent.objects.filter(citizen_id__in=hash_of)
            .order_by("created_at", "id")
            .values_list("citizen_id", "purpose", "granted", "channel")
        ):
            consents[hash_of[citizen_id]][purpose] = granted
            channels[hash_of[citizen_id]].add(channel)
        interactions: dict[str, list] = defaultdict(list)
        for citizen_id, code, kind, channel, occurred_at in Interaction.objects.filter(
            citizen_id__in=hash_of
        ).values_list("citizen_id", "service__code", "kind", "channel", "occurred_at"):
            interactions[hash_of[citizen_id]].append((code, kind, channel, occurred_at))
        eligibility = {}
        if evaluate:
            rules = catalog_rules()
            for digest, values in facts.items():
                outcomes = eligibility_evaluate(facts=values, on=NOW.date(), services=rules)
                eligibility[digest] = {outcome.service_code: outcome.outcome for outcome in outcomes}
        fact_tuples = {
            (hash_of[citizen_id], key, str(value), source)
            for citizen_id, key, value, source in FactValue.objects.filter(citizen_id__in=hash_of).values_list(
                "citizen_id", "key", "value", "source"
            )
        }
        interaction_tuples = {(digest, *interaction) for digest, rows in interactions.items() for interaction in rows}
        transaction.set_rollback(True)
    return Snapshot(
        summary, facts, dict(consents), dict(channels), dict(interactions), eligibility, fact_tuples, interaction_tuples
    )


@pytest.fixture(scope="module")
def population(django_db_setup, django_db_blocker, catalog_data) -> Snapshot:
    """3,000 simulated people, simulated once for the module's tests (and rolled back)."""
    with django_db_blocker.unblock():
        return _simulate_and_read(people=3000, seed=20261123, catalog_data=catalog_data, evaluate=True)


def _age(values: dict) -> int:
    return facts_with_derived(values, on=NOW.date())["age"]


# -- reproducible ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_people_facts_and_interactions(catalog, catalog_data):
    # given two runs with the same seed and one with another
    first = _simulate_and_read(people=300, seed=7, catalog_data=catalog_data)
    again = _simulate_and_read(people=300, seed=7, catalog_data=catalog_data)
    other = _simulate_and_read(people=300, seed=8, catalog_data=catalog_data)

    # then the same seed gave the same people, facts and interactions, another seed others
    assert len(first.facts) == 300
    assert first.fact_tuples and first.interaction_tuples
    assert again.fact_tuples == first.fact_tuples
    assert again.interaction_tuples == first.interaction_tuples
    assert set(again.facts) == set(first.facts)
    assert other.fact_tuples != first.fact_tuples
    assert other.interaction_tuples != first.interaction_tuples


# -- rates ----------------------------------------------------------------------------------------


def test_everyone_is_an_adult_and_the_elderly_share_follows_the_census(population):
    # given the census age structure, restricted to adults
    adults_15_59 = rates.AGE_15_59.value * 42 / 45
    expected = rates.AGE_60_PLUS.value / (adults_15_59 + rates.AGE_60_PLUS.value)

    # when the ages are read from the stored birth dates
    ages = [_age(values) for values in population.facts.values()]

    # then
    assert len(ages) == population.summary.people == 3000
    assert min(ages) >= 18
    elderly = sum(age >= 60 for age in ages) / len(ages)
    assert expected == pytest.approx(0.2305, abs=0.001)
    assert elderly == pytest.approx(expected, abs=0.03)


def test_unemployment_newborn_parents_and_graduates_follow_their_rates(population):
    # when the stored work situations and the life events are counted
    statuses = Counter(values.get("employment_status") for values in population.facts.values())
    labour = statuses["employed"] + statuses["self_employed"] + statuses["unemployed"]
    events = population.summary.life_events
    people = population.summary.people

    # then unemployment is near the urban surveyed rate (5.2%) of the labour force
    assert 0.035 < statuses["unemployed"] / labour < 0.07
    # each birth has two parents among the adults: about 1.8% of adults had a baby in the last year
    newborn_expected = 2 * rates.BIRTH_RATE.value / (1 - rates.AGE_0_14.value - rates.AGE_15_59.value * 3 / 45)
    assert events["newborn_parent"] / people == pytest.approx(newborn_expected, abs=0.007)
    # graduates of the last two years: twice the yearly graduate rate over the adults
    assert 0.012 < events["graduate"] / people < 0.035
    assert events["elderly"] / people == pytest.approx(0.23, abs=0.03)


def test_offline_people_are_more_often_elderly_and_act_only_at_the_counter(population):
    # given: people who are not online gave their consents at the counter (the few who gave none are left out)
    offline = {digest for digest, channels in population.consent_channels.items() if channels == {"counter"}}
    assert population.summary.offline_people - 10 <= len(offline) <= population.summary.offline_people

    # then about a quarter are offline, half of the elderly
    share = len(offline) / population.summary.people
    assert 0.18 < share < 0.32
    elderly = {digest for digest, values in population.facts.items() if _age(values) >= 60}
    assert len(offline & elderly) / len(elderly) > 2 * len(offline - elderly) / len(population.facts.keys() - elderly)

    # and their interactions are at the counter only, and fewer than other people's
    offline_rows = [row for digest in offline for row in population.interactions.get(digest, [])]
    online_rows = [row for digest, rows in population.interactions.items() if digest not in offline for row in rows]
    assert offline_rows
    assert {channel for _, _, channel, _ in offline_rows} == {"counter"}
    assert {channel for _, _, channel, _ in online_rows} == {"web", "app", "counter"}
    online_people = population.summary.people - len(offline)
    assert len(offline_rows) / len(offline) < 0.7 * len(online_rows) / online_people


# -- behaviour ------------------------------------------------------------------------------------


def test_parents_who_applied_for_the_childcare_subsidy_book_vaccination_far_more_often(population):
    # given who applied for the childcare subsidy
    def took(rows, code):
        return any(service == code and kind in ("apply", "complete") for service, kind, _, _ in rows)

    subsidy = {digest for digest, rows in population.interactions.items() if took(rows, "gx-childcare-subsidy")}
    others = population.interactions.keys() - subsidy

    # when vaccination bookings are counted in each group
    booked_with = sum(took(population.interactions[d], "gx-child-vaccination-booking") for d in subsidy) / len(subsidy)
    booked_without = sum(took(population.interactions[d], "gx-child-vaccination-booking") for d in others) / len(others)

    # then
    assert len(subsidy) >= 6
    assert booked_with > 0.4
    assert booked_with > 10 * booked_without


def test_the_funnel_and_the_window_hold(population):
    # given every interaction
    rows = [(digest, *row) for digest, person_rows in population.interactions.items() for row in person_rows]
    kinds = Counter(kind for _, _, kind, _, _ in rows)

    # then every kind is there, fewer at each step of the funnel
    assert kinds["view"] > kinds["apply"] > kinds["complete"] > 0
    assert kinds["view"] > kinds["save"] > 0
    assert kinds["dismiss"] > 0 and kinds["not_relevant"] > 0
    assert kinds == Counter({kind: count for kind, count in population.summary.interactions.items() if count})
    # nothing happens in the future or before the window
    assert all(NOW - datetime.timedelta(days=DAYS) <= when <= NOW for *_, when in rows)
    # a completion comes after the application it completes
    first = defaultdict(dict)
    for digest, service, kind, _, when in sorted(rows, key=lambda row: row[4]):
        first[(digest, service)].setdefault(kind, when)
    steps = [times for times in first.values() if "apply" in times and "complete" in times]
    assert steps
    assert all(times["apply"] < times["complete"] for times in steps)


def test_applications_follow_eligibility_and_dismissals_mostly_do_not(population):
    # given the outcome of each service on the stored facts for every application and dismissal
    def outcomes(kinds):
        return Counter(
            population.eligibility[digest][service]
            for digest, rows in population.interactions.items()
            for service, kind, _, _ in rows
            if kind in kinds
        )

    applications = outcomes({"apply"})
    dismissals = outcomes({"dismiss", "not_relevant"})

    # then nearly every application is for a service open to the person, or they may be eligible for
    applied = sum(applications.values())
    usable = applications[Outcome.ELIGIBLE] + applications[Outcome.OPEN]
    assert (usable + applications[Outcome.MAYBE]) / applied > 0.95
    assert usable / applied > 0.75
    # while dismissals are mostly of services that were not for the person
    dismissed = sum(dismissals.values())
    assert dismissals[Outcome.NOT_ELIGIBLE] / dismissed > 5 * applications[Outcome.NOT_ELIGIBLE] / applied


def test_service_appeal_differs_a_lot_between_services(population):
    # when people interested in each service are counted
    people_per_service = Counter(
        service
        for rows in population.interactions.values()
        for service in {service for service, kind, _, _ in rows if kind in ("view", "save", "apply", "complete")}
    )
    counts = sorted(people_per_service.values(), reverse=True)

    # then the most used services reach many times more people than the median one
    assert len(counts) > 60
    assert counts[0] > 5 * counts[len(counts) // 2]


def test_sensitive_facts_are_held_only_with_the_sensitive_facts_consent(population):
    # given who holds sensitive facts
    holders = {digest for digest, values in population.facts.items() if SENSITIVE & values.keys()}

    # then each of them consented, and many people who did not consent have none
    assert holders
    assert all(population.consents[digest].get(Purpose.SENSITIVE_FACTS) for digest in holders)
    refusing = [d for d in population.facts if not population.consents.get(d, {}).get(Purpose.SENSITIVE_FACTS)]
    assert len(refusing) > 300
    assert not any(SENSITIVE & population.facts[digest].keys() for digest in refusing)


def test_consents_are_drawn_at_their_stated_rates(population):
    # when the consents in force are counted
    people = population.summary.people
    granted = Counter(purpose for consents in population.consents.values() for purpose, on in consents.items() if on)

    # then
    assert 0.72 < granted[Purpose.PERSONALISATION] / people < 0.85
    assert granted[Purpose.DATA_MATCHING] / people == pytest.approx(rates.CONSENT_DATA_MATCHING.value, abs=0.03)
    assert granted[Purpose.PROACTIVE_BENEFITS] / people == pytest.approx(rates.CONSENT_PROACTIVE.value, abs=0.03)


def test_people_who_do_not_allow_personalisation_have_only_dismissals_recorded(population):
    # given people without the personalisation consent
    without = [d for d in population.facts if not population.consents.get(d, {}).get(Purpose.PERSONALISATION)]

    # then only their dismissals are kept, as interaction_observe does
    kinds = {kind for digest in without for _, kind, _, _ in population.interactions.get(digest, [])}
    assert without
    assert kinds <= {"dismiss", "not_relevant"}


# -- the surface ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_simulator_needs_the_catalog(catalog):
    # given a catalog with nothing published
    ServiceItem.objects.update(is_published=False)

    # when / then
    with pytest.raises(SimulationRefused) as refused:
        population_simulate(people=10, now=NOW)
    assert refused.value.code == "no_catalog"
    assert not Citizen.objects.exists()


@pytest.mark.django_db
def test_the_command_adds_people_and_prints_the_summary(catalog):
    # when
    out = io.StringIO()
    call_command("simulate", "--people", "40", "--seed", "3", "--days", "30", stdout=out)

    # then
    output = out.getvalue()
    assert "40/40 people" in output
    assert "people: 40 (" in output
    assert "interactions: " in output
    assert Citizen.objects.filter(resident_id_hash__isnull=False).count() == 40
    assert Interaction.objects.exists()


@pytest.mark.django_db
def test_a_second_run_adds_more_people_without_colliding(catalog):
    # given a simulated population
    population_simulate(people=50, seed=5, now=NOW)

    # when the same seed runs again
    summary = population_simulate(people=50, seed=5, now=NOW)

    # then the same identity numbers were skipped and 50 new people were added
    assert Citizen.objects.count() == 100
    assert summary.sequence_collisions == 50


@pytest.mark.django_db
def test_the_command_refuses_production_unless_told(catalog, settings):
    # given
    settings.PRODUCTION = True

    # when / then
    with pytest.raises(CommandError, match="allow-production"):
        call_command("simulate", "--people", "5", stdout=io.StringIO())
    assert not Citizen.objects.exists()
    call_command("simulate", "--people", "5", "--allow-production", stdout=io.StringIO())
    assert Citizen.objects.count() == 5
