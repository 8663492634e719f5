from django.utils import translation

from services_portal.reference import regions, standards


def test_the_guangxi_table_has_the_province_its_cities_and_counties():
    levels = [region.level for region in regions.all_regions()]
    assert levels.count("province") == 1
    assert levels.count("city") == 14
    assert levels.count("county") >= 100
    for region in regions.all_regions():
        assert region.code.startswith("45") and len(region.code) == 6
        assert region.name_zh and region.name_en
        if region.level != "province":
            assert regions.get(region.parent_code) is not None, region.code


def test_scopes_cover_a_region_and_everything_under_it():
    assert regions.is_within("450103", "450000")
    assert regions.is_within("450103", "450100")
    assert regions.is_within("450103", "450103")
    assert not regions.is_within("450202", "450100")
    assert not regions.is_within("450103", "999999")


def test_names_read_in_the_active_language():
    with translation.override("zh-hans"):
        assert regions.display_name("450103") == "南宁市青秀区"
    with translation.override("en"):
        assert regions.display_name("450103") == "Qingxiu District, Nanning City"


def test_every_city_has_a_minimum_living_standard():
    cities = {region.code for region in regions.all_regions() if region.level == "city"}
    assert {standard.city_code for standard in standards.all_standards()} == cities
    assert standards.dibao_standard_for(region_code="450103", hukou_type="rural") < standards.dibao_standard_for(
        region_code="450103", hukou_type="urban"
    )
