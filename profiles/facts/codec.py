"""Fact values as stored (JSON) and as the rules read them (Python): one codec for every reader and writer."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from profiles.facts.registry import FACTS


def fact_encode(value: Any) -> Any:
    """A clean fact value as JSON: dates as ISO text, money as text (no float rounding)."""
    if isinstance(value, (datetime.date, Decimal)):
        return value.isoformat() if isinstance(value, datetime.date) else str(value)
    if isinstance(value, list):
        return [fact_encode(item) for item in value]
    return value


def fact_decode(key: str, value: Any) -> Any:
    """A stored value of fact `key` as a clean Python value; stored values were checked when written,
    so no date is refused for lying in the future."""
    return FACTS[key].parse(value, today=datetime.date.max)
