import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from profiles.facts import FACTS, FactsInvalid, Sensitivity, facts_clean
from profiles.purposes import Purpose
from services_portal.eligibility.derived import DERIVED_FACTS, facts_with_derived

TODAY = datetime.date(2026, 11, 1)

DESIGN_FACTS = [
    "birth_date",
    "sex",
    "region_code",
    "hukou_region_code",
    "hukou_type",
    "marital_status",
    "household_size",
    "household_income_monthly_per_capita",
    "children_birth_dates",
    "is_pregnant",
    "education_level",
    "graduation_date",
    "employment_status",
    "unemployment_insured",
    "medical_insurance_type",
    "pension_insured",
    "retirement_date",
    "disability_level",
    "chronic_illness",
    "medical_out_of_pocket_annual",
    "is_veteran",
    "owns_home",
    "business_registered_date",
]


def test_registry_defines_every_fact_of_the_design_once_with_labels_in_both_languages():
    # the design's facts, and a person's own income, from which household income is worked out
    # and the identity facts that prove who a person is (real-name binding), and the address outreach visits
    assert set(FACTS) == {*DESIGN_FACTS, "income_monthly", "full_name", "mobile_phone", "address"}
    for fact in FACTS.values():
        assert fact.departments, fact.key
        with translation.override("en"):
            english = str(fact.label)
        with translation.override("zh-hans"):
            chinese = str(fact.label)
        assert english and chinese and english != chinese, fact.key


def test_sensitive_facts_are_unlocked_by_the_separate_sensitive_consent():
    sensitive = {key for key, fact in FACTS.items() if fact.sensitivity == Sensitivity.SENSITIVE}
    assert {
        "household_income_monthly_per_capita",
        "disability_level",
        "children_birth_dates",
        "medical_out_of_pocket_annual",
        "chronic_illness",
        "is_pregnant",
    } <= sensitive
    assert all(FACTS[key].purpose == Purpose.SENSITIVE_FACTS for key in sensitive)
    assert FACTS["birth_date"].purpose == Purpose.DATA_MATCHING


def test_clean_facts_are_parsed_into_their_types():
    clean = facts_clean(
        {
            "birth_date": "1950-02-03",
            "region_code": "450103",
            "household_size": "3",
            "household_income_monthly_per_capita": "850.5",
            "children_birth_dates": "2025-06-01, 2022-01-09",
            "is_pregnant": "no",
            "disability_level": 2,
            "employment_status": "unemployed",
            "retirement_date": "2027-03-01",
        },
        today=TODAY,
    )
    assert clean == {
        "birth_date": datetime.date(1950, 2, 3),
        "region_code": "450103",
        "household_size": 3,
        "household_income_monthly_per_capita": Decimal("850.50"),
        "children_birth_dates": [datetime.date(2022, 1, 9), datetime.date(2025, 6, 1)],
        "is_pregnant": False,
        "disability_level": 2,
        "employment_status": "unemployed",
        "retirement_date": datetime.date(2027, 3, 1),
    }


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("region_code", "459999", "unknown_region"),
        ("region_code", "45010", "invalid_region"),
        ("birth_date", "2027-01-01", "date_in_future"),
        ("birth_date", "1-2-3", "invalid_date"),
        ("household_income_monthly_per_capita", "-1", "negative"),
        ("household_income_monthly_per_capita", "a lot", "invalid_amount"),
        ("disability_level", 5, "too_large"),
        ("disability_level", "two", "invalid_number"),
        ("household_size", True, "invalid_number"),
        ("is_veteran", "maybe", "invalid_boolean"),
        ("sex", "other", "invalid_choice"),
        ("shoe_size", 42, "unknown_fact"),
    ],
)
def test_bad_values_are_refused_with_a_code_per_field(key, value, code):
    with pytest.raises(FactsInvalid) as caught:
        facts_clean({key: value, "sex": "female"} if key != "sex" else {key: value}, today=TODAY)
    assert [error.code for error in caught.value.errors[key]] == [code]


def test_every_error_is_reported_at_once_in_the_active_language():
    with translation.override("zh-hans"), pytest.raises(FactsInvalid) as caught:
        facts_clean({"birth_date": "2030-01-01", "household_size": 0}, today=TODAY)
    assert set(caught.value.errors) == {"birth_date", "household_size"}
    assert "未来" in caught.value.errors["birth_date"][0].message


def test_blank_values_are_unknown_not_errors():
    assert (
        facts_clean({"birth_date": "", "children_birth_dates": "", "sex": None, "is_pregnant": []}, today=TODAY) == {}
    )


@pytest.mark.parametrize("none", [[], "none", " None "])
def test_an_empty_list_is_the_answer_none_not_unknown(none):
    # given a person who says they have no children (JSON [] or the forms' "none")
    # when the answers are cleaned
    clean = facts_clean({"children_birth_dates": none}, today=TODAY)

    # then "none" is kept as an answer, distinct from a question left out
    assert clean == {"children_birth_dates": []}
    assert "children_birth_dates" not in facts_clean({}, today=TODAY)


@pytest.mark.parametrize("nonsense", ["nobody", ["none"], [""], {"count": 0}, 0])
def test_a_list_fact_still_refuses_nonsense(nonsense):
    with pytest.raises(FactsInvalid) as caught:
        facts_clean({"children_birth_dates": nonsense}, today=TODAY)
    assert list(caught.value.errors) == ["children_birth_dates"]


def test_derived_facts_are_computed_from_stored_facts_and_the_reference_date():
    facts = facts_clean(
        {
            "birth_date": "1946-11-02",
            "children_birth_dates": ["2024-10-15", "2026-03-20", "2027-01-01"][:2],
            "graduation_date": "2025-06-30",
            "retirement_date": "2027-02-01",
            "region_code": "450103",
            "hukou_region_code": "450102",
            "hukou_type": "urban",
            "household_income_monthly_per_capita": 1000,
        },
        today=TODAY,
    )
    derived = facts_with_derived(facts, on=TODAY)
    assert derived["age"] == 79  # the 80th birthday is tomorrow
    assert derived["youngest_child_age_months"] == 7
    assert derived["children_under_3_count"] == 2
    assert derived["months_since_graduation"] == 16
    assert derived["months_to_retirement"] == 3
    assert derived["dibao_standard_monthly"] == Decimal("960")
    assert derived["low_income"] is True  # 1000 < 1.5 × 960
    assert derived["hukou_in_residence_city"] is True


def test_derived_facts_are_missing_when_an_input_is_missing():
    derived = facts_with_derived({"household_income_monthly_per_capita": Decimal(500)}, on=TODAY)
    assert "low_income" not in derived
    assert set(derived) == {"household_income_monthly_per_capita"}
    assert all(key not in FACTS for key in DERIVED_FACTS)
