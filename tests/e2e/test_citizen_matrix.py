"""Every citizen page at 390x844 and at 1280x900, in Chinese, English and elder mode (issue 16's matrix):
zero WCAG 2.2 AA violations (axe-core), no horizontal scroll, and in elder mode every visible interactive
element at least 60x60 CSS px (MIIT 适老化; a radio's or checkbox's target is its label).

One browser context per variant, reused for every page and both sizes, so that the matrix stays fast:
the visitor's pages first, signed out, then a mother of a newborn with an application, a case, a message
and her consents signs in. Screenshots go to test-artifacts/screenshots/<variant>-matrix-<size>-<page>.png.
The figures (the smallest target per variant, pages checked) are printed.
"""

from __future__ import annotations

import time

import pytest
from django.utils.translation import gettext_lazy

from profiles.models import ConsentChannel
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from services_portal.notifications.models import NotificationKind
from services_portal.notifications.services.inbox import notification_create
from tests.e2e.conftest import (
    CONTINUE,
    DESKTOP,
    ELDER_TARGET_PX,
    SEE_RESULTS,
    VARIANTS,
    axe_violations,
    broken_references,
    screenshot,
    submit,
    targets_measured,
)
from tests.e2e.test_casework_pages import sign_in_as
from tests.factories import mother_of_a_newborn
from tests.recommender.test_applications_interactions import apply

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
SIZES = {"phone": PHONE, "desktop": DESKTOP}

# Pages anyone sees, signed out.
VISITOR_PAGES = {
    "home": "/",
    "services": "/services/",
    "life-event": "/services/?life_event=elderly",
    "service": "/services/gx-elderly-allowance/",
    "bundle": "/services/bundles/birth/",
    "algorithm": "/algorithm/",
    "sign-in": "/account/login/",
    "sign-up": "/account/signup/",
    "password-reset": "/account/password-reset/",
}

# A signed-in citizen's pages; {case} and {application} are filled in.
CITIZEN_PAGES = {
    "profile": "/me/",
    "facts-edit": "/me/facts/",
    "tags": "/me/tags/",
    "consents": "/me/consents/",
    "for-you": "/me/for-you/",
    "inbox": "/me/inbox/",
    "my-cases": "/me/cases/",
    "case": "/me/cases/{case}/",
    "application": "/me/applications/{application}/",
    "apply-service": "/services/gx-childcare-subsidy/apply/",
    "apply-bundle": "/bundles/birth/apply/",
    "bank-account": "/me/bank-account/",
    "access-log": "/me/access-log/",
    "export": "/me/export/",
    "devices": "/me/devices/",
    "verify": "/account/verify/",
    "password-change": "/account/password/",
    "close": "/me/close/",
}


class Matrix:
    """One variant's run: its page, the problems found, and the figures to print."""

    def __init__(self, page, variant, site: str) -> None:
        self.page, self.variant, self.site = page, variant, site
        self.problems: list[str] = []
        self.checked = 0
        self.smallest: tuple[float, str] = (float("inf"), "")

    def visit(self, name: str, path: str) -> None:
        response = self.page.goto(self.site + path)
        assert response is not None and response.ok, f"{path} answered {response and response.status}"
        self.check(name)

    def check(self, name: str) -> None:
        page, variant = self.page, self.variant
        size = "phone" if page.viewport_size["width"] == PHONE["width"] else "desktop"
        where = f"{variant.name}-{size}-{name} ({page.url})"
        assert page.locator("html").get_attribute("lang") == variant.html_lang, f"{where}: wrong lang"
        assert ("elder" in (page.locator("body").get_attribute("class") or "").split()) == variant.elder, where
        screenshot(page, variant, f"matrix-{size}-{name}")
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        self.checked += 1
        scroll = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll[0] > scroll[1]:
            self.problems.append(f"{where}: scrolls sideways ({scroll[0]}px wide in a {scroll[1]}px window)")
        for violation in axe_violations(page):
            self.problems.append(
                f"{where}: {violation['id']} [{violation['impact']}] {violation['help']}: "
                f"{', '.join(violation['targets'])}\n    {violation['summary']}"
            )
        self.problems += [f"{where}: reference to a missing ID: {broken}" for broken in broken_references(page)]
        for target in targets_measured(page):
            smaller = min(target["width"], target["height"])
            if smaller < self.smallest[0]:
                self.smallest = (smaller, f"{where}: {target['what']}")
            if variant.elder and smaller < ELDER_TARGET_PX - 0.5:
                self.problems.append(
                    f"{where}: target {target['width']:.0f}x{target['height']:.0f}px, under "
                    f"{ELDER_TARGET_PX}x{ELDER_TARGET_PX}: {target['what']}"
                )

    def screener(self) -> None:
        """The screener's start, its first step, and its result (every step has its own test)."""
        self.visit("screener-start", "/screener/")
        submit(self.page, CONTINUE)
        self.check("screener-step")
        for _ in range(40):
            if self.page.locator(SEE_RESULTS).count():
                break
            submit(self.page, CONTINUE)
        submit(self.page, SEE_RESULTS)
        self.check("screener-result")


def a_mother_with_an_application():
    """李华, whose baby's birth the health department delivered: she applied for the newborn's hukou,
    allows personalisation, and has a message."""
    mother = mother_of_a_newborn()
    consent_grant(citizen=mother, purpose=Purpose.PERSONALISATION, channel=ConsentChannel.WEB)
    case = apply(mother, "gx-newborn-hukou")
    notification_create(
        citizen=mother,
        kind=NotificationKind.SERVICE_FOR_YOU,
        idempotency_key="matrix-1",
        title=gettext_lazy("A service for you"),
        body=gettext_lazy("A service for you"),
        link="/services/gx-childcare-subsidy/",
    )
    return mother, case


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_every_citizen_page_in_every_size(new_context, site, variant):
    mother, case = a_mother_with_an_application()
    pages = {name: path.format(case=case.pk, application=case.application_id) for name, path in CITIZEN_PAGES.items()}
    started = time.monotonic()
    context = new_context(variant, viewport=PHONE)
    run = Matrix(context.new_page(), variant, site)

    for size in SIZES.values():
        run.page.set_viewport_size(size)
        for name, path in VISITOR_PAGES.items():
            run.visit(name, path)
        run.screener()
    sign_in_as(context, site, mother.user)
    for size in SIZES.values():
        run.page.set_viewport_size(size)
        for name, path in pages.items():
            run.visit(name, path)

    print(
        f"\n{variant.name}: {run.checked} pages x sizes checked in {time.monotonic() - started:.0f}s; "
        f"smallest target {run.smallest[0]:.0f}px ({run.smallest[1]})"
    )
    if run.problems:
        print("\n".join(run.problems))
    assert run.checked == 2 * (len(VISITOR_PAGES) + 3 + len(CITIZEN_PAGES))
    assert not run.problems, f"{len(run.problems)} problem(s):\n" + "\n".join(run.problems)
