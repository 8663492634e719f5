"""The region question on the /me/ page in two steps: the city, then its counties (the province list above
them keeps the rest of the mainland reachable); a city alone brings the page back with its counties."""

from __future__ import annotations

import re

import pytest

from profiles.facts.fields import region_form_value
from profiles.models import FactValue

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def me(client, citizen):
    """A client signed in as `citizen`."""
    client.force_login(citizen.user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def options(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}".*?</select>', html, re.S)
    assert select is not None, select_id
    return re.findall(r'<option value="([^"]*)"', select.group(0))


def test_guangxi_comes_first_then_its_cities_and_no_list_of_every_county(me):
    # when a citizen with no region yet opens their facts
    html = me.get("/me/facts/", **ZH).content.decode()
    # then the provinces come first, Guangxi at the top and chosen; then Guangxi's 14 cities; the county
    # list waits for a city instead of listing the province's 125 places
    provinces = options(html, "id_hukou_region_code_province")
    assert len(provinces) == 31 and provinces[0] == "450000" and "440000" in provinces
    cities = options(html, "id_hukou_region_code_city")
    assert cities[0] == "" and len(cities) == 1 + 14 and "450100" in cities and "450103" not in cities
    assert options(html, "id_hukou_region_code") == [""]
    # every list has a label; the question's label leads to the first
    assert '<label for="id_hukou_region_code_province">' in html
    assert re.search(r'<label class="sub-label" for="id_hukou_region_code_city">', html)
    assert re.search(r'<label class="sub-label" for="id_hukou_region_code">', html)
    assert 'data-region-choice="/api/v1/regions/"' in html


def test_a_county_shows_its_citys_counties_only(me, citizen):
    response = me.post(
        "/me/facts/", {"region_code_province": "450000", "region_code_city": "450100", "region_code": "450103"}, **ZH
    )
    assert response.status_code == 302
    assert FactValue.objects.get(citizen=citizen, key="region_code").value == "450103"
    html = me.get("/me/facts/", **ZH).content.decode()
    counties = options(html, "id_region_code")
    assert "450103" in counties and "450102" in counties and "450203" not in counties and len(counties) < 20
    assert re.search(r'<option value="450100" selected>南宁市</option>', html)
    assert re.search(r'<option value="450103" selected>青秀区</option>', html)


def test_a_county_in_another_province_is_saved_and_shown_with_its_province(me, citizen):
    answer = {"hukou_region_code_province": "440000", "hukou_region_code_city": "440100", "hukou_region_code": "440106"}
    response = me.post("/me/facts/", answer, **ZH)
    assert response.status_code == 302
    assert FactValue.objects.get(citizen=citizen, key="hukou_region_code").value == "440106"
    html = me.get("/me/facts/", **ZH).content.decode()
    assert re.search(r'<option value="440000" selected>', html)
    assert re.search(r'<option value="440100" selected>广州市</option>', html)
    assert re.search(r'<option value="440106" selected>天河区</option>', html)
    assert "广东省广州市天河区" in me.get("/me/", **ZH).content.decode()


def test_without_scripts_a_city_alone_is_the_answer_and_its_counties_are_offered_next(me, citizen):
    # given the county list still shows Nanning's counties (scripts off) when Liuzhou is chosen and sent
    response = me.post(
        "/me/facts/", {"region_code_province": "450000", "region_code_city": "450200", "region_code": "450103"}, **EN
    )
    # then the answer is "somewhere in Liuzhou", and the page comes back to it with Liuzhou's counties
    assert response.status_code == 302 and response["Location"] == "/me/facts/#id_region_code"
    assert FactValue.objects.get(citizen=citizen, key="region_code").value == "450200"
    html = me.get("/me/facts/", **EN).content.decode()
    assert "450202" in options(html, "id_region_code") and "450103" not in options(html, "id_region_code")
    assert "Now choose the county or district too, if you know it." in html
    # and a county then goes to the profile as any answer does
    answer = {"region_code_province": "450000", "region_code_city": "450200", "region_code": "450202"}
    assert me.post("/me/facts/", answer, **EN)["Location"] == "/me/"


def test_without_scripts_another_province_alone_is_the_answer_and_its_cities_come_next(me, citizen):
    response = me.post(
        "/me/facts/", {"region_code_province": "110000", "region_code_city": "450100", "region_code": "450103"}, **EN
    )
    assert response.status_code == 302 and response["Location"] == "/me/facts/#id_region_code"
    assert FactValue.objects.get(citizen=citizen, key="region_code").value == "110000"
    html = me.get("/me/facts/", **EN).content.decode()
    # Beijing runs its districts itself: the city step offers Beijing, and its districts follow it
    assert options(html, "id_region_code_city") == ["", "110000"]
    response = me.post(
        "/me/facts/", {"region_code_province": "110000", "region_code_city": "110000", "region_code": "110101"}, **EN
    )
    assert FactValue.objects.filter(citizen=citizen, key="region_code").latest("id").value == "110101"
    assert "Dongcheng District" in me.get("/me/facts/", **EN).content.decode()


def test_guangxi_with_no_city_stays_not_sure(me, citizen):
    response = me.post(
        "/me/facts/", {"region_code_province": "450000", "region_code_city": "", "region_code": ""}, **EN
    )
    assert response.status_code == 302
    assert not FactValue.objects.filter(citizen=citizen, key="region_code").exists()


@pytest.mark.parametrize(
    ("county", "province", "city", "answer"),
    [
        ("450103", "450000", "450100", "450103"),  # all three agree
        ("450103", "450000", "450200", "450200"),  # a county list not refreshed: the city
        ("", "450000", "450200", "450200"),  # a city alone
        ("", "450000", "", ""),  # nothing: not sure
        ("440106", "440000", "", "440106"),  # a form that sends no city list (the county in the province)
        ("450103", "440000", "", "440000"),  # another province, its lists not refreshed
        ("429004", "420000", "420000", "429004"),  # a county-level city Hubei runs directly (仙桃市)
        ("450103", "450000", "440100", "450103"),  # a city from another province is ignored
    ],
)
def test_the_answer_is_the_most_exact_place_that_agrees(county, province, city, answer):
    assert region_form_value(county, province, city) == answer


@pytest.mark.parametrize(("language", "name"), [(EN, "Tianhe District"), (ZH, "天河区")])
def test_the_region_list_api_gives_a_provinces_cities_and_counties(client, db, language, name):
    found = client.get("/api/v1/regions/", {"within": "440000"}, **language).json()
    tianhe = next(region for region in found if region["code"] == "440106")
    assert tianhe == {"code": "440106", "name": name, "level": "county", "parent_code": "440100"}
    assert all(region["code"].startswith("44") and region["code"] != "440000" for region in found)
    assert len(client.get("/api/v1/regions/", **language).json()) == 31
    assert client.get("/api/v1/regions/", {"within": "110100"}, **language).status_code == 400
    counties = client.get("/api/v1/regions/", {"within": "440100"}, **language).json()
    assert {region["parent_code"] for region in counties} == {"440100"} and len(counties) == 11
