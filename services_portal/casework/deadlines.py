"""Days counted as the catalog promises them (承诺时限): in working days, on the mainland calendar with
its public holidays and the weekends worked in their place (调休), from the `holidays` package."""

from __future__ import annotations

import datetime
from functools import lru_cache

import holidays


@lru_cache(maxsize=8)
def _calendar(year: int) -> holidays.HolidayBase:
    # this year and the next two: a due date a few weeks ahead may cross into the next year
    return holidays.country_holidays("CN", years=range(year, year + 3))


def working_days_after(start: datetime.date, days: int) -> datetime.date:
    """The day `days` working days after `start` (a time limit of 0 days is due the same day)."""
    if days <= 0:
        return start
    return _calendar(start.year).get_nth_working_day(start, days)
