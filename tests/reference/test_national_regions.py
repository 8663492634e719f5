"""Regions outside Guangxi: the national table from python-stdnum, with Guangxi's own table on top."""

import csv
import datetime

import pytest
from django.utils import translation

from profiles.facts.registry import FACTS, FactValueError
from services_portal.reference import regions, standards

TODAY = datetime.date(2026, 12, 3)


def test_a_guangdong_district_is_known_and_named_with_its_city_and_province():
    # given a resident registered in Guangzhou's Tianhe district
    tianhe = regions.get("440106")

    # then it is a county-level division of Guangzhou, in Guangdong
    assert tianhe is not None and tianhe.level == "county" and tianhe.name_zh == "天河区"
    assert regions.city_of("440106") == regions.get("440100")
    assert regions.is_within("440106", "440000") and regions.is_within("440106", "440100")
    assert not regions.is_within("440106", "450000")
    with translation.override("zh-hans"):
        assert regions.display_name("440106") == "广东省广州市天河区"
    with translation.override("en"):
        assert regions.display_name("440106") == "Tianhe District, Guangzhou City, Guangdong Province"


def test_a_beijing_district_belongs_to_the_municipality_which_has_no_city_level_region():
    assert regions.get("110100") is None
    dongcheng = regions.get("110101")
    assert dongcheng is not None and dongcheng.parent_code == "110000"
    assert regions.city_of("110101") == regions.get("110000")
    assert regions.is_within("110101", "110000") and not regions.is_within("110101", "110100")
    with translation.override("zh-hans"):
        assert regions.display_name("110101") == "北京市东城区"
    with translation.override("en"):
        assert regions.display_name("110101") == "Dongcheng District, Beijing Municipality"


def test_a_county_the_province_runs_directly_has_no_city():
    assert regions.get("429004") is not None and regions.get("429000") is None
    assert regions.city_of("429004") is None
    with translation.override("zh-hans"):
        assert regions.display_name("429004") == "湖北省仙桃市"


@pytest.mark.parametrize(
    "code",
    [
        "110103",  # 崇文区, merged into 东城区 in 2010
        "500105",  # 江北区, merged into 两江新区 in 2025
        "232761",  # 加格达奇区: a management area python-stdnum lists, not in the MCA list
        "110101" + "9",  # not six digits
    ],
)
def test_abolished_or_unknown_codes_are_refused(code):
    assert regions.get(code) is None
    with pytest.raises(FactValueError) as refused:
        FACTS["hukou_region_code"].parse(code, today=TODAY)
    assert refused.value.code in {"unknown_region", "invalid_region"}


def test_region_facts_accept_any_current_code():
    assert FACTS["hukou_region_code"].parse("440106", today=TODAY) == "440106"
    assert FACTS["region_code"].parse(" 110101 ", today=TODAY) == "110101"
    assert FACTS["region_code"].parse("500157", today=TODAY) == "500157"  # 两江新区, since 2025


def test_guangxi_keeps_its_own_table_and_english_names():
    with (regions.DATA_FILE).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    guangxi = regions.all_regions(within="450000")
    assert [(r.code, r.parent_code, r.level, r.name_zh, r.name_en) for r in guangxi] == [
        (row["code"], row["parent_code"], row["level"], row["name_zh"], row["name_en"]) for row in rows
    ]
    assert regions.all_regions() == guangxi
    assert regions.get("450181").name_en == "Hengzhou City"


def test_the_mainland_has_31_provinces_home_first_and_every_region_hangs_under_a_known_parent():
    provinces = regions.provinces()
    assert len(provinces) == 31 and provinces[0].code == regions.HOME_PROVINCE
    everything = regions.all_regions(within=None)
    assert len(everything) > 3000
    for region in everything:
        assert region.name_zh and region.name_en, region.code
        assert region.level == "province" or regions.get(region.parent_code) is not None, region.code
        assert "市辖区" not in region.name_zh


def test_english_names_outside_guangxi_are_pinyin_with_the_kind_of_division():
    assert regions.get("440100").name_en == "Guangzhou City"
    assert regions.get("222400").name_en == "Yanbianchaoxianzu Autonomous Prefecture"
    assert regions.get("152900").name_en == "Alashan League"


def test_the_errata_still_correct_python_stdnum():
    """When python-stdnum fixes one of these rows, the erratum is no longer needed: drop it."""
    listed = regions._stdnum_current_names()
    with regions.ERRATA_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            assert (row["code"] in listed) == (row["change"] == "drop"), row


def test_no_dibao_standard_outside_guangxi():
    assert standards.dibao_standard_for(region_code="440106", hukou_type="urban") is None
    assert standards.dibao_standard_for(region_code="110101", hukou_type="rural") is None
    assert standards.dibao_standard_for(region_code="429004", hukou_type="rural") is None
    assert standards.dibao_standard_for(region_code="450103", hukou_type="urban") is not None
