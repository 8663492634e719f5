"""WCAG 2.2 AA (axe-core) on the counter desk, in Chinese, English and elder mode.

Counter staff of Qingxiu District look up an 86-year-old (first without a purpose: errors), open their
services, check one, record facts and consents, make the take-home checklist (also as it prints), then
work the outreach list and a task's outcome form. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import pytest

from profiles.models import FactSource, Role
from services_portal.catalog.models import ServiceItem
from services_portal.counter.models import OutreachTask
from tests.e2e.conftest import VARIANTS, screenshot, submit
from tests.e2e.test_accessibility import check_page
from tests.e2e.test_casework_pages import sign_in_as
from tests.factories import StaffFactory, citizen_make

pytestmark = pytest.mark.e2e

LOOK_UP = "form[role=search] button[type=submit]"


def an_elder_and_their_outreach_task():
    from profiles.services.facts import fact_record

    person = citizen_make(region_code="450103", name="黄秀英")
    person.phone = "13800001111"
    person.save(update_fields=["phone"])
    for key, value in (("birth_date", "1940-03-01"), ("hukou_region_code", "450103")):
        fact_record(citizen=person, key=key, value=value, source=FactSource.SELF_DECLARED)
    for code, essential in (("gx-elderly-allowance", False), ("gx-dibao", True)):
        OutreachTask.objects.create(
            citizen=person,
            service=ServiceItem.objects.get(code=code),
            region_code="450103",
            essential=essential,
            reason="Not online for 90 days",
        )
    return person


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_counter_pages_have_no_wcag_violations(new_context, site, variant):
    person = an_elder_and_their_outreach_task()
    staff = StaffFactory(username="qingxiu-counter", role=Role.COUNTER_STAFF, region_scope="450103")
    problems: list[str] = []
    context = new_context(variant)
    sign_in_as(context, site, staff)
    page = context.new_page()

    # The look-up, with the main menu's link to it.
    response = page.goto(site + "/counter/")
    assert response is not None and response.status == 200
    assert page.locator(".site-nav a[href='/counter/'][aria-current=page]").count() == 1
    check_page(page, variant, "counter-lookup", problems)
    page.fill("input[name=resident_id]", person.resident_id)
    submit(page, LOOK_UP)
    assert page.locator(".error-summary").is_visible()
    check_page(page, variant, "counter-lookup-errors", problems)
    page.locator("input[name=purpose][value=counter_service]").check()
    submit(page, LOOK_UP)
    assert "/counter/visit/" in page.url and person.resident_id not in page.url

    # The person's services, with one service checked the screener way.
    visit = page.url
    assert page.locator("main .result").count() >= 1
    check_page(page, variant, "counter-person", problems)
    page.select_option("select[name=service]", "gx-dibao")
    submit(page, "form[method=get] button[type=submit]")
    assert page.locator("#check-result").is_visible()
    check_page(page, variant, "counter-person-check", problems)

    # Facts, consents and the checklist (on screen, then as it prints on A4).
    page.goto(visit + "facts/")
    check_page(page, variant, "counter-facts", problems)
    page.goto(visit + "consents/")
    check_page(page, variant, "counter-consents", problems)
    page.goto(visit + "checklist/?service=gx-elderly-allowance&service=gx-elderly-preferential-card")
    assert page.locator(".checklist-item").count() == 2
    check_page(page, variant, "counter-checklist", problems)
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible() and not page.locator("form").first.is_visible()
    assert page.locator(".checklist").is_visible()
    screenshot(page, variant, "counter-checklist-print")
    page.emulate_media(media="screen")
    pdf = page.request.get(site + page.locator("a[href*='checklist.pdf']").get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF-")

    # The outreach list and a task's outcome form (with its errors).
    page.goto(site + "/counter/outreach/")
    assert page.locator("main .card").count() == 2
    check_page(page, variant, "counter-outreach", problems)
    page.locator("main .card a").first.click()
    page.wait_for_load_state()
    check_page(page, variant, "counter-outreach-task", problems)
    submit(page, "form[aria-labelledby=outcome-heading] button[type=submit]")
    assert page.locator(".error-summary").is_visible()
    check_page(page, variant, "counter-outreach-task-errors", problems)

    if problems:
        print("\n\n".join(problems))
    assert not problems, "\n\n".join(problems)
