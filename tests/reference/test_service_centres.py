"""The government service centres of the reference data: each names a real region and can be printed."""

import re

from django.utils import translation

from services_portal.reference import regions, service_centres


def test_every_centre_is_of_a_home_province_region_with_an_address_hours_and_a_phone():
    centres = service_centres.all_centres()
    assert centres
    for centre in centres:
        region = regions.get(centre.region_code)
        assert region is not None and region.level in ("city", "county"), centre.region_code
        assert regions.is_within(centre.region_code, regions.HOME_PROVINCE)
        # the Chinese address starts with the city (a county's with its city too), the English ends with it
        city = regions.city_of(centre.region_code)
        assert city is not None and centre.address_zh.startswith(city.name_zh), centre.address_zh
        assert centre.address_en.endswith(city.name_en.removesuffix(" City")), centre.address_en
        assert region.name_zh in centre.name_zh or region.name_zh in centre.address_zh
        assert all((centre.hours_zh, centre.hours_en, centre.name_en))
        # a landline with its area code, as one dials it from a mobile
        assert re.fullmatch(r"0\d{2,3}-\d{7,8}", centre.phone), centre.phone


def test_the_demo_city_and_each_of_its_county_level_divisions_has_its_own_centre():
    # given Nanning, where the demo's people and counter staff are
    nanning = [regions.get("450100"), *regions.children("450100")]
    # then each of them has a centre of its own, not the city's: a county's people go to their county seat
    assert {region.code for region in nanning} <= {centre.region_code for centre in service_centres.all_centres()}
    assert service_centres.of_region("450124").address_zh.startswith("南宁市马山县")
    # and a region without one has none (the checklist then names the centre without an address)
    assert service_centres.of_region("450202") is None


def test_a_centre_speaks_the_active_language():
    centre = service_centres.of_region("450103")
    with translation.override("en"):
        assert centre.name == "Qingxiu District Government Service Centre" and "Dongge Road" in centre.address
    with translation.override("zh-hans"):
        assert centre.name == "青秀区政务服务中心" and centre.hours.startswith("周一至周五")
