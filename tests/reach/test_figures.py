"""The day's reach figures taken from the ledger (reach_figures_take) and read back per group
(reach_group_figures), with small cells suppressed."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from services_portal.catalog.models import ServiceItem
from services_portal.catalog.rules import life_event_rules
from services_portal.reach import groups
from services_portal.reach.models import ReachChannel, ReachEntry, ReachFigure
from services_portal.reach.selectors import cell_shown, reach_group_figures, share_shown
from services_portal.reach.services.figures import day_end, reach_figures_take
from tests.factories import citizen_make

DAY = datetime.date(2026, 11, 30)
ELDERLY_60 = groups.VULNERABLE[groups.ELDERLY_60][0]
OFFLINE = groups.VULNERABLE[groups.OFFLINE][0]


def at(days_before_day_end: float) -> datetime.datetime:
    return day_end(DAY) - datetime.timedelta(days=days_before_day_end)


def entry_make(citizen, service, *, eligible_days: float, region_code: str = "450103", bits: int = 0, **steps):
    """A ledger row eligible `eligible_days` before the end of DAY; steps as days after becoming eligible."""
    eligible_at = at(eligible_days)
    times = {name: eligible_at + datetime.timedelta(days=days) for name, days in steps.items() if days is not None}
    if "eligible_until" in steps:
        times["eligible_until"] = eligible_at + datetime.timedelta(days=steps["eligible_until"])
    return ReachEntry.objects.create(
        citizen=citizen,
        service=service,
        region_code=region_code,
        groups=bits,
        eligible_at=eligible_at,
        reached_channel=ReachChannel.INBOX if "reached_at" in times else "",
        **times,
    )


@pytest.fixture
def essential(catalog) -> list[ServiceItem]:
    return list(ServiceItem.objects.filter(essential=True).order_by("code"))


@pytest.fixture
def not_essential(catalog) -> ServiceItem:
    return ServiceItem.objects.filter(essential=False).order_by("code").first()


@pytest.fixture
def people(db):
    return [citizen_make(name=f"居民{i}") for i in range(4)]


def figure(group: str = groups.ALL, service: ServiceItem | None = None, region_code: str = "450103") -> ReachFigure:
    figures = ReachFigure.objects.filter(on=DAY, group=group, region_code=region_code)
    if service is not None:
        figures = figures.filter(service=service)
    return figures.get()


def test_take_counts_each_step_as_of_the_end_of_the_day(essential, people):
    # given one service: reached in time, reached late, applied in time (counts as reached), not yet due,
    # eligible only after the day, and one whose eligibility ended before the day's end
    service = essential[0]
    entry_make(people[0], service, eligible_days=12, reached_at=3, applied_at=4, decided_at=5, delivered_at=6)
    entry_make(people[1], service, eligible_days=12, reached_at=9)
    entry_make(people[2], service, eligible_days=10, applied_at=1)
    entry_make(people[3], service, eligible_days=2, reached_at=1)
    entry_make(citizen_make(name="后来"), service, eligible_days=-1)
    entry_make(citizen_make(name="结束"), service, eligible_days=20, eligible_until=5)

    # when
    written = reach_figures_take(on=DAY)

    # then
    everyone = figure(service=service)
    assert (everyone.eligible, everyone.due, everyone.reached_in_time) == (4, 3, 2)
    assert (everyone.reached, everyone.applied, everyone.delivered) == (3, 2, 1)
    assert written == ReachFigure.objects.filter(on=DAY).count() == 1


def test_take_files_rows_under_every_group_they_belong_to(essential, people):
    # given an elderly person offline in a life event and an elderly one online, in two counties
    life_event = life_event_rules()[0].code
    life_bit = groups.life_event_bits([rule.code for rule in life_event_rules()])[life_event]
    service = essential[0]
    entry_make(people[0], service, eligible_days=8, bits=ELDERLY_60 | OFFLINE | life_bit, reached_at=1)
    entry_make(people[1], service, eligible_days=8, bits=ELDERLY_60, region_code="450102")

    # when
    reach_figures_take(on=DAY)

    # then
    assert figure(groups.ELDERLY_60).eligible == 1
    assert figure(groups.ELDERLY_60, region_code="450102").eligible == 1
    offline = figure(groups.OFFLINE)
    assert (offline.due, offline.reached_in_time) == (1, 1)
    assert figure(groups.life_event_group(life_event)).eligible == 1
    assert not ReachFigure.objects.filter(group=groups.DISABLED).exists()


def test_taking_a_day_again_replaces_its_rows(essential, people):
    # given the day's figures taken, then a person's eligibility ended before the day's end
    service = essential[0]
    first = entry_make(people[0], service, eligible_days=8)
    entry_make(people[1], service, eligible_days=8)
    reach_figures_take(on=DAY)
    first.eligible_until = at(1)
    first.save(update_fields=["eligible_until"])

    # when
    reach_figures_take(on=DAY)

    # then
    assert figure(service=service).eligible == 1
    assert ReachFigure.objects.filter(on=DAY).count() == 1


def test_take_reads_the_ledger_in_one_query_whatever_its_size(essential, people, django_assert_max_num_queries):
    # given rows in several services and counties
    for i, citizen in enumerate(people):
        for service in essential[:3]:
            entry_make(citizen, service, eligible_days=9, region_code=f"45010{i + 2}", bits=ELDERLY_60)

    # when / then: the ledger grouped once, the day deleted, the rows inserted (plus the savepoint)
    with django_assert_max_num_queries(8):
        written = reach_figures_take(on=DAY)
    assert written == len(people) * 3 * 2


def _figures_give(service: ServiceItem, region_code: str, group: str, on: datetime.date = DAY, **counts) -> None:
    ReachFigure.objects.create(on=on, region_code=region_code, service=service, group=group, **counts)


def test_group_figures_add_up_a_region_from_the_latest_day(essential, not_essential):
    # given figures of two days in two Nanning counties and one in Liuzhou, and of a service not essential
    yesterday = DAY - datetime.timedelta(days=1)
    _figures_give(essential[0], "450103", groups.ALL, on=yesterday, eligible=99, due=99)
    _figures_give(essential[0], "450103", groups.ALL, eligible=30, due=20, reached_in_time=15, applied=12)
    _figures_give(essential[1], "450102", groups.ALL, eligible=20, due=20, reached_in_time=20, delivered=11)
    _figures_give(essential[0], "450202", groups.ALL, eligible=500, due=500)
    _figures_give(not_essential, "450103", groups.ALL, eligible=400, due=400)
    _figures_give(essential[0], "450103", groups.ELDERLY_80, eligible=12, due=12, reached_in_time=3)

    # when
    figures = reach_group_figures(region_prefix="4501")

    # then
    assert [figure.group for figure in figures] == [groups.ALL, groups.ELDERLY_80]
    everyone, elderly = figures
    assert (everyone.eligible, everyone.due, everyone.reached_in_time) == (50, 40, 35)
    assert (everyone.applied, everyone.delivered) == (12, 11)
    assert everyone.share == pytest.approx(35 / 40)
    assert elderly.label == str(groups.VULNERABLE[groups.ELDERLY_80][1])
    assert elderly.shown()["reached_in_time"] == "<10"
    assert elderly.shown()["share"] == "–"
    assert reach_group_figures(region_prefix="4501", essential_only=False)[0].eligible == 450
    assert reach_group_figures(region_prefix="4501", on=yesterday)[0].eligible == 99


def test_no_figures_taken_yet_reads_as_none(db):
    assert reach_group_figures() == []


@pytest.mark.parametrize(("count", "shown"), [(0, "0"), (1, "<10"), (9, "<10"), (10, "10"), (12345, "12345")])
def test_small_cells_are_suppressed(count, shown):
    assert cell_shown(count) == shown


def test_a_share_from_a_suppressed_cell_is_hidden():
    assert share_shown(5, 40) == "–"
    assert share_shown(35, 40) == "87.5%"
    assert share_shown(0, 40) == "0.0%"
    assert share_shown(0, 0) == "–"


def test_the_threshold_is_a_setting(settings):
    settings.REACH_SMALL_CELL = 5
    assert cell_shown(5) == "5"
    assert cell_shown(4) == "<5"


def test_day_end_is_midnight_after_the_day_in_the_portal_time_zone():
    assert timezone.localtime(day_end(DAY)) == timezone.make_aware(datetime.datetime(2026, 12, 1))  # noqa: DTZ001
