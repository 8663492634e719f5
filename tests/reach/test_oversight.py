"""The operator's view (态势感知) at /oversight/: who may see which region, what it shows, its exports, and
small cells suppressed everywhere."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from profiles.models import Role
from services_portal.casework.models import Case, CaseOrigin, CaseState
from services_portal.catalog.models import ServiceItem
from services_portal.counter.models import OutreachOutcome, OutreachTask
from services_portal.feeds.models import FeedBatch
from services_portal.reach import groups
from services_portal.reach.models import ReachFigure
from tests.factories import MODEL_BACKEND, StaffFactory, citizen_make

DAY = datetime.date(2026, 11, 30)


@pytest.fixture
def region_head(db):
    return StaffFactory(username="region-head", role=Role.REGION_HEAD, region_scope="450100")


@pytest.fixture
def administrator(db):
    return StaffFactory(username="admin", role=Role.ADMINISTRATOR, region_scope="")


@pytest.fixture
def essential(catalog) -> list[ServiceItem]:
    return list(ServiceItem.objects.filter(essential=True).order_by("code"))


@pytest.fixture
def figures(essential):
    """A day's figures: two Nanning counties and Liuzhou, everyone and two groups; a day before for the trend."""
    rows = [
        ("450103", essential[0], groups.ALL, {"eligible": 120, "due": 100, "reached_in_time": 90, "applied": 40}),
        ("450102", essential[0], groups.ALL, {"eligible": 60, "due": 50, "reached_in_time": 30, "delivered": 20}),
        ("450102", essential[1], groups.ALL, {"eligible": 7, "due": 7, "reached_in_time": 7}),
        ("450202", essential[0], groups.ALL, {"eligible": 900, "due": 900, "reached_in_time": 900}),
        ("450103", essential[0], groups.ELDERLY_80, {"eligible": 40, "due": 40, "reached_in_time": 20}),
        ("450103", essential[0], groups.OFFLINE, {"eligible": 30, "due": 30, "reached_in_time": 27}),
        ("450103", essential[0], groups.DISABLED, {"eligible": 4, "due": 4, "reached_in_time": 4}),
    ]
    for region_code, service, group, counts in rows:
        ReachFigure.objects.create(on=DAY, region_code=region_code, service=service, group=group, **counts)
    ReachFigure.objects.create(
        on=DAY - datetime.timedelta(days=1),
        region_code="450103",
        service=essential[0],
        group=groups.ALL,
        eligible=110,
        due=100,
        reached_in_time=80,
    )


def signed_in(client, user):
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def test_a_region_head_sees_their_city_with_its_counties(client, region_head, figures):
    # when
    response = signed_in(client, region_head).get(reverse("reach:oversight"))

    # then: Nanning's figures, not Liuzhou's; its counties linked for drilling down
    assert response.status_code == 200
    oversight = response.context["oversight"]
    assert oversight.region.code == "450100"
    assert oversight.day == DAY
    assert oversight.headline.eligible == "187"
    assert oversight.headline.share == f"{100 * 127 / 157:.1f}%"
    areas = oversight.tables["areas"]
    assert [row["eligible"] for row in areas.rows] == ["67", "120"]  # 450102 then 450103
    assert areas.links == ["450102", "450103"]  # each county drills down to its own page
    content = response.content.decode()
    assert 'id="oversight-charts"' in content
    assert "vendor/echarts/echarts.min.js" in content


def test_the_gap_between_the_best_and_worst_group_leaves_out_suppressed_groups(client, region_head, figures):
    # when
    oversight = signed_in(client, region_head).get(reverse("reach:oversight")).context["oversight"]

    # then: offline 90%, aged 80+ 50%; the disabled (4 people) are not compared
    assert oversight.gap.best_share == "90.0%"
    assert oversight.gap.worst_share == "50.0%"
    assert oversight.gap.points == "40.0"
    rows = {row["group"]: row for row in oversight.tables["groups"].rows}
    disabled = rows[str(groups.VULNERABLE[groups.DISABLED][1])]
    assert (disabled["eligible"], disabled["share"]) == ("<10", "–")


def test_no_gap_is_named_when_every_group_shown_has_the_same_share(client, region_head, essential):
    # given two groups of Nanning, each with half reached in time
    for group in (groups.ELDERLY_80, groups.OFFLINE):
        ReachFigure.objects.create(
            on=DAY, region_code="450103", service=essential[0], group=group, eligible=40, due=40, reached_in_time=20
        )

    # then the page names no best and worst group
    assert signed_in(client, region_head).get(reverse("reach:oversight")).context["oversight"].gap is None


@pytest.mark.parametrize("region_code", ["450000", "450200", "450202", "110000"])
def test_a_region_outside_the_scope_is_not_found(client, region_head, figures, region_code):
    client = signed_in(client, region_head)
    assert client.get(reverse("reach:oversight_region", args=[region_code])).status_code == 404
    export = reverse("reach:oversight_export", args=[region_code, "areas", "csv"])
    assert client.get(export).status_code == 404


def test_a_region_head_drills_down_to_a_county(client, region_head, figures):
    response = signed_in(client, region_head).get(reverse("reach:oversight_region", args=["450103"]))
    assert response.status_code == 200
    assert response.context["oversight"].headline.eligible == "120"
    assert "areas" not in response.context["oversight"].tables
    # the path names the city (theirs: a link) and the province (not theirs: no link)
    assert [(step.code, allowed) for step, allowed in response.context["path"]] == [
        ("450000", False),
        ("450100", True),
        ("450103", True),
    ]


def test_an_administrator_sees_the_province_and_its_cities(client, administrator, figures):
    response = signed_in(client, administrator).get(reverse("reach:oversight"))
    oversight = response.context["oversight"]
    assert oversight.region.code == "450000"
    assert oversight.headline.eligible == "1087"
    assert oversight.tables["areas"].links == ["450100", "450200"]
    assert signed_in(client, administrator).get(reverse("reach:oversight_region", args=["450202"])).status_code == 200


def test_unknown_regions_are_not_found(client, administrator):
    assert signed_in(client, administrator).get("/oversight/459999/").status_code == 404


def test_other_staff_may_not_see_it_and_strangers_sign_in_first(client, caseworker):
    assert client.get(reverse("reach:oversight")).status_code == 302
    assert signed_in(client, caseworker).get(reverse("reach:oversight")).status_code == 403


def test_the_menu_offers_it_to_region_heads_only(client, region_head, caseworker):
    assert reverse("reach:oversight") in signed_in(client, region_head).get("/").content.decode()
    client.logout()
    assert reverse("reach:oversight") not in signed_in(client, caseworker).get("/").content.decode()


def test_the_trend_has_a_row_per_day(client, region_head, figures):
    trend = signed_in(client, region_head).get(reverse("reach:oversight")).context["oversight"].tables["trend"]
    assert [row["on"] for row in trend.rows] == ["2026-11-29", "2026-11-30"]
    assert trend.rows[0][groups.ALL] == "80.0%"
    assert trend.chart["series"][0]["data"] == [80.0, pytest.approx(100 * 127 / 157, abs=0.05)]


def test_all_services_or_only_essential_ones(client, region_head, figures, catalog):
    # given a service that is not essential with many eligible in Nanning
    other = ServiceItem.objects.filter(essential=False).first()
    ReachFigure.objects.create(on=DAY, region_code="450103", service=other, group=groups.ALL, eligible=1000)
    client = signed_in(client, region_head)

    # then
    assert client.get(reverse("reach:oversight")).context["oversight"].headline.eligible == "187"
    everything = client.get(reverse("reach:oversight"), {"services": "all"}).context["oversight"]
    assert everything.headline.eligible == "1187"
    assert len(everything.tables["services"].rows) == 3


def _task(citizen, service, region_code, **extra):
    return OutreachTask.objects.create(citizen=citizen, service=service, region_code=region_code, **extra)


def test_overdue_cases_and_outreach_backlog_per_counter(client, region_head, essential):
    # given in Qingxiu (450103) 12 open outreach tasks (one essential), 2 worked, 11 overdue cases; in
    # Xingning (450102) 3 open tasks; in Liuzhou many
    citizen = citizen_make()
    for _ in range(11):
        _task(citizen, essential[0], "450103")
    _task(citizen, essential[1], "450103", essential=True)
    for _ in range(2):
        _task(citizen, essential[0], "450103", outcome=OutreachOutcome.VISITED)
    for _ in range(3):
        _task(citizen, essential[0], "450102")
    for _ in range(20):
        _task(citizen, essential[0], "450202")
    long_ago = timezone.localdate() - datetime.timedelta(days=3)
    for month in range(1, 12):
        Case.objects.create(
            citizen=citizen,
            service=essential[0],
            origin=CaseOrigin.ONLINE,
            period=f"2026-{month:02d}",
            region_code="450103",
            state=CaseState.IN_REVIEW,
            due_on=long_ago,
        )

    # when
    response = signed_in(client, region_head).get(reverse("reach:oversight"))

    # then
    counters = response.context["oversight"].tables["counters"]
    assert [(row["overdue"], row["backlog"], row["essential"]) for row in counters.rows] == [
        ("11", "12", "<10"),
        ("0", "<10", "0"),
    ]
    assert counters.rows[0]["oldest_days"] == "0"
    assert counters.rows[1]["oldest_days"] == "–"


def test_feed_health_per_department(client, region_head, health_feed, db):
    # given two batches of the health department, one with many rows rejected
    now = timezone.now()
    for number, (total, rejected) in enumerate([(1000, 10), (1000, 90)]):
        FeedBatch.objects.create(
            department="health",
            batch_id=f"B{number}",
            account=health_feed,
            format="json",
            rows_total=total,
            rows_accepted=total - rejected,
            rows_rejected=rejected,
        )

    # when
    page = signed_in(client, region_head).get(reverse("reach:oversight"), HTTP_ACCEPT_LANGUAGE="en")
    feeds = page.context["oversight"].tables["feeds"]

    # then: every department that delivers facts is listed, the health department with its figures
    health = next(row for row in feeds.rows if row["batches"] == "2")
    assert (health["rows"], health["rejected"], health["rejection_rate"]) == ("2000", "100", "5.0%")
    assert health["hours_since"] == "0"
    assert timezone.localtime(now).strftime("%Y-%m-%d") in health["last_batch"]
    assert any(row["last_batch"] == "never" for row in feeds.rows)


def test_benefits_held_without_the_right_found_and_resolved(client, region_head, essential):
    # given 12 review cases in Nanning: 10 kept, 2 still open
    citizen = citizen_make()
    reviewed = Case.objects.create(
        citizen=citizen, service=essential[0], period="2026", region_code="450103", state=CaseState.APPROVED
    )
    for number in range(12):
        Case.objects.create(
            citizen=citizen,
            service=essential[0],
            origin=CaseOrigin.REVIEW,
            reviewed_case=reviewed if number == 0 else None,
            period=f"2026-{number}",
            region_code="450103",
            state=CaseState.APPROVED if number < 10 else CaseState.IN_REVIEW,
        )

    # when
    reviews = signed_in(client, region_head).get(reverse("reach:oversight")).context["oversight"].tables["reviews"]

    # then
    assert reviews.rows == [{"found": "12", "open": "<10", "kept": "10", "stopped": "0", "resolved": "10"}]


def test_csv_export_is_suppressed_like_the_page(client, region_head, figures):
    # when
    export = reverse("reach:oversight_export", args=["450100", "groups", "csv"])
    response = signed_in(client, region_head).get(export, HTTP_ACCEPT_LANGUAGE="en")

    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="oversight-450100-groups.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Group", "Eligible", "Eligible for 7 days or more"]
    with translation.override("en"):
        disabled = next(row for row in rows if row[0] == str(groups.VULNERABLE[groups.DISABLED][1]))
    assert disabled[1:5] == ["<10", "<10", "<10", "–"]
    assert all(not cell.isdigit() or int(cell) == 0 or int(cell) >= 10 for row in rows[1:] for cell in row[1:])


def test_json_export_carries_the_day_and_the_suppressed_rows(client, region_head, figures):
    response = signed_in(client, region_head).get(reverse("reach:oversight_export", args=["450100", "areas", "json"]))
    body = json.loads(response.content)
    assert body["region"] == "450100"
    assert body["day"] == "2026-11-30"
    assert body["table"] == "areas"
    assert [column["key"] for column in body["columns"]][:2] == ["area", "eligible"]
    assert [row["eligible"] for row in body["rows"]] == ["67", "120"]


@pytest.mark.parametrize("path", ["/oversight/450100/nothing.csv", "/oversight/450100/areas.xlsx"])
def test_an_unknown_export_is_not_found(client, region_head, figures, path):
    assert signed_in(client, region_head).get(path).status_code == 404


def test_the_page_without_figures_says_so(client, region_head, db):
    response = signed_in(client, region_head).get(reverse("reach:oversight"))
    assert response.status_code == 200
    assert response.context["oversight"].day is None
    assert response.context["oversight"].headline.eligible == "0"


def test_the_page_reads_a_bounded_number_of_queries(client, region_head, figures, django_assert_max_num_queries):
    client = signed_in(client, region_head)
    with django_assert_max_num_queries(30):
        client.get(reverse("reach:oversight"))


def test_the_page_in_chinese(client, region_head, figures):
    client = signed_in(client, region_head)
    response = client.get(reverse("reach:oversight"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    content = response.content.decode()
    assert "南宁市" in content
    assert "7天内触达" in content
