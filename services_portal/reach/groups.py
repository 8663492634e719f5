"""The groups the reach figures are broken down by (DESIGN section 11): vulnerable groups, each a bit of
ReachEntry.groups, and the catalog's life events, each a bit above them.

The life-event bits follow the life events' codes in order, so they are recomputed with every ledger refresh
(ReachEntry.groups of every eligible row is rewritten); figures already taken (ReachFigure) name their group
by its code, so history does not depend on the bits.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

ALL = "all"

ELDERLY_60 = "elderly_60"
ELDERLY_80 = "elderly_80"
DISABLED = "disabled"
LOW_INCOME = "low_income"
OFFLINE = "offline"

# code -> (bit, label)
VULNERABLE: dict[str, tuple[int, object]] = {
    ELDERLY_60: (1 << 0, _("Aged 60 and over")),
    ELDERLY_80: (1 << 1, _("Aged 80 and over")),
    DISABLED: (1 << 2, _("With a disability")),
    LOW_INCOME: (1 << 3, _("Low income")),
    OFFLINE: (1 << 4, _("Not online")),
}
LIFE_EVENT_FIRST_BIT = 8
LIFE_EVENT_PREFIX = "life:"


def life_event_bits(codes: Sequence[str]) -> dict[str, int]:
    """The bit of each life event (by its code), in the order of the codes."""
    return {code: 1 << (LIFE_EVENT_FIRST_BIT + i) for i, code in enumerate(sorted(codes))}


def life_event_group(code: str) -> str:
    """The group code a life event's figures are filed under."""
    return f"{LIFE_EVENT_PREFIX}{code}"
