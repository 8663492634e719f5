"""Guangxi's administrative divisions (province 45), read once from the shipped CSV table.

A region code is six digits: two for the province, two for the city, two for the county-level
division. A staff scope or a criterion names a code and means it and everything under it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import get_language

DATA_FILE = Path(__file__).parent / "data" / "regions_guangxi.csv"


@dataclass(frozen=True)
class Region:
    code: str
    parent_code: str
    level: str
    name_zh: str
    name_en: str

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    @property
    def city_code(self) -> str:
        return self.code[:4] + "00" if self.level != "province" else ""

    @property
    def scope_prefix(self) -> str:
        """The prefix every code under this region starts with (450000 → 45, 450100 → 4501)."""
        return {"province": self.code[:2], "city": self.code[:4]}.get(self.level, self.code)


@cache
def _table() -> dict[str, Region]:
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: Region(**row) for row in csv.DictReader(handle)}


def get(code: str) -> Region | None:
    return _table().get(code)


def all_regions() -> list[Region]:
    return list(_table().values())


def children(code: str) -> list[Region]:
    return [region for region in _table().values() if region.parent_code == code]


def city_of(code: str) -> Region | None:
    region = get(code)
    if region is None or region.level == "province":
        return None
    return get(region.city_code)


def is_within(code: str, scope_code: str) -> bool:
    """Whether `code` is `scope_code` or lies under it."""
    scope = get(scope_code)
    return scope is not None and code.startswith(scope.scope_prefix)


def display_name(code: str) -> str:
    """A region's full name, city first (南宁市青秀区 / Qingxiu District, Nanning City)."""
    region = get(code)
    if region is None:
        return code
    city = city_of(code)
    if city is None or city.code == region.code:
        return region.name
    if (get_language() or "").startswith("en"):
        return f"{region.name}, {city.name}"
    return f"{city.name}{region.name}"
