"""The operator's view (态势感知) and the algorithm's public page in Chromium, in Chinese, English and elder
mode: no WCAG violations, ECharts (served by the portal) drawing a chart beside each table, and a region
head drilling down from their city to a county. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from profiles.models import Role
from services_portal.catalog.models import ServiceItem
from services_portal.reach import groups
from services_portal.reach.models import ReachFigure
from tests.e2e.conftest import VARIANTS
from tests.e2e.test_accessibility import check_page
from tests.e2e.test_casework_pages import sign_in_as
from tests.factories import StaffFactory

pytestmark = pytest.mark.e2e


def a_fortnight_of_figures() -> None:
    """Nanning's two counties over 14 days, everyone and three groups (one too small to show)."""
    today = timezone.localdate()
    services = list(ServiceItem.objects.filter(essential=True).order_by("code")[:2])
    counts = {
        groups.ALL: (300, 270),
        groups.ELDERLY_80: (60, 45),
        groups.OFFLINE: (40, 36),
        groups.DISABLED: (6, 6),  # under 10: shown as "<10"
    }
    for days_ago in range(14):
        for region_code in ("450102", "450103"):
            for service in services:
                for group, (eligible, reached) in counts.items():
                    ReachFigure.objects.create(
                        on=today - datetime.timedelta(days=days_ago),
                        region_code=region_code,
                        service=service,
                        group=group,
                        eligible=eligible,
                        due=eligible,
                        reached_in_time=max(reached - days_ago, 0),
                        applied=reached // 2,
                        delivered=reached // 3,
                    )


def charts_drawn(page) -> int:
    """How many chart boxes ECharts drew into (its SVG renderer: an svg each, with the bars or lines)."""
    page.wait_for_function("window.echarts !== undefined")
    page.wait_for_selector(".chart svg path", state="attached")
    return page.locator(".chart svg").count()


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_a_region_head_drills_down_with_no_wcag_violations(new_context, site, variant):
    a_fortnight_of_figures()
    head = StaffFactory(username="nanning-head", role=Role.REGION_HEAD, region_scope="450100")
    problems: list[str] = []

    context = new_context(variant)
    sign_in_as(context, site, head)
    page = context.new_page()
    response = page.goto(site + "/oversight/")
    assert response is not None and response.status == 200
    assert charts_drawn(page) >= 2, "ECharts drew no charts"
    assert page.locator("table.data-table").count() >= 3  # a table beside every chart
    assert "<10" in page.locator("main").inner_text()
    check_page(page, variant, "oversight-city", problems)

    page.locator("th a[href^='/oversight/450103/']").first.click()
    page.wait_for_url("**/oversight/450103/**")
    assert charts_drawn(page) >= 1
    check_page(page, variant, "oversight-county", problems)

    assert page.goto(site + "/oversight/450200/").status == 404  # Liuzhou: not theirs

    if problems:
        print("\n\n".join(problems))
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_the_algorithm_page_has_no_wcag_violations(page_for, site, variant):
    page = page_for(variant)
    response = page.goto(site + "/algorithm/")
    assert response is not None and response.ok
    problems: list[str] = []
    check_page(page, variant, "algorithm", problems)
    if problems:
        print("\n\n".join(problems))
    assert not problems, "\n\n".join(problems)
