"""Mainland China's administrative divisions (GB/T 2260), read once from shipped data.

A region code is six digits: two for the province, two for the city, two for the county-level
division. A staff scope or a criterion names a code and means it and everything under it.

The national table comes from python-stdnum's `stdnum/cn/loc.dat` (current codes only), corrected
by `data/regions_stdnum_errata.csv` against the Ministry of Civil Affairs' list. Guangxi, the portal's
home province, comes whole from our own `data/regions_guangxi.csv` (checked row by row, with English
names) and wins over the national data for every 45xxxx code.
"""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

from django.utils.translation import get_language

DATA_DIR = Path(__file__).parent / "data"
DATA_FILE = DATA_DIR / "regions_guangxi.csv"
PROVINCES_FILE = DATA_DIR / "provinces_en.csv"
ERRATA_FILE = DATA_DIR / "regions_stdnum_errata.csv"

HOME_PROVINCE = "450000"
# Their districts sit directly under them: the city-level codes 110100 "市辖区" and the like name no region.
MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})
# Grouping codes in the national data that name no region: "市辖区", "县" and the province-administered
# county-level divisions' "省直辖县级行政单位" (their counties hang under the province).
_PLACEHOLDER = re.compile(r"市辖区|县|.*直辖县级行政(单位|区划)")
# "[1983-2005]东山区" or "[1997-]江北区" or "桐庐县": a name with the years it was in use, latest period last.
_PERIOD = re.compile(r"^(?:\[(?P<start>\d*)-(?P<end>\d*)\])?(?P<name>[^\[\]]+)$")

# English for the last part of a name; the part before it is written in pinyin. Longest first.
_SUFFIXES_EN = (
    ("自治州", "Autonomous Prefecture"),
    ("自治县", "Autonomous County"),
    ("自治旗", "Autonomous Banner"),
    ("新区", "New Area"),
    ("林区", "Forestry District"),
    ("特区", "Special District"),
    ("地区", "Prefecture"),
    ("区", "District"),
    ("县", "County"),
    ("市", "City"),
    ("盟", "League"),
    ("旗", "Banner"),
)


@dataclass(frozen=True)
class Region:
    code: str
    parent_code: str
    level: str
    name_zh: str
    # English from one of our tables (Guangxi's regions, the provinces); empty for the rest, written in pinyin.
    name_en_table: str = field(default="", repr=False)
    # A point in it (its centre as the cpca package gives it, in degrees: data/README.md); Guangxi's regions only.
    latitude: float | None = field(default=None, repr=False)
    longitude: float | None = field(default=None, repr=False)

    @property
    def name_en(self) -> str:
        return self.name_en_table or _pinyin_name(self.name_zh)

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    @property
    def city_code(self) -> str:
        """The code of the city it belongs to (a municipality for its districts), or "" when there is none."""
        city = city_of(self.code)
        return city.code if city else ""

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def scope_prefix(self) -> str:
        """The prefix every code under this region starts with (450000 → 45, 450100 → 4501)."""
        return {"province": self.code[:2], "city": self.code[:4]}.get(self.level, self.code)


@cache
def _pinyin_name(name_zh: str) -> str:
    """黄埔区 → Huangpu District. pypinyin is imported only when an English name outside our tables is asked for."""
    from pypinyin import lazy_pinyin

    for suffix, english in _SUFFIXES_EN:
        stem = name_zh.removesuffix(suffix)
        if stem and stem != name_zh:
            return f"{''.join(lazy_pinyin(stem)).capitalize()} {english}"
    return "".join(lazy_pinyin(name_zh)).capitalize()


def _stdnum_current_names() -> dict[str, str]:
    """Every code in python-stdnum's table whose latest name is still in use, with that name."""
    text = (files("stdnum.cn") / "loc.dat").read_text(encoding="utf-8")
    names: dict[str, str] = {}
    province = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, value = line.strip().partition(" ")
        kind, _, quoted = value.partition("=")
        if kind == "province":
            province = key
            names[province + "0000"] = quoted.strip('"')
            continue
        period = _PERIOD.match(quoted.strip('"').split(",")[-1])
        if period is None:
            raise ValueError(f"Unreadable line in stdnum/cn/loc.dat: {line!r}")
        if not period["end"]:
            names[province + key] = period["name"]
    return names


def _national_names() -> dict[str, str]:
    """Current mainland codes and names from python-stdnum, with our errata applied and placeholders left out."""
    names = _stdnum_current_names()
    with ERRATA_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["change"] == "drop":
                names.pop(row["code"], None)
            else:
                names[row["code"]] = row["name_zh"]
    with PROVINCES_FILE.open(encoding="utf-8", newline="") as handle:
        mainland = {row["code"][:2] for row in csv.DictReader(handle)}
    return {
        code: name
        for code, name in names.items()
        if code[:2] in mainland and (code.endswith("0000") or not _PLACEHOLDER.fullmatch(name))
    }


@cache
def _table() -> dict[str, Region]:
    with PROVINCES_FILE.open(encoding="utf-8", newline="") as handle:
        provinces_en = {row["code"]: row["name_en"] for row in csv.DictReader(handle)}
    names = {code: name for code, name in _national_names().items() if code[:2] != HOME_PROVINCE[:2]}
    table: dict[str, Region] = {}
    for code in sorted(names):
        if code.endswith("0000"):
            table[code] = Region(code, "", "province", names[code], provinces_en[code])
        elif code.endswith("00"):
            table[code] = Region(code, code[:2] + "0000", "city", names[code])
        else:
            city = code[:4] + "00"
            table[code] = Region(code, city if city in names else code[:2] + "0000", "county", names[code])
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        home = [
            Region(
                row["code"],
                row["parent_code"],
                row["level"],
                row["name_zh"],
                row["name_en"],
                float(row["latitude"]) if row["latitude"] else None,
                float(row["longitude"]) if row["longitude"] else None,
            )
            for row in csv.DictReader(handle)
        ]
    # Guangxi first: pages and choices list the home province before the others.
    return {region.code: region for region in home} | table


@cache
def _children() -> dict[str, list[Region]]:
    by_parent: dict[str, list[Region]] = defaultdict(list)
    for region in _table().values():
        by_parent[region.parent_code].append(region)
    return dict(by_parent)


def get(code: str) -> Region | None:
    return _table().get(code)


def all_regions(*, within: str | None = HOME_PROVINCE) -> list[Region]:
    """The regions of the home province (the portal's service area: staff scopes, simulated people, model
    features), or of another region, or of the whole mainland with `within=None`; home province first."""
    if within is None:
        return list(_table().values())
    scope = get(within)
    return [region for region in _table().values() if scope and region.code.startswith(scope.scope_prefix)]


def provinces() -> list[Region]:
    """The 31 provincial-level divisions of the mainland, the home province first."""
    return _children()[""]


def children(code: str) -> list[Region]:
    return _children().get(code, [])


def city_of(code: str) -> Region | None:
    """The city a region lies in (itself for a city; the municipality for Beijing's districts), or None for
    a province or a county-level division the province runs directly (湖北省仙桃市)."""
    region = get(code)
    if region is None or region.level == "province":
        return None
    if region.level == "city":
        return region
    parent = get(region.parent_code)
    if parent is not None and (parent.level == "city" or parent.code in MUNICIPALITIES):
        return parent
    return None


def is_within(code: str, scope_code: str) -> bool:
    """Whether `code` is `scope_code` or lies under it."""
    scope = get(scope_code)
    return scope is not None and code.startswith(scope.scope_prefix)


def display_name(code: str) -> str:
    """A region's full name, largest part first in Chinese, last in English (南宁市青秀区 / Qingxiu District,
    Nanning City). Outside the home province the province is named too (广东省广州市天河区)."""
    region = get(code)
    if region is None:
        return code
    parts = [region]
    city = city_of(code)
    if city is not None and city.code != region.code:
        parts.insert(0, city)
    province = get(region.province_code)
    if province is not None and province.code not in (HOME_PROVINCE, parts[0].code):
        parts.insert(0, province)
    if (get_language() or "").startswith("en"):
        return ", ".join(part.name for part in reversed(parts))
    return "".join(part.name for part in parts)


# The mean radius of the Earth (IUGG), for distances between two points on it.
EARTH_RADIUS_KM = 6371.0088


def point_of(code: str) -> tuple[float, float] | None:
    """Where a region is (latitude, longitude): its own point, or else its city's (a county without one),
    or None (outside the home province, or an unknown code)."""
    for region in (get(code), city_of(code)):
        if region is not None and region.latitude is not None and region.longitude is not None:
            return region.latitude, region.longitude
    return None


def distance_km(a: str, b: str) -> float | None:
    """The great-circle distance (haversine) between the points of two regions (`point_of`), in kilometres;
    None when either has none. A straight line between centres: the road is longer and a person lives
    somewhere in the county, but it is enough to put the nearer people first."""
    here, there = point_of(a), point_of(b)
    if here is None or there is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (*here, *there))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
