import pytest
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
