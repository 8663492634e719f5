import datetime

import pytest

from services_portal.catalog.rules import catalog_rules
from services_portal.eligibility.engine import (
    CriterionRule,
    ExpressionInvalid,
    Outcome,
    ServiceRules,
    Status,
    eligibility_evaluate,
    expression_compile,
)

ON = datetime.date(2026, 11, 1)


def rules(*expressions: str) -> ServiceRules:
    return ServiceRules(
        "test-service",
        tuple(CriterionRule(f"c{i}", "标签", "label", expression_compile(text)) for i, text in enumerate(expressions)),
    )


def evaluate(facts, *expressions):
    [result] = eligibility_evaluate(facts=facts, on=ON, services=[rules(*expressions)])
    return result


def test_met_not_met_and_unknown_per_criterion():
    result = evaluate(
        {"birth_date": datetime.date(1940, 1, 1), "pension_insured": False},
        "age >= 80",
        "pension_insured",
        'hukou_region_code =~ "^45"',
    )
    assert [r.status for r in result.results] == [Status.MET, Status.NOT_MET, Status.UNKNOWN]
    assert result.outcome == Outcome.NOT_ELIGIBLE
    assert result.missing_facts == ["hukou_region_code"]


def test_unknown_derived_facts_ask_for_the_stored_facts_behind_them():
    result = evaluate({"household_income_monthly_per_capita": 100}, "low_income")
    assert result.outcome == Outcome.MAYBE
    assert result.missing_facts == ["region_code", "hukou_type"]


def test_a_short_circuit_settles_a_criterion_without_the_missing_fact():
    assert evaluate({"disability_level": 0}, "disability_level >= 1 and low_income").outcome == Outcome.NOT_ELIGIBLE
    assert evaluate({"disability_level": 2}, "disability_level >= 1 or low_income").outcome == Outcome.ELIGIBLE
    assert evaluate({"disability_level": 2}, "disability_level >= 1 and low_income").outcome == Outcome.MAYBE


NO_CHILDREN = {"children_birth_dates": []}


@pytest.mark.parametrize(
    ("facts", "expression", "status"),
    [
        (NO_CHILDREN, "children_under_3_count >= 1", Status.NOT_MET),
        (NO_CHILDREN, "children_under_3_count == 0", Status.MET),
        (NO_CHILDREN, "youngest_child_age_months < 12", Status.NOT_MET),
        (NO_CHILDREN, "youngest_child_age_months >= 12", Status.NOT_MET),
        ({**NO_CHILDREN, "is_pregnant": False}, "is_pregnant or youngest_child_age_months < 12", Status.NOT_MET),
        ({**NO_CHILDREN, "is_pregnant": True}, "youngest_child_age_months < 12 or is_pregnant", Status.MET),
        (NO_CHILDREN, "youngest_child_age_months < 12 and is_pregnant", Status.NOT_MET),
        (NO_CHILDREN, "youngest_child_age_months < 12 or is_pregnant", Status.UNKNOWN),
        ({}, "youngest_child_age_months < 12", Status.UNKNOWN),
    ],
)
def test_no_children_is_an_answer_that_decides_criteria_over_children(facts, expression, status):
    # given a person who answered "none" for children (or, last, did not answer)
    # when a criterion over their children is evaluated
    [result] = evaluate(facts, expression).results

    # then it is decided: there is no youngest child under one, and none under three
    assert result.status == status
    if status == Status.UNKNOWN:  # what is still unknown is asked for, never the children already answered
        assert result.missing == (("is_pregnant",) if facts else ("children_birth_dates",))


def test_a_service_without_criteria_is_open_to_everyone():
    assert evaluate({}).outcome == Outcome.OPEN


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ("age >=", "syntax_error"),
        ("shoe_size > 40", "unknown_fact"),
        ('age > "sixty"', "type_mismatch"),
        ('hukou_region_code =~ "("', "bad_regex"),
        ("household_size + 1", "not_a_condition"),
        ("__import__('os').system('true')", "unknown_fact"),
    ],
)
def test_bad_expressions_are_refused_with_what_is_wrong(expression, code):
    with pytest.raises(ExpressionInvalid) as caught:
        expression_compile(expression)
    assert caught.value.code == code
    assert caught.value.message


def test_expressions_are_compiled_once():
    expression_compile.cache_clear()
    first = expression_compile("age >= 60")
    assert expression_compile("age >= 60") is first
    assert expression_compile.cache_info().hits == 1


def test_the_catalog_rules_are_rebuilt_only_when_the_catalog_changes(catalog, django_assert_num_queries):
    catalog_rules()
    with django_assert_num_queries(1):  # the catalog's version only
        cached = catalog_rules()
    from services_portal.catalog.models import ServiceItem

    service = ServiceItem.objects.get(code="gx-elderly-allowance")
    service.is_published = False
    service.save()
    assert "gx-elderly-allowance" not in {rules.code for rules in catalog_rules()}
    assert len(catalog_rules()) == len(cached) - 1


# -- three-valued logic: an unknown fact makes "maybe" only if one of its values would change the answer

NANNING = {"region_code": "450103"}  # urban standard 960, rural 500: low income below 1.5x


@pytest.mark.parametrize(
    ("income", "outcome"),
    [
        (300, Outcome.ELIGIBLE),  # below the rural standard x 1.5 (750): low income whatever the hukou type
        (9000, Outcome.NOT_ELIGIBLE),  # above the urban standard x 1.5 (1,440): not low income either way
        (1000, Outcome.MAYBE),  # between: the hukou type decides
    ],
)
def test_low_income_is_decided_without_the_hukou_type_when_every_type_agrees(income, outcome):
    result = evaluate({**NANNING, "household_income_monthly_per_capita": income}, "low_income")
    assert result.outcome == outcome
    assert result.missing_facts == (["hukou_type"] if outcome == Outcome.MAYBE else [])


def test_an_income_compared_with_the_standard_is_decided_by_its_bounds():
    expression = "household_income_monthly_per_capita < dibao_standard_monthly"
    assert evaluate({**NANNING, "household_income_monthly_per_capita": 400}, expression).outcome == Outcome.ELIGIBLE
    assert evaluate({**NANNING, "household_income_monthly_per_capita": 960}, expression).outcome == Outcome.NOT_ELIGIBLE
    assert evaluate({**NANNING, "household_income_monthly_per_capita": 700}, expression).outcome == Outcome.MAYBE


def test_living_outside_guangxi_no_guangxi_standard_applies():
    guangzhou = {"region_code": "440106", "hukou_type": "urban", "household_income_monthly_per_capita": 100}
    assert evaluate(guangzhou, "low_income").outcome == Outcome.NOT_ELIGIBLE
    assert evaluate(guangzhou, "household_income_monthly_per_capita < dibao_standard_monthly").outcome == (
        Outcome.NOT_ELIGIBLE
    )


def test_every_value_of_a_choice_is_tried():
    working = 'employment_status == "employed" or employment_status == "self_employed"'
    assert evaluate({}, working).outcome == Outcome.MAYBE
    # a choice that appears twice: no single value makes both hold
    impossible = 'employment_status == "employed" and employment_status == "student"'
    assert evaluate({}, impossible).outcome == Outcome.NOT_ELIGIBLE
    either = 'sex == "female" or sex == "male"'
    assert evaluate({}, either).outcome == Outcome.ELIGIBLE


def test_a_yes_no_fact_decided_whatever_its_value():
    assert evaluate({}, "is_veteran or not is_veteran").outcome == Outcome.ELIGIBLE
    # a woman over 40 qualifies whatever her disability; a man of 45 depends on it
    expression = 'disability_level >= 1 or (sex == "female" and age >= 40) or (sex == "male" and age >= 50)'
    assert evaluate({"birth_date": datetime.date(1980, 1, 1), "sex": "female"}, expression).outcome == Outcome.ELIGIBLE
    man = evaluate({"birth_date": datetime.date(1980, 1, 1), "sex": "male"}, expression)
    assert man.outcome == Outcome.MAYBE
    assert man.missing_facts == ["disability_level"]


def test_unknown_numbers_lie_within_the_registry_bounds():
    # household_size is at least 1: "at least one member" holds unknown, "no members" never
    assert evaluate({}, "household_size >= 1").outcome == Outcome.ELIGIBLE
    assert evaluate({}, "household_size < 1").outcome == Outcome.NOT_ELIGIBLE
    assert evaluate({}, "household_size == 1").outcome == Outcome.MAYBE


def test_a_list_membership_names_the_fact_it_needs():
    result = evaluate({}, "disability_level in [1, 2]")
    assert result.outcome == Outcome.MAYBE
    assert result.missing_facts == ["disability_level"]
    assert evaluate({"disability_level": 2}, "disability_level in [1, 2]").outcome == Outcome.ELIGIBLE
