"""Reads of the reach figures (ReachFigure, taken daily from the ledger) for the operator's view, its exports
and the public algorithm page. Counts only, never a person.

Every count that leaves the portal goes through `cell_shown`: fewer than REACH_SMALL_CELL people (but not
none) show as "<10", and a share whose numerator or denominator is suppressed is hidden too (`share_shown`),
so no small group can be worked back from a percentage.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from profiles.facts.registry import FACTS
from profiles.models import User
from profiles.permissions import in_scope, scope_prefix
from profiles.selectors import department_names
from services_portal.casework.models import Case
from services_portal.casework.selectors import overdue_q, reviews_count
from services_portal.catalog.models import LifeEvent, ServiceItem
from services_portal.counter.models import OutreachOutcome, OutreachTask
from services_portal.feeds.models import FeedBatch
from services_portal.reach import groups
from services_portal.reach.models import ReachFigure
from services_portal.reference import regions
from services_portal.reference.regions import Region

COUNTS = ("eligible", "due", "reached_in_time", "reached", "applied", "delivered")
HIDDEN = "–"


def small_cell() -> int:
    return int(settings.REACH_SMALL_CELL)


def is_suppressed(count: int) -> bool:
    """Whether a count is too small to show (none at all is shown: it names nobody)."""
    return 0 < count < small_cell()


def cell_shown(count: int) -> str:
    """A count as it may be shown or exported: "<10" below the small-cell threshold."""
    return f"<{small_cell()}" if is_suppressed(count) else str(count)


def share_of(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def share_shown(numerator: int, denominator: int) -> str:
    """A share as a percentage with one decimal, hidden when either count is suppressed or nobody is counted."""
    if not denominator or is_suppressed(numerator) or is_suppressed(denominator):
        return HIDDEN
    return f"{100 * numerator / denominator:.1f}%"


@dataclass(frozen=True)
class GroupFigure:
    """One group's figures (everyone, a vulnerable group or a life event) on one day."""

    group: str
    label: str
    eligible: int
    due: int
    reached_in_time: int
    share: float | None  # reached_in_time / due; None when nobody is due
    applied: int
    delivered: int

    @property
    def suppressed(self) -> bool:
        """Whether the share may not be shown (its numerator or denominator is a small cell)."""
        return share_shown(self.reached_in_time, self.due) == HIDDEN

    def shown(self) -> dict[str, str]:
        """The figures as they may be shown or exported, small cells suppressed."""
        return {
            "group": self.group,
            "label": self.label,
            "eligible": cell_shown(self.eligible),
            "due": cell_shown(self.due),
            "reached_in_time": cell_shown(self.reached_in_time),
            "share": share_shown(self.reached_in_time, self.due),
            "applied": cell_shown(self.applied),
            "delivered": cell_shown(self.delivered),
        }


def reach_figures_day(*, on: datetime.date | None = None) -> datetime.date | None:
    """The latest day figures were taken on (on or before `on` when given), or None when none were."""
    figures = ReachFigure.objects.all()
    if on is not None:
        figures = figures.filter(on__lte=on)
    return figures.aggregate(day=Max("on"))["day"]


def _figures(*, day: datetime.date, region_prefix: str, essential_only: bool) -> QuerySet[ReachFigure]:
    figures = ReachFigure.objects.filter(on=day)
    if region_prefix:
        figures = figures.filter(region_code__startswith=region_prefix)
    if essential_only:
        figures = figures.filter(service__essential=True)
    return figures


def _summed(figures: QuerySet[ReachFigure], field: str) -> Iterable[dict[str, Any]]:
    """The counts (COUNTS) summed for each value of one field."""
    sums = {name: Sum(name) for name in COUNTS}
    return cast(Iterable[dict[str, Any]], figures.values(field).annotate(**sums).order_by())


def group_label(code: str, life_event_names: dict[str, str] | None = None) -> str:
    if code == groups.ALL:
        return gettext("Everyone eligible")
    if code in groups.VULNERABLE:
        return str(groups.VULNERABLE[code][1])
    if code.startswith(groups.LIFE_EVENT_PREFIX):
        life_event = code.removeprefix(groups.LIFE_EVENT_PREFIX)
        if life_event_names is None:
            life_event_names = _life_event_names()
        return life_event_names.get(life_event, life_event)
    return code


def _life_event_names() -> dict[str, str]:
    return {life_event.code: life_event.name for life_event in LifeEvent.objects.all()}


def _group_order(code: str) -> tuple[int, int | str]:
    if code == groups.ALL:
        return (0, 0)
    if code in groups.VULNERABLE:
        return (1, list(groups.VULNERABLE).index(code))
    return (2, code)


def reach_group_figures(
    *, region_prefix: str = "", essential_only: bool = True, on: datetime.date | None = None
) -> list[GroupFigure]:
    """Everyone's figures and each group's (vulnerable groups, then life events) under a region prefix, from
    the latest day figures were taken (on or before `on`). Empty when no figures were taken yet."""
    day = reach_figures_day(on=on)
    if day is None:
        return []
    rows = _summed(_figures(day=day, region_prefix=region_prefix, essential_only=essential_only), "group")
    names = _life_event_names()
    figures = [
        GroupFigure(
            group=row["group"],
            label=group_label(row["group"], names),
            eligible=row["eligible"] or 0,
            due=row["due"] or 0,
            reached_in_time=row["reached_in_time"] or 0,
            share=share_of(row["reached_in_time"] or 0, row["due"] or 0),
            applied=row["applied"] or 0,
            delivered=row["delivered"] or 0,
        )
        for row in rows
    ]
    return sorted(figures, key=lambda figure: _group_order(figure.group))


# -- the operator's view (态势感知) -------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = True


@dataclass(frozen=True)
class Table:
    """One table of the operator's view as it is shown and exported: its cells already suppressed (strings),
    and the chart drawn beside it (chart data from the same suppressed cells: a hidden share is a gap)."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, str]]
    chart: dict[str, Any] | None = None
    # per row, where the row drills down to (a region code), for the page's links
    links: list[str] = field(default_factory=list)

    @property
    def body(self) -> list[tuple[str, list[str]]]:
        """The rows as the page shows them: where the row's first cell links to, and its cells in order."""
        links = self.links or [""] * len(self.rows)
        return [
            (link, [row.get(column.key, "") for column in self.columns])
            for link, row in zip(links, self.rows, strict=True)
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "table": self.key,
            "title": self.title,
            "columns": [{"key": column.key, "label": column.label} for column in self.columns],
            "rows": self.rows,
        }


def _days() -> dict[str, int]:
    """The days within which reaching someone is in time (REACH_WITHIN_DAYS), for the labels."""
    return {"days": settings.REACH_WITHIN_DAYS}


def share_number(numerator: int, denominator: int) -> float | None:
    """A share in percent for the charts, None where the table hides it."""
    if share_shown(numerator, denominator) == HIDDEN:
        return None
    return round(100 * numerator / denominator, 1)


def _funnel_columns(first: Column) -> list[Column]:
    return [
        first,
        Column("eligible", gettext("Eligible")),
        Column("due", gettext("Eligible for %(days)s days or more") % _days()),
        Column("reached_in_time", gettext("Reached within %(days)s days") % _days()),
        Column("share", gettext("Share reached within %(days)s days") % _days()),
        Column("applied", gettext("Applied")),
        Column("delivered", gettext("Delivered")),
    ]


def _funnel_cells(counts: dict[str, int]) -> dict[str, str]:
    return {
        "eligible": cell_shown(counts["eligible"]),
        "due": cell_shown(counts["due"]),
        "reached_in_time": cell_shown(counts["reached_in_time"]),
        "share": share_shown(counts["reached_in_time"], counts["due"]),
        "applied": cell_shown(counts["applied"]),
        "delivered": cell_shown(counts["delivered"]),
    }


def _bar_chart(categories: list[str], values: list[float | None], *, name: str) -> dict[str, Any]:
    return {"kind": "bar", "unit": "%", "categories": categories, "series": [{"name": name, "data": values}]}


@dataclass(frozen=True)
class Headline:
    eligible: str
    due: str
    reached_in_time: str
    share: str
    applied: str
    delivered: str


@dataclass(frozen=True)
class GroupGap:
    """The best and the worst group by share reached in time (shares that may be shown only)."""

    best: str
    best_share: str
    worst: str
    worst_share: str
    points: str  # the gap in percentage points


@dataclass(frozen=True)
class Oversight:
    """Everything the operator's view shows for one region on the latest day figures were taken."""

    region: Region
    day: datetime.date | None
    essential_only: bool
    headline: Headline
    gap: GroupGap | None
    tables: dict[str, Table]


TABLES = ("areas", "groups", "services", "trend", "counters", "feeds", "reviews")


def _empty_counts() -> dict[str, int]:
    return dict.fromkeys(COUNTS, 0)


def _add(total: dict[str, int], row: dict[str, Any]) -> None:
    for name in COUNTS:
        total[name] += row[name] or 0


def _headline(counts: dict[str, int]) -> Headline:
    return Headline(**_funnel_cells(counts))


def _gap(figures: list[GroupFigure]) -> GroupGap | None:
    """The best and worst group by share reached in time, of those whose share is shown; None when fewer
    than two are, or all have the same share."""
    shown = [figure for figure in figures if figure.group != groups.ALL and not figure.suppressed]
    if len(shown) < 2:  # noqa: PLR2004 (a gap needs two groups)
        return None
    best = max(shown, key=lambda figure: figure.share or 0)
    worst = min(shown, key=lambda figure: figure.share or 0)
    if best.share == worst.share:
        return None
    return GroupGap(
        best=best.label,
        best_share=share_shown(best.reached_in_time, best.due),
        worst=worst.label,
        worst_share=share_shown(worst.reached_in_time, worst.due),
        points=f"{100 * ((best.share or 0) - (worst.share or 0)):.1f}",
    )


SHOWN_COUNTS = ("eligible", "due", "reached_in_time", "share", "applied", "delivered")


def _groups_table(figures: list[GroupFigure]) -> Table:
    rows = [
        {"group": figure.label, **{key: value for key, value in figure.shown().items() if key in SHOWN_COUNTS}}
        for figure in figures
    ]
    chart = _bar_chart(
        [figure.label for figure in figures],
        [share_number(figure.reached_in_time, figure.due) for figure in figures],
        name=gettext("Share reached within %(days)s days") % _days(),
    )
    return Table(
        "groups",
        gettext("By group"),
        _funnel_columns(Column("group", gettext("Group"), numeric=False)),
        rows,
        chart,
    )


def _child_of(region_code: str, children: list[Region]) -> Region | None:
    for child in children:
        if region_code.startswith(child.scope_prefix):
            return child
    return None


def _areas_table(region: Region, *, day: datetime.date, essential_only: bool) -> Table:
    children = regions.children(region.code)
    totals: dict[str, dict[str, int]] = {}
    figures = _figures(day=day, region_prefix=region.scope_prefix, essential_only=essential_only)
    rows_by_code = _summed(figures.filter(group=groups.ALL), "region_code")
    for row in rows_by_code:
        child = _child_of(row["region_code"], children)
        # a person known only down to this region (no county) is counted under the region itself
        code = child.code if child else region.code
        _add(totals.setdefault(code, _empty_counts()), row)
    areas = [child for child in children if child.code in totals]
    if region.code in totals:
        areas.append(region)
    rows = []
    for area in areas:
        label = area.name
        if area is region:
            label = gettext("%(region)s (no finer region known)") % {"region": area.name}
        rows.append({"area": label, **_funnel_cells(totals[area.code])})
    chart = _bar_chart(
        [row["area"] for row in rows],
        [share_number(totals[area.code]["reached_in_time"], totals[area.code]["due"]) for area in areas],
        name=gettext("Share reached within %(days)s days") % _days(),
    )
    return Table(
        "areas",
        gettext("By area"),
        _funnel_columns(Column("area", gettext("Area"), numeric=False)),
        rows,
        chart,
        links=[area.code if area is not region else "" for area in areas],
    )


def _services_table(region: Region, *, day: datetime.date, essential_only: bool) -> Table:
    figures = _figures(day=day, region_prefix=region.scope_prefix, essential_only=essential_only)
    rows_by_service = _summed(figures.filter(group=groups.ALL), "service_id")
    counts = {row["service_id"]: row for row in rows_by_service}
    services = ServiceItem.objects.filter(pk__in=counts).only("pk", "code", "name_zh", "name_en", "essential")
    ordered = sorted(services, key=lambda service: (not service.essential, service.code))
    rows = [
        {
            "service": service.name,
            "essential": gettext("yes") if service.essential else gettext("no"),
            **_funnel_cells({name: counts[service.pk][name] or 0 for name in COUNTS}),
        }
        for service in ordered
    ]
    chart = _bar_chart(
        [service.name for service in ordered],
        [share_number(counts[s.pk]["reached_in_time"] or 0, counts[s.pk]["due"] or 0) for s in ordered],
        name=gettext("Share reached within %(days)s days") % _days(),
    )
    columns = _funnel_columns(Column("service", gettext("Service"), numeric=False))
    columns.insert(1, Column("essential", gettext("Essential"), numeric=False))
    return Table("services", gettext("By service"), columns, rows, chart)


TREND_GROUPS = (groups.ALL, *groups.VULNERABLE)


def _trend_table(region: Region, *, day: datetime.date, essential_only: bool, days: int) -> Table:
    figures = ReachFigure.objects.filter(
        on__gt=day - datetime.timedelta(days=days), on__lte=day, group__in=TREND_GROUPS
    )
    if region.scope_prefix:
        figures = figures.filter(region_code__startswith=region.scope_prefix)
    if essential_only:
        figures = figures.filter(service__essential=True)
    sums = figures.values("on", "group").annotate(due=Sum("due"), reached_in_time=Sum("reached_in_time")).order_by()
    by_day: dict[datetime.date, dict[str, tuple[int, int]]] = {}
    for row in sums:
        by_day.setdefault(row["on"], {})[row["group"]] = (row["reached_in_time"] or 0, row["due"] or 0)
    days_shown = sorted(by_day)
    columns = [Column("on", gettext("Day"), numeric=False)] + [
        Column(group, group_label(group)) for group in TREND_GROUPS
    ]
    rows = [
        {
            "on": on.isoformat(),
            **{group: share_shown(*by_day[on].get(group, (0, 0))) for group in TREND_GROUPS},
        }
        for on in days_shown
    ]
    chart = {
        "kind": "line",
        "unit": "%",
        "categories": [on.isoformat() for on in days_shown],
        "series": [
            {"name": group_label(group), "data": [share_number(*by_day[on].get(group, (0, 0))) for on in days_shown]}
            for group in TREND_GROUPS
        ],
    }
    return Table("trend", gettext("Share reached within %(days)s days, by day") % _days(), columns, rows, chart)


def _counters_table(region: Region, *, today: datetime.date) -> Table:
    """Per county (each has its counter): overdue cases and the outreach tasks not yet worked."""
    prefix = region.scope_prefix
    overdue = (
        Case.objects.filter(overdue_q(today), region_code__startswith=prefix)
        .values("region_code")
        .annotate(count=Count("pk"))
        .order_by()
    )
    backlog = (
        OutreachTask.objects.filter(outcome=OutreachOutcome.OPEN, region_code__startswith=prefix)
        .values("region_code")
        .annotate(count=Count("pk"), essential=Count("pk", filter=Q(essential=True)), oldest=Min("created_at"))
        .order_by()
    )
    counties: dict[str, dict[str, Any]] = {}

    def county_of(code: str) -> str:
        found = regions.get(code)
        return code if found is None or found.level == "county" else found.code

    def county_row(code: str) -> dict[str, Any]:
        return counties.setdefault(county_of(code), {"overdue": 0, "backlog": 0, "essential": 0, "oldest": None})

    for row in overdue:
        county_row(row["region_code"])["overdue"] += row["count"]
    for row in backlog:
        county = county_row(row["region_code"])
        county["backlog"] += row["count"]
        county["essential"] += row["essential"]
        if county["oldest"] is None or row["oldest"] < county["oldest"]:
            county["oldest"] = row["oldest"]
    now = timezone.now()
    ordered = sorted(counties.items(), key=lambda item: (-(item[1]["overdue"] + item[1]["backlog"]), item[0]))
    rows = []
    for code, county in ordered:
        waited = (now - county["oldest"]).days if county["oldest"] else None
        rows.append(
            {
                "area": regions.display_name(code) if regions.get(code) else code,
                "overdue": cell_shown(county["overdue"]),
                "backlog": cell_shown(county["backlog"]),
                "essential": cell_shown(county["essential"]),
                # a day count is not a count of people: shown unless the backlog itself is suppressed
                "oldest_days": HIDDEN if waited is None or is_suppressed(county["backlog"]) else str(waited),
            }
        )
    charted = ordered[:20]
    chart = {
        "kind": "bar",
        "unit": "",
        "categories": [rows[i]["area"] for i in range(len(charted))],
        "series": [
            {
                "name": gettext("Overdue cases"),
                "data": [None if is_suppressed(c["overdue"]) else c["overdue"] for _code, c in charted],
            },
            {
                "name": gettext("Outreach tasks not yet worked"),
                "data": [None if is_suppressed(c["backlog"]) else c["backlog"] for _code, c in charted],
            },
        ],
    }
    columns = [
        Column("area", gettext("County (its counter)"), numeric=False),
        Column("overdue", gettext("Overdue cases")),
        Column("backlog", gettext("Outreach tasks not yet worked")),
        Column("essential", gettext("Of those, essential")),
        Column("oldest_days", gettext("Oldest waiting (days)")),
    ]
    return Table("counters", gettext("Overdue cases and outreach backlog per counter"), columns, rows, chart)


FEED_WINDOW_DAYS = 30


def _feed_departments() -> list[str]:
    return sorted({department for fact in FACTS.values() for department in fact.departments})


def _feeds_table(*, now: datetime.datetime) -> Table:
    """Per department delivering facts: its last batch, how fresh, and its rows rejected in the last 30 days
    (feeds are province-wide: the same at every level)."""
    since = now - datetime.timedelta(days=FEED_WINDOW_DAYS)
    last = dict(
        FeedBatch.objects.values("department").annotate(last=Max("received_at")).values_list("department", "last")
    )
    recent = {
        row["department"]: row
        for row in FeedBatch.objects.filter(received_at__gte=since)
        .values("department")
        .annotate(batches=Count("pk"), rows=Sum("rows_total"), rejected=Sum("rows_rejected"))
        .order_by()
    }
    names = department_names()
    rows = []
    rates: list[float | None] = []
    departments = sorted(set(_feed_departments()) | set(last))
    for department in departments:
        batch = recent.get(department, {"batches": 0, "rows": 0, "rejected": 0})
        last_at = last.get(department)
        rows_total, rejected = batch["rows"] or 0, batch["rejected"] or 0
        rows.append(
            {
                "department": names.get(department, department),
                "last_batch": timezone.localtime(last_at).strftime("%Y-%m-%d %H:%M") if last_at else gettext("never"),
                "hours_since": str(int((now - last_at).total_seconds() // 3600)) if last_at else HIDDEN,
                "batches": str(batch["batches"]),
                "rows": cell_shown(rows_total),
                "rejected": cell_shown(rejected),
                "rejection_rate": share_shown(rejected, rows_total),
            }
        )
        rates.append(share_number(rejected, rows_total))
    columns = [
        Column("department", gettext("Department"), numeric=False),
        Column("last_batch", gettext("Last batch"), numeric=False),
        Column("hours_since", gettext("Hours since")),
        Column("batches", gettext("Batches in 30 days")),
        Column("rows", gettext("Rows in 30 days")),
        Column("rejected", gettext("Rows rejected")),
        Column("rejection_rate", gettext("Rejection rate")),
    ]
    chart = _bar_chart([row["department"] for row in rows], rates, name=gettext("Rejection rate"))
    return Table("feeds", gettext("Feed health per department"), columns, rows, chart)


def _reviews_table(region: Region) -> Table:
    """错保 found and resolved: review cases of benefits whose holder no longer meets the criteria."""
    counts = reviews_count(region_prefix=region.scope_prefix)
    resolved = counts.kept + counts.stopped
    columns = [
        Column("found", gettext("Found (review cases opened)")),
        Column("open", gettext("Still open")),
        Column("kept", gettext("Kept (benefit continues)")),
        Column("stopped", gettext("Stopped")),
        Column("resolved", gettext("Resolved")),
    ]
    row = {
        "found": cell_shown(counts.found),
        "open": cell_shown(counts.open),
        "kept": cell_shown(counts.kept),
        "stopped": cell_shown(counts.stopped),
        "resolved": cell_shown(resolved),
    }
    return Table("reviews", gettext("Benefits held without the right (错保): found and resolved"), columns, [row])


def oversight_region_for(user: User, region_code: str | None) -> Region:
    """The region the operator asks for, if it lies in their scope (their own scope's region when none is
    named); 404 for a region outside it, unknown, or outside the home province."""
    prefix = scope_prefix(user)
    if prefix is None:
        raise Http404
    code = region_code or user.region_scope or regions.HOME_PROVINCE
    region = regions.get(code)
    if region is None or not regions.is_within(code, regions.HOME_PROVINCE) or not in_scope(user, code):
        raise Http404
    return region


def oversight_path_for(user: User, region: Region) -> list[tuple[Region, bool]]:
    """The regions from the province down to `region`, each with whether the operator may open it."""
    path = []
    code: str = region.code
    while code:
        step = regions.get(code)
        if step is None:
            break
        path.append((step, in_scope(user, step.code)))
        code = step.parent_code
    return list(reversed(path))


def reach_oversight(
    *,
    region: Region,
    essential_only: bool = True,
    on: datetime.date | None = None,
    trend_days: int = 90,
    only: Sequence[str] = TABLES,
) -> Oversight:
    """The operator's view of a region (already checked to be in the caller's scope, oversight_region_for):
    the headline, the gap between groups and every table (or those named in `only`, for an export)."""
    day = reach_figures_day(on=on)
    now = timezone.now()
    tables: dict[str, Table] = {}
    figures = reach_group_figures(region_prefix=region.scope_prefix, essential_only=essential_only, on=day)
    everyone = next((figure for figure in figures if figure.group == groups.ALL), None)
    counts = (
        {name: getattr(everyone, name) for name in ("eligible", "due", "reached_in_time", "applied", "delivered")}
        if everyone
        else dict.fromkeys(("eligible", "due", "reached_in_time", "applied", "delivered"), 0)
    )
    if "groups" in only:
        tables["groups"] = _groups_table(figures)
    if day is not None:
        if "areas" in only and region.level != "county":
            tables["areas"] = _areas_table(region, day=day, essential_only=essential_only)
        if "services" in only:
            tables["services"] = _services_table(region, day=day, essential_only=essential_only)
        if "trend" in only:
            tables["trend"] = _trend_table(region, day=day, essential_only=essential_only, days=trend_days)
    if "counters" in only:
        tables["counters"] = _counters_table(region, today=timezone.localdate(now))
    if "feeds" in only:
        tables["feeds"] = _feeds_table(now=now)
    if "reviews" in only:
        tables["reviews"] = _reviews_table(region)
    return Oversight(
        region=region,
        day=day,
        essential_only=essential_only,
        headline=_headline({**_empty_counts(), **counts}),
        gap=_gap(figures),
        tables=tables,
    )
