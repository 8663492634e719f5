"""WCAG 2.2 AA (axe-core) on the casework pages and the inbox, in Chinese, English and elder mode.

A birth from the health feed opens a case. A caseworker opens the queue and the case, sends a rejection
without a reason (errors), then a rejection on a version someone else has just approved (409). Once
the case is rejected, the parent opens their cases, the case with its objection form (and its error),
and the inbox. Screenshots go to test-artifacts/screenshots/<variant>-<page>.png.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from profiles.models import ConsentChannel, Role
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from services_portal.casework.models import Case, CaseState
from services_portal.casework.services import case_approve, case_reject
from services_portal.feeds.services import feed_batch_ingest
from tests.e2e.conftest import VARIANTS, submit
from tests.e2e.test_accessibility import check_page
from tests.factories import MODEL_BACKEND, StaffFactory, birth_row, citizen_make

pytestmark = pytest.mark.e2e

REJECT = "form:has(input[name=decision][value=reject]) button[type=submit]"
# the objection's own form: the case page also draws the parts of the apps above (the rating form)
OBJECT = "form[aria-labelledby=objection-heading] button[type=submit]"


def sign_in_as(context, site: str, user) -> None:
    """The browser carries a session made for `user` (signing in through the form has its own tests)."""
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": site}])


def a_case_from_the_health_feed():
    """A Nanning parent's childcare-subsidy case (two approvals needed), and another case in the queue."""
    parent = citizen_make(region_code="450103", name="李华")
    neighbour = citizen_make(region_code="450102", name="王芳")
    for citizen in (parent, neighbour):
        for purpose in (Purpose.DATA_MATCHING, Purpose.SENSITIVE_FACTS, Purpose.PROACTIVE_BENEFITS):
            consent_grant(citizen=citizen, purpose=purpose, channel=ConsentChannel.WEB)
    feed = StaffFactory(username="health-feed", role=Role.DEPARTMENT_FEED, department="health", region_scope="")
    # The transactional test database runs the detection at once, on commit.
    feed_batch_ingest(account=feed, batch_id="H-1", rows=[birth_row(parent), birth_row(neighbour, days_ago=40)])
    return parent, Case.objects.get(citizen=parent)


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_casework_pages_have_no_wcag_violations(new_context, site, variant):
    parent, case = a_case_from_the_health_feed()
    caseworker = StaffFactory(username="nanning-caseworker", role=Role.CASEWORKER, region_scope="450100")
    colleague = StaffFactory(username="guangxi-caseworker", role=Role.CASEWORKER, region_scope="450000")
    problems: list[str] = []

    # The caseworker: the queue, the case, the case with errors, the case after a conflict.
    context = new_context(variant)
    sign_in_as(context, site, caseworker)
    page = context.new_page()
    response = page.goto(site + "/casework/")
    assert response is not None and response.status == 200
    assert page.locator(f"a[href='/casework/{case.pk}/']").count() == 1
    assert page.locator("main .card").count() == 2
    check_page(page, variant, "casework-queue", problems)
    response = page.goto(site + f"/casework/{case.pk}/")
    assert response is not None and response.status == 200
    check_page(page, variant, "casework-case", problems)

    submit(page, REJECT)
    assert page.locator(".error-summary").is_visible()
    check_page(page, variant, "casework-case-errors", problems)

    case_approve(case_id=case.pk, actor=colleague, reason_code="criteria_met", version=case.version)
    page.locator("input[name=reason_code][value=data_wrong]").check()
    with page.expect_navigation() as navigation:
        page.locator(REJECT).click()
    assert navigation.value.status == 409
    assert page.locator("[role=alert]").is_visible()
    check_page(page, variant, "casework-case-conflict", problems)

    # The parent, once the case is rejected: their cases, the case, its objection's error, the inbox.
    case_reject(case_id=case.pk, actor=caseworker, reason_code="other", text="出生信息待核实", version=2)
    assert Case.objects.get(pk=case.pk).state == CaseState.REJECTED
    context = new_context(variant)
    sign_in_as(context, site, parent.user)
    page = context.new_page()
    page.goto(site + "/me/cases/")
    check_page(page, variant, "my-cases", problems)
    page.goto(site + f"/me/cases/{case.pk}/")
    check_page(page, variant, "my-case", problems)
    submit(page, OBJECT)
    assert page.locator(".error-summary").is_visible()
    check_page(page, variant, "my-case-errors", problems)
    page.goto(site + "/me/inbox/")
    assert page.locator("form[action$='/read/']").count() == 1
    check_page(page, variant, "inbox", problems)

    if problems:
        print("\n\n".join(problems))
    assert not problems, "\n\n".join(problems)
