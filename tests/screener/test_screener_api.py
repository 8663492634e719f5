import datetime

import pytest
import time_machine
from qsessions.models import Session


def screen(api_client, facts, language="en"):
    return api_client.post("/api/v1/screener/", {"facts": facts}, format="json", HTTP_ACCEPT_LANGUAGE=language)


def codes(body, outcome):
    return {service["code"] for service in body[outcome]}


def test_an_85_year_old_in_guangxi_gets_the_old_age_allowance(api_client, catalog):
    body = screen(api_client, {"age": 85, "hukou_region_code": "450102"}).json()
    assert "gx-elderly-allowance" in codes(body, "eligible")
    allowance = next(s for s in body["eligible"] if s["code"] == "gx-elderly-allowance")
    assert {c["status"] for c in allowance["criteria"]} == {"met"}


def test_maybe_eligible_says_what_to_tell(api_client, catalog):
    body = screen(api_client, {"age": 85}).json()
    allowance = next(s for s in body["maybe"] if s["code"] == "gx-elderly-allowance")
    assert [fact["key"] for fact in allowance["tell_us"]] == ["hukou_region_code"]
    assert allowance["tell_us"][0]["question"]


def test_not_eligible_says_which_criterion_failed(api_client, catalog):
    body = screen(api_client, {"age": 30, "hukou_region_code": "450102"}).json()
    allowance = next(s for s in body["not_eligible"] if s["code"] == "gx-elderly-allowance")
    assert {c["key"]: c["status"] for c in allowance["criteria"]}["aged_80"] == "not_met"


def test_essential_assistance_comes_first(api_client, catalog):
    body = screen(
        api_client,
        {
            "age": 40,
            "region_code": "450103",
            "hukou_region_code": "450103",
            "hukou_type": "urban",
            "household_income_monthly_per_capita": 300,
            "disability_level": 1,
        },
    ).json()
    essentials = [service["essential"] for service in body["eligible"]]
    assert essentials[0] and essentials == sorted(essentials, reverse=True)


@pytest.mark.parametrize(
    ("facts", "field", "english", "chinese"),
    [
        ({"age": -1}, "facts.age", "cannot be negative", "不能为负"),
        ({"region_code": "459999"}, "facts.region_code", "not a region code that exists", "不存在"),
        (
            {"household_income_monthly_per_capita": "lots"},
            "facts.household_income_monthly_per_capita",
            "amount",
            "金额",
        ),
        ({"graduation_date": "2999-01-01"}, "facts.graduation_date", "future", "未来"),
        ({"shoe_size": 42}, "facts.shoe_size", "not a fact the portal knows", "不是"),
    ],
)
def test_bad_input_is_a_clear_field_error_in_the_callers_language(api_client, catalog, facts, field, english, chinese):
    for language, text in (("en", english), ("zh-hans", chinese)):
        response = screen(api_client, facts, language)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid_facts"
        assert text in error["fields"][field][0], (language, error)


def test_a_malformed_body_is_a_400_not_a_500(api_client, catalog):
    response = api_client.post("/api/v1/screener/", {"facts": "not a mapping"}, format="json")
    assert response.status_code == 400
    assert "facts" in response.json()["error"]["fields"]
    response = api_client.post("/api/v1/screener/", "{broken", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"


def test_nothing_a_visitor_enters_is_stored(api_client, catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(10) as queries:
        screen(api_client, {"age": 85, "hukou_region_code": "450102"})
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == []
    assert Session.objects.count() == 0


# -- the reference date ---------------------------------------------------------------------------

TURNS_60 = {"birth_date": "1966-06-15"}  # 60 on 2026-06-15
CONCESSION_CARD = "gx-elderly-preferential-card"  # aged 60 or over


def screen_on(api_client, facts, as_of):
    return api_client.post("/api/v1/screener/", {"facts": facts, "as_of": as_of}, format="json")


def test_the_answer_follows_the_reference_date(api_client, catalog):
    # given a person who turns 60 on 2026-06-15
    # when screened the day before and on the day
    before = screen_on(api_client, TURNS_60, "2026-06-14").json()
    on_the_day = screen_on(api_client, TURNS_60, "2026-06-15").json()

    # then the age-60 service is not theirs the day before and is theirs on the day, each date said
    assert CONCESSION_CARD in codes(before, "not_eligible")
    assert CONCESSION_CARD in codes(on_the_day, "eligible")
    assert (before["reference_date"], on_the_day["reference_date"]) == ("2026-06-14", "2026-06-15")


@pytest.mark.parametrize("as_of", ["2026-13-01", "15/06/2026", "2026-06-15T10:00:00", "tomorrow", 20260615])
def test_a_bad_reference_date_is_a_field_error(api_client, catalog, as_of):
    response = screen_on(api_client, TURNS_60, as_of)
    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == ["as_of"] and error["fields"]["as_of"][0]


def test_the_reference_date_defaults_to_today_in_china(api_client, catalog):
    # given 17:30 UTC on 2026-06-14, already 01:30 on 2026-06-15 in Asia/Shanghai
    with time_machine.travel(datetime.datetime(2026, 6, 14, 17, 30, tzinfo=datetime.UTC), tick=False):
        # when screened without a date
        body = screen(api_client, TURNS_60).json()

    # then the date used is Shanghai's, and the person is already 60 on it
    assert body["reference_date"] == "2026-06-15"
    assert CONCESSION_CARD in codes(body, "eligible")


# -- services without criteria --------------------------------------------------------------------

DISABILITY_CERTIFICATE = "gx-disability-certificate"  # 残疾人证办理: essential, no criteria


def test_a_service_without_criteria_is_open_to_everyone_not_qualified_for(api_client, catalog):
    # given a mother with no disability
    body = screen(api_client, {"age": 32, "disability_level": 0, "children_birth_dates": ["2024-03-01"]}).json()

    # then the disability certificate is open to her, not something she qualifies for
    assert DISABILITY_CERTIFICATE in codes(body, "open")
    assert DISABILITY_CERTIFICATE not in codes(body, "eligible") | codes(body, "maybe") | codes(body, "not_eligible")
    certificate = next(s for s in body["open"] if s["code"] == DISABILITY_CERTIFICATE)
    assert (certificate["outcome"], certificate["criteria"], certificate["tell_us"]) == ("open", [], [])
    assert all(service["criteria"] for service in body["eligible"])


# -- "none" is an answer --------------------------------------------------------------------------

CHILD_SERVICES = {
    "gx-birth-medical-certificate",
    "gx-child-vaccination-booking",
    "gx-childcare-subsidy",
    "gx-newborn-medical-insurance",
    "gx-newborn-hukou",
}


def test_an_empty_list_of_children_decides_the_child_services(api_client, catalog):
    # given a person who says they have no children: an empty list
    body = screen(api_client, {"age": 30, "children_birth_dates": []}).json()

    # then every service for parents is decided "not eligible", none is "maybe"
    assert codes(body, "not_eligible") >= CHILD_SERVICES
    assert not CHILD_SERVICES & codes(body, "maybe")
    subsidy = next(s for s in body["not_eligible"] if s["code"] == "gx-childcare-subsidy")
    assert [c["status"] for c in subsidy["criteria"]] == ["not_met"]
    assert subsidy["tell_us"] == []


def test_children_left_out_stay_not_answered(api_client, catalog):
    # given a person who does not say whether they have children
    body = screen(api_client, {"age": 30}).json()

    # then the services for parents are "maybe", asking for the children's dates of birth
    assert codes(body, "maybe") >= CHILD_SERVICES
    subsidy = next(s for s in body["maybe"] if s["code"] == "gx-childcare-subsidy")
    assert [fact["key"] for fact in subsidy["tell_us"]] == ["children_birth_dates"]


def test_a_list_of_children_still_refuses_nonsense(api_client, catalog):
    response = screen(api_client, {"children_birth_dates": ["nobody"]})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["facts.children_birth_dates"]
