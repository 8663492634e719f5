"""The government service centres (政务服务中心) where the counters are: one per region, with its street
address, opening hours and phone, read once from shipped data (`data/service_centres_guangxi.csv`).

A person's centre is the one of their own region (their county-level division, or the city for a person
recorded at city level): a county without a row has no centre here, rather than the city's, which may be
a day's journey away.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from django.utils.translation import get_language

from services_portal.reference.regions import DATA_DIR

DATA_FILE = DATA_DIR / "service_centres_guangxi.csv"


@dataclass(frozen=True)
class ServiceCentre:
    region_code: str
    name_zh: str
    name_en: str
    address_zh: str
    address_en: str
    hours_zh: str
    hours_en: str
    phone: str

    def _in_language(self, zh: str, en: str) -> str:
        return en if (get_language() or "").startswith("en") else zh

    @property
    def name(self) -> str:
        return self._in_language(self.name_zh, self.name_en)

    @property
    def address(self) -> str:
        return self._in_language(self.address_zh, self.address_en)

    @property
    def hours(self) -> str:
        return self._in_language(self.hours_zh, self.hours_en)


@cache
def _table() -> dict[str, ServiceCentre]:
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["region_code"]: ServiceCentre(**row) for row in csv.DictReader(handle)}


def of_region(code: str) -> ServiceCentre | None:
    """The service centre of the region `code`, or None when the data has none for it."""
    return _table().get(code)


def all_centres() -> list[ServiceCentre]:
    return list(_table().values())
