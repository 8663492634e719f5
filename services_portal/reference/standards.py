"""Local assistance standards that eligibility criteria compare against."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from services_portal.reference import regions

DATA_FILE = Path(__file__).parent / "data" / "dibao_standards.csv"


@dataclass(frozen=True)
class DibaoStandard:
    """A city's minimum living allowance (低保) standard, CNY per person per month."""

    city_code: str
    year: int
    urban_monthly: Decimal
    rural_monthly: Decimal
    source: str


@cache
def _table() -> dict[str, DibaoStandard]:
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        return {
            row["city_code"]: DibaoStandard(
                city_code=row["city_code"],
                year=int(row["year"]),
                urban_monthly=Decimal(row["urban_monthly_cny"]),
                rural_monthly=Decimal(row["rural_monthly_cny"]),
                source=row["source"],
            )
            for row in csv.DictReader(handle)
        }


def dibao_standard_for(*, region_code: str, hukou_type: str) -> Decimal | None:
    """The monthly 低保 standard that applies where a person lives, urban or rural."""
    city = regions.city_of(region_code)
    standard = _table().get(city.code) if city else None
    if standard is None:
        return None
    return standard.rural_monthly if hukou_type == "rural" else standard.urban_monthly


def all_standards() -> list[DibaoStandard]:
    return list(_table().values())
