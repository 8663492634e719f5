"""The day's reach figures (ReachFigure) taken from the ledger: counts per county, service and group.

A ledger row counts on a day when the person was eligible at the day's end (eligible_at before it, and not
ended by then). Of those, `due` were eligible for at least REACH_WITHIN_DAYS, `reached_in_time` of the due
were reached (or applied) within REACH_WITHIN_DAYS of becoming eligible; `reached`, `applied` and `delivered`
count the steps that happened by the day's end. Each row counts under "all", under every vulnerable group whose
bit it carries and under every life event it carries (reach.groups), so the groups overlap and do not add up.

One query groups the ledger by county, service and group bits (a few thousand combinations, whatever the
number of people); the combinations are spread over the groups in Python and the day's rows replaced in bulk.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from services_portal.catalog.rules import life_event_rules
from services_portal.reach import groups
from services_portal.reach.models import ReachEntry, ReachFigure
from services_portal.reach.selectors import COUNTS


def day_end(on: datetime.date) -> datetime.datetime:
    """The moment a day's figures are taken at: the start of the next day in the portal's time zone."""
    return timezone.make_aware(datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time.min))


def _group_codes(bits: int, life_event_bits: dict[str, int]) -> list[str]:
    codes = [groups.ALL]
    codes += [code for code, (bit, _label) in groups.VULNERABLE.items() if bits & bit]
    codes += [groups.life_event_group(code) for code, bit in life_event_bits.items() if bits & bit]
    return codes


@transaction.atomic
def reach_figures_take(*, on: datetime.date) -> int:
    """Replace the day's ReachFigure rows with the ledger's counts as of the day's end; returns the rows written."""
    end = day_end(on)
    within = datetime.timedelta(days=settings.REACH_WITHIN_DAYS)
    due = Q(eligible_at__lte=end - within)
    in_time = Q(reached_at__lte=F("eligible_at") + within) | Q(applied_at__lte=F("eligible_at") + within)
    # the same bits the ledger's refresh wrote (reach_ledger_refresh): every life event's, in code order
    combinations = (
        ReachEntry.objects.filter(eligible_at__lt=end)
        .filter(Q(eligible_until__isnull=True) | Q(eligible_until__gte=end))
        .values("region_code", "service_id", "groups")
        .annotate(
            eligible=Count("id"),
            due=Count("id", filter=due),
            reached_in_time=Count("id", filter=due & in_time),
            reached=Count("id", filter=Q(reached_at__lt=end)),
            applied=Count("id", filter=Q(applied_at__lt=end)),
            delivered=Count("id", filter=Q(delivered_at__lt=end)),
        )
        .order_by()
    )
    life_event_bits = groups.life_event_bits([rule.code for rule in life_event_rules()])
    totals: dict[tuple[str, int, str], list[int]] = defaultdict(lambda: [0] * len(COUNTS))
    rows = cast(Iterable[dict[str, Any]], combinations.iterator(chunk_size=5000))
    for row in rows:
        counts = [row[name] for name in COUNTS]
        for group in _group_codes(row["groups"], life_event_bits):
            total = totals[(row["region_code"], row["service_id"], group)]
            for i, count in enumerate(counts):
                total[i] += count
    ReachFigure.objects.filter(on=on).delete()
    figures = [
        ReachFigure(
            on=on, region_code=region_code, service_id=service_id, group=group, **dict(zip(COUNTS, counts, strict=True))
        )
        for (region_code, service_id, group), counts in totals.items()
    ]
    ReachFigure.objects.bulk_create(figures, batch_size=5000)
    return len(figures)
