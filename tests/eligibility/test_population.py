"""The population evaluator against the per-person engine: the same answers, per service outcome, per
criterion status and per missing fact, on every example case of the catalog, on a generated population
with unknown facts, "none" answers and dates around the thresholds, and on facts read from the database.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.conf import settings

from profiles.facts import FACTS, facts_clean
from services_portal.catalog.services import catalog_file_read
from services_portal.eligibility.derived import DERIVED_FACTS, facts_with_derived
from services_portal.eligibility.derived_columns import DERIVED_COLUMNS
from services_portal.eligibility.engine import CriterionRule, ServiceRules, eligibility_evaluate, expression_compile
from services_portal.eligibility.population import (
    ELIGIBLE,
    MAYBE,
    MET,
    NOT_ELIGIBLE,
    NOT_MET,
    OPEN,
    UNKNOWN,
    population_evaluate,
    population_from_facts,
)
from services_portal.eligibility.population.columns import Rows
from services_portal.reference import regions, standards

ON = datetime.date(2026, 11, 1)
DATA = catalog_file_read(settings.CATALOG_DATA_FILE)
CATALOG = [
    ServiceRules(
        service["code"],
        tuple(
            CriterionRule(c["key"], c["label"]["zh-hans"], c["label"]["en"], expression_compile(c["expression"]))
            for c in service.get("criteria", [])
        ),
    )
    for service in DATA["services"]
]

# Criteria the catalog does not have yet that an editor may write: a choice read twice, a test no value
# passes or every value passes, literals beside unknowns, a value that may not exist beside an unknown
# choice, numbers compared for equality, and nodes the compiler leaves to the engine (arithmetic, dates).
EXTRA = [
    'sex == "female" or sex != "female"',
    'marital_status != "engaged"',
    'education_level in ["none", "primary", "junior_secondary", "senior_secondary", "vocational", '
    '"junior_college", "bachelor", "master", "doctorate"]',
    'hukou_region_code =~ "^45" or true',
    'not (hukou_region_code =~ "^4501" and false)',
    "not (is_pregnant and not is_pregnant)",
    'youngest_child_age_months < 12 or hukou_type == "rural"',
    'youngest_child_age_months >= 12 and (sex == "female" or employment_status == "student")',
    "youngest_child_age_months == 30",
    "disability_level == 2",
    "disability_level != 0",
    "disability_level in [0, 1, 2, 3, 4]",
    "age == 60",
    "household_size != 1 and household_income_monthly_per_capita <= 1000.5",
    "low_income == false",
    "not low_income and owns_home",
    "children_under_3_count == 0",
    "dibao_standard_monthly > 800",
    "age + 1 > 60",
    "age >= 60 and months_to_retirement < 0",
]
EXTRA_RULES = [
    ServiceRules(f"extra-{i}", (CriterionRule(f"x{i}", "标签", "label", expression_compile(text)),))
    for i, text in enumerate(EXTRA)
] + [
    ServiceRules(
        "extra-two",
        tuple(CriterionRule(f"y{i}", "标签", "label", expression_compile(t)) for i, t in enumerate(EXTRA[:4])),
    )
]


def differences(people: list[dict[str, Any]], services: list[ServiceRules], on: datetime.date) -> list[str]:
    """Where the population evaluator and the per-person engine disagree, said person by person."""
    result = population_evaluate(population_from_facts(people), on=on, services=services)
    found = []
    for i, facts in enumerate(people):
        expected = eligibility_evaluate(facts=facts, on=on, services=services)
        got = result.person(i)
        for want, have in zip(expected, got, strict=True):
            if want != have:
                found.append(
                    f"{facts}: {want.service_code}: engine {want.outcome} "
                    f"{[(r.key, r.status.value, r.missing) for r in want.results]}, "
                    f"population {have.outcome} {[(r.key, r.status.value, r.missing) for r in have.results]}"
                )
    return found


def test_the_codes_order_statuses_as_outcomes():
    # a service's outcome is the largest of its criteria's statuses
    assert (MET, UNKNOWN, NOT_MET) == (ELIGIBLE, MAYBE, NOT_ELIGIBLE)
    assert OPEN > NOT_ELIGIBLE


def test_every_example_case_of_the_catalog():
    # given
    cases = [example for service in DATA["services"] for example in service.get("examples", [])]
    found = []
    for example in cases:
        reference = example["reference_date"]
        reference = reference if isinstance(reference, datetime.date) else datetime.date.fromisoformat(reference)
        facts = facts_clean(example.get("facts") or {}, today=reference)
        # when / then: the whole catalog for each case, not only its own service
        found += differences([facts], CATALOG, reference)
    assert len(cases) > 150
    assert not found, "\n".join(found[:10])


def _around(on: datetime.date, rng: random.Random, months: list[int]) -> datetime.date:
    """A date some whole months before `on`, give or take a day: where the criteria's thresholds lie."""
    month = rng.choice(months)
    year, index = divmod(on.year * 12 + on.month - 1 - month, 12)
    day = min(on.day, 28)
    return datetime.date(year, index + 1, day) + datetime.timedelta(
        days=rng.choice([-1, 0, 0, 1, rng.randint(-40, 40)])
    )


def person_generate(rng: random.Random, on: datetime.date, places: list[str]) -> dict[str, Any]:
    """Clean facts of a made-up person from the fact registry: each fact known or not, values near the
    criteria's thresholds, "none" for children now and then."""
    lines = [
        standard.urban_monthly * factor
        for standard in standards.all_standards()
        for factor in (Decimal(1), Decimal("1.5"))
    ] + [standard.rural_monthly * Decimal("1.5") for standard in standards.all_standards()]
    facts: dict[str, Any] = {}
    for key, fact in FACTS.items():
        if fact.identity or rng.random() < 0.3:
            continue
        if key == "birth_date":
            value: Any = _around(on, rng, [12 * years for years in (16, 18, 22, 35, 40, 50, 60, 64, 65, 80)])
        elif key in ("graduation_date", "business_registered_date"):
            value = _around(on, rng, [-1, 0, 11, 12, 24, 25, 60, 61, 100])
        elif key == "retirement_date":
            value = _around(on, rng, [-7, -6, 0, 1, 30])
        elif key == "children_birth_dates":
            value = sorted(
                _around(on, rng, [-1, 11, 12, 35, 36, 83, 84, 200]) for _ in range(rng.choice([0, 0, 1, 2, 3]))
            )
        elif fact.type in ("choice",):
            value = rng.choice(fact.choices).value
        elif fact.type == "boolean":
            value = rng.random() < 0.5
        elif fact.type == "region":
            value = rng.choice(places)
        elif key == "household_size":
            value = rng.choice([1, 1, 2, 3, 5])
        elif key == "disability_level":
            value = rng.choice([0, 0, 1, 2, 3, 4])
        elif fact.type == "money":
            near = rng.choice([*lines, Decimal(10000), Decimal(1000)])
            value = (near + rng.choice([Decimal("-0.01"), 0, Decimal("0.01"), rng.randint(-500, 500)])).quantize(
                Decimal("0.01")
            )
            value = max(value, Decimal(0))
        else:
            continue
        facts[key] = value
    if rng.random() < 0.05:  # the screener asks for an age, not a date of birth
        facts.pop("birth_date", None)
        facts["age"] = rng.choice([17, 18, 59, 60, 61, 80])
    return facts


def generated(count: int, on: datetime.date, seed: int = 13) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    counties = [region.code for region in regions.all_regions() if region.level == "county"]
    places = rng.sample(counties, 12) + ["450102", "450103", "450105", "450202"]
    places += ["440106", "110101"]  # outside Guangxi: no Guangxi standard, so no low-income line
    return [person_generate(rng, on, places) for _ in range(count)]


def test_a_generated_population_with_unknown_facts():
    # given
    people = generated(2000, ON)
    # when / then
    found = differences(people, CATALOG + EXTRA_RULES, ON)
    assert not found, f"{len(found)} differences, the first:\n" + "\n".join(found[:10])


def test_every_derived_fact_has_a_vectorised_function_that_agrees_with_derived_py():
    # given
    assert set(DERIVED_COLUMNS) == set(DERIVED_FACTS)
    people = [{key: value for key, value in facts.items() if key != "age"} for facts in generated(1500, ON, seed=7)]
    rows = Rows(population_from_facts(people), ON)
    for key in DERIVED_FACTS:
        # when
        column = rows.derived(key)
        # then
        for i, facts in enumerate(people):
            with_derived = facts_with_derived(facts, on=ON)
            assert bool(column.present[i]) == (key in with_derived), (key, facts)
            if key in with_derived:
                value = with_derived[key]
                assert bool(column.none[i]) == (value is None), (key, facts)
                if value is not None:
                    assert column.values[i] == float(value), (key, facts)


def test_outcomes_and_statuses_are_arrays_in_row_order():
    # given
    people = [
        {"birth_date": datetime.date(1940, 1, 1), "hukou_region_code": "450102"},
        {"birth_date": datetime.date(2000, 1, 1)},
        {},
    ]
    services = [
        ServiceRules("old", (CriterionRule("aged", "", "", expression_compile("age >= 80")),)),
        ServiceRules("open", ()),
    ]
    # when
    result = population_evaluate(population_from_facts(people, ids=[7, 8, 9]), on=ON, services=services)
    # then
    assert result.ids.tolist() == [7, 8, 9]
    assert result.outcomes.shape == (3, 2)
    assert result.outcomes[:, 0].tolist() == [ELIGIBLE, NOT_ELIGIBLE, MAYBE]
    assert result.outcomes[:, 1].tolist() == [OPEN, OPEN, OPEN]
    assert result.statuses["age >= 80"].dtype == np.int8
    assert result.person(2)[0].results[0].missing == ("birth_date",)


@pytest.mark.django_db
def test_facts_loaded_in_bulk_are_those_facts_for_gives_and_decide_the_same():
    # given: people with current, superseded and expired values, sensitive facts with and without consent
    # (a ward's under the guardian's), an identity fact, and households whose members' incomes make the household's
    from django.utils import timezone

    from profiles.facts.codec import fact_encode
    from profiles.models import Citizen, FactSource, FactValue, Household
    from profiles.purposes import Purpose
    from profiles.services.consent import consent_grant
    from services_portal.eligibility.facts import facts_for
    from services_portal.eligibility.population import population_load

    now = timezone.now()
    people = generated(60, ON, seed=5)
    citizens = [Citizen.objects.create(name=f"person {i}") for i in range(len(people))]
    values = []
    for i, (citizen, facts) in enumerate(zip(citizens, people, strict=True)):
        for key, value in facts.items():
            if key in FACTS:
                values.append(FactValue(citizen=citizen, key=key, value=fact_encode(value), observed_at=now))
        values.append(FactValue(citizen=citizen, key="full_name", value="李华", observed_at=now))
        if i % 3 == 0:  # an older value, superseded
            values.append(
                FactValue(citizen=citizen, key="disability_level", value=4, observed_at=now, superseded_at=now)
            )
        if i % 4 == 0:  # a current value that has expired
            values = [value for value in values if not (value.citizen is citizen and value.key == "pension_insured")]
            values.append(
                FactValue(
                    citizen=citizen,
                    key="pension_insured",
                    value=True,
                    observed_at=now,
                    expires_at=now - datetime.timedelta(days=1),
                )
            )
    for value in values:
        value.source = FactSource.SELF_DECLARED
    FactValue.objects.bulk_create(values)
    for citizen in citizens[::2]:
        consent_grant(citizen=citizen, purpose=Purpose.SENSITIVE_FACTS, channel="web")
    citizens[1].guardian = citizens[0]  # a ward: the guardian's consent covers their sensitive facts
    citizens[1].save(update_fields=["guardian"])
    for n, members in enumerate((citizens[0:3], citizens[3:5], citizens[10:14])):
        household = Household.objects.create(external_id=f"household {n}")
        household.members.add(*members)
    ids = [citizen.pk for citizen in reversed(citizens)]
    expected = facts_for(Citizen.objects.filter(pk__in=ids))
    # when
    population = population_load(ids)
    # then
    assert population.ids.tolist() == ids
    for i, citizen_id in enumerate(ids):
        assert not any(FACTS[key].identity for key in expected[citizen_id])  # never read by the rules
        assert dict(population.facts(i)) == expected[citizen_id]
    assert any("household_income_monthly_per_capita" in expected[c.pk] for c in citizens[10:14] + citizens[0:5])
    result = population_evaluate(population, on=ON, services=CATALOG)
    for i, citizen_id in enumerate(ids):
        assert result.person(i) == eligibility_evaluate(facts=expected[citizen_id], on=ON, services=CATALOG)


def test_derived_facts_stated_outright_are_kept_as_the_engine_keeps_them():
    # given: the screener's age instead of a date of birth, an age beside a date of birth that says
    # otherwise, and derived facts stated as None (no such value)
    people = [
        {"age": 72, "hukou_region_code": "450102"},
        {"age": 30, "birth_date": datetime.date(1940, 1, 1)},
        {"age": None, "sex": "female"},
        {"youngest_child_age_months": None, "hukou_type": "rural"},
        {"low_income": True, "disability_level": 0},
        {},
    ]
    # when / then
    assert not differences(people, CATALOG + EXTRA_RULES, ON)
