"""Where Guangxi's regions are (from the cpca package's data, shipped as our CSV) and how far apart."""

import csv
import dataclasses

import pytest

from services_portal.reference import regions


def test_every_guangxi_region_has_a_point_inside_the_province():
    with regions.DATA_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 126
    for region in regions.all_regions(within="450000"):
        latitude, longitude = regions.point_of(region.code)
        assert 20.8 < latitude < 26.5 and 104.4 < longitude < 112.1, region.code


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        ("450100", "450200", 190, 210),  # Nanning to Liuzhou, a straight line
        ("450102", "450110", 30, 45),  # Xingning to Wuming
        ("450100", "450500", 155, 180),  # Nanning to Beihai
    ],
)
def test_distances_between_regions_are_great_circle_kilometres(a, b, low, high):
    distance = regions.distance_km(a, b)
    assert low < distance < high
    assert regions.distance_km(b, a) == pytest.approx(distance)


def test_a_region_is_no_distance_from_itself():
    assert regions.distance_km("450103", "450103") == 0


def test_regions_without_a_point_have_no_distance():
    # outside the home province (no coordinates shipped), or an unknown code
    assert regions.distance_km("450103", "440106") is None
    assert regions.distance_km("450103", "999999") is None
    assert regions.point_of("440106") is None


def test_a_county_without_a_point_falls_back_to_its_citys(monkeypatch):
    table = dict(regions._table())
    table["450110"] = dataclasses.replace(table["450110"], latitude=None, longitude=None)
    monkeypatch.setattr(regions, "_table", lambda: table)
    assert regions.point_of("450110") == regions.point_of("450100")
    assert regions.distance_km("450110", "450100") == 0
