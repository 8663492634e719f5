"""WCAG 2.2 AA (axe-core) on the "for you" page, in Chinese, English and elder mode, with the real ranking.

A 70-year-old who allows personalisation opens their suggestions, dismisses the first (gone on the next
load), opens a suggested service and saves it; a neighbour who has not agreed to personalisation sees
the list everyone in their region sees, with the way to agree. Last, the buttons work without
JavaScript. Screenshots go to test-artifacts/screenshots/<variant>-<page>.png.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from profiles.models import ConsentChannel, FactSource
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from profiles.services.facts import fact_record
from recommender.models import Interaction, InteractionChannel, InteractionKind
from tests.e2e.conftest import VARIANTS, submit
from tests.e2e.test_accessibility import check_page
from tests.e2e.test_casework_pages import sign_in_as
from tests.factories import citizen_make

pytestmark = pytest.mark.e2e

CARDS = "main ol.results > li"
FIRST_CARD = "main ol.results > li:first-child"


def a_person_aged_70(*, name: str = "李华", personalisation: bool = True):
    """A Nanning 70-year-old, with a fact they told and one from a department."""
    citizen = citizen_make(name=name)
    consent_grant(citizen=citizen, purpose=Purpose.DATA_MATCHING, channel=ConsentChannel.WEB)
    if personalisation:
        consent_grant(citizen=citizen, purpose=Purpose.PERSONALISATION, channel=ConsentChannel.WEB)
    born = (timezone.localdate() - datetime.timedelta(days=365 * 70)).isoformat()
    fact_record(citizen=citizen, key="birth_date", value=born, source=FactSource.SELF_DECLARED)
    department = {"source": FactSource.DEPARTMENT_FEED, "department": "public_security"}
    fact_record(citizen=citizen, key="hukou_type", value="urban", **department)
    return citizen


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_for_you_pages_have_no_wcag_violations(new_context, site, variant):
    person = a_person_aged_70()
    neighbour = a_person_aged_70(name="王芳", personalisation=False)
    problems: list[str] = []

    # The suggestions, each with its reasons; fewer of them in elder mode.
    context = new_context(variant)
    sign_in_as(context, site, person.user)
    page = context.new_page()
    response = page.goto(site + "/me/for-you/")
    assert response is not None and response.ok, f"/me/for-you/ answered {response and response.status}"
    count = page.locator(CARDS).count()
    assert 0 < count <= (3 if variant.elder else 10)
    assert page.locator(f"{CARDS} .provenance").count() > 0, "no reason shows a fact's source"
    check_page(page, variant, "for-you", problems)

    # Dismiss the first: it is gone on the next load, and the person is told.
    first = page.locator(f"{FIRST_CARD} input[name=service]").get_attribute("value")
    submit(page, f"{FIRST_CARD} button[value=dismiss]")
    assert page.url == site + "/me/for-you/"
    assert page.locator("main .notices").is_visible()
    assert page.locator(f"input[name=service][value='{first}']").count() == 0
    check_page(page, variant, "for-you-dismissed", problems)

    # Open the next suggestion (a view is recorded), save it from its page.
    following = page.locator(f"{FIRST_CARD} input[name=service]").get_attribute("value")
    submit(page, f"{FIRST_CARD} h2 a")
    assert page.url == f"{site}/services/{following}/"
    submit(page, "main form button[value=save]")
    assert page.url == f"{site}/services/{following}/" and page.locator("main .notices").is_visible()
    check_page(page, variant, "for-you-service-saved", problems)
    kinds = set(Interaction.objects.filter(citizen=person).values_list("service__code", "kind", "channel"))
    assert kinds == {
        (first, InteractionKind.DISMISS, InteractionChannel.WEB),
        (following, InteractionKind.VIEW, InteractionChannel.WEB),
        (following, InteractionKind.SAVE, InteractionChannel.WEB),
    }

    # The neighbour without consent: the list everyone in the region sees, and where to agree.
    context = new_context(variant)
    sign_in_as(context, site, neighbour.user)
    page = context.new_page()
    page.goto(site + "/me/for-you/")
    assert page.locator("main .panel a[href='/me/consents/']").count() == 1
    check_page(page, variant, "for-you-not-personalised", problems)

    if problems:
        print("\n\n".join(problems))
    assert not problems, "\n\n".join(problems)


def test_the_buttons_work_without_javascript(new_context, site):
    person = a_person_aged_70()
    context = new_context(VARIANTS["zh"], javascript=False)
    sign_in_as(context, site, person.user)
    page = context.new_page()
    page.goto(site + "/me/for-you/")
    first = page.locator(f"{FIRST_CARD} input[name=service]").get_attribute("value")
    submit(page, f"{FIRST_CARD} button[value=not_relevant]")
    assert page.url == site + "/me/for-you/"
    assert page.locator(f"input[name=service][value='{first}']").count() == 0
    assert Interaction.objects.filter(citizen=person, service__code=first, kind=InteractionKind.NOT_RELEVANT).exists()
