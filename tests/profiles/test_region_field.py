"""The region question on the /me/ page: a province list, then the chosen province's cities and counties."""

from __future__ import annotations

import re

import pytest

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


def test_the_province_list_comes_first_with_guangxi_at_the_top(me):
    html = me.get("/me/facts/", **ZH).content.decode()
    provinces = options(html, "id_hukou_region_code_province")
    assert len(provinces) == 31 and provinces[0] == "450000" and "440000" in provinces
    counties = options(html, "id_hukou_region_code")
    assert counties[0] == "" and "450103" in counties and "440106" not in counties
    # both lists have a label; the question's label leads to the first
    assert '<label for="id_hukou_region_code_province">' in html
    assert re.search(r'<label class="sub-label" for="id_hukou_region_code">', html)
    assert 'data-region-choice="/api/v1/regions/"' in html


def test_a_county_in_another_province_is_saved_and_shown_with_its_province(me, citizen):
    response = me.post("/me/facts/", {"hukou_region_code_province": "440000", "hukou_region_code": "440106"}, **ZH)
    assert response.status_code == 302
    assert FactValue.objects.get(citizen=citizen, key="hukou_region_code").value == "440106"
    html = me.get("/me/facts/", **ZH).content.decode()
    assert re.search(r'<option value="440000" selected>', html)
    assert re.search(r'<option value="440106" selected>天河区</option>', html)
    assert "广东省广州市天河区" in me.get("/me/", **ZH).content.decode()


def test_without_scripts_a_province_alone_is_the_answer_and_its_counties_are_offered_next(me, citizen):
    # given the county list still shows Guangxi (scripts off) when Beijing is chosen
    response = me.post("/me/facts/", {"region_code_province": "110000", "region_code": "450103"}, **EN)
    # then the answer is "somewhere in Beijing", and the form now offers Beijing's districts
    assert response.status_code == 302
    assert FactValue.objects.get(citizen=citizen, key="region_code").value == "110000"
    html = me.get("/me/facts/", **EN).content.decode()
    assert "110101" in options(html, "id_region_code") and "450103" not in options(html, "id_region_code")
    assert "Dongcheng District" in html


def test_guangxi_with_no_county_stays_not_sure(me, citizen):
    response = me.post("/me/facts/", {"region_code_province": "450000", "region_code": ""}, **EN)
    assert response.status_code == 302
    assert not FactValue.objects.filter(citizen=citizen, key="region_code").exists()


@pytest.mark.parametrize(("language", "name"), [(EN, "Tianhe District"), (ZH, "天河区")])
def test_the_region_list_api_gives_a_provinces_cities_and_counties(client, db, language, name):
    found = client.get("/api/v1/regions/", {"within": "440000"}, **language).json()
    tianhe = next(region for region in found if region["code"] == "440106")
    assert tianhe == {"code": "440106", "name": name, "level": "county", "parent_code": "440100"}
    assert all(region["code"].startswith("44") and region["code"] != "440000" for region in found)
    assert len(client.get("/api/v1/regions/", **language).json()) == 31
    assert client.get("/api/v1/regions/", {"within": "110100"}, **language).status_code == 400
