"""WCAG 2.2 AA (axe-core) on every public page, in Chinese, English and elder mode, with screenshots.

Each page is checked at a 414 px wide mobile viewport and saved to
test-artifacts/screenshots/<variant>-<page>.png; the home page is also saved at 1280 px
(<variant>-home-desktop.png).
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import (
    CONTINUE,
    DESKTOP,
    SEE_RESULTS,
    VARIANTS,
    axe_violations,
    broken_references,
    elder_mode_problems,
    screenshot,
    submit,
    violations_report,
)

pytestmark = pytest.mark.e2e

PAGES = {
    "home": "/",
    "services": "/services/",
    "services-elderly": "/services/?life_event=elderly",
    "service-detail": "/services/gx-elderly-allowance/",
    "bundle": "/services/bundles/birth/",
    "screener-start": "/screener/",
}

# An income that is text, not a number: every variant gets a step with an error to check.
NOT_A_NUMBER = "abc"


def check_page(page, variant, name: str, problems: list[str]) -> None:
    """Screenshot the page, then record its axe violations under its name."""
    where = f"{variant.name}-{name} ({page.url})"
    assert page.locator("html").get_attribute("lang") == variant.html_lang, f"{where}: wrong lang"
    assert ("elder" in (page.locator("body").get_attribute("class") or "").split()) == variant.elder
    screenshot(page, variant, name)
    # Content folded away in <details> is checked too.
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    violations = axe_violations(page)
    if violations:
        problems.append(violations_report(where, violations))
    broken = broken_references(page)
    if broken:
        problems.append(f"{where}: references to missing IDs\n  - " + "\n  - ".join(broken))
    if variant.elder and (elder := elder_mode_problems(page)):
        problems.append(f"{where}: elder mode\n  - " + "\n  - ".join(elder))


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_wcag_violations(page_for, site, variant, name):
    page = page_for(variant)
    response = page.goto(site + PAGES[name])
    assert response is not None and response.ok, f"{PAGES[name]} answered {response and response.status}"
    problems: list[str] = []
    check_page(page, variant, name, problems)
    if name == "home":
        page.set_viewport_size(DESKTOP)
        page.reload()
        check_page(page, variant, "home-desktop", problems)
    if problems:
        print("\n\n".join(problems))
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_screener_pages_have_no_wcag_violations(page_for, site, variant):
    """Every screener step (walked with "Continue"), a step with errors, "check your answers", the result."""
    page = page_for(variant)
    page.goto(site + "/screener/")
    submit(page, CONTINUE)
    problems: list[str] = []
    seen_error = False
    number = 1
    while page.locator(SEE_RESULTS).count() == 0:
        assert page.url.endswith(f"/screener/step/{number}/"), page.url
        check_page(page, variant, f"screener-step-{number}", problems)
        if number == 1:
            # A step shown with errors: a negative age (the age question is on the first step), and
            # a radio answer that is not one of the choices (only a tampered form can send it).
            page.locator("#id_age").fill("-1")
            radio = page.locator("input[type=radio]").first
            radio.evaluate("input => { input.value = 'tampered'; input.checked = true; }")
            submit(page, CONTINUE)
            assert page.locator(".error-summary").is_visible()
            check_page(page, variant, "screener-step-1-errors", problems)
            page.locator("#id_age").fill("85")
            seen_error = True
        income = page.locator("#id_household_income_monthly_per_capita")
        if income.count():
            income.fill(NOT_A_NUMBER)
            submit(page, CONTINUE)
            assert page.locator(".error-summary").is_visible()
            check_page(page, variant, f"screener-step-{number}-income-error", problems)
            page.locator("#id_household_income_monthly_per_capita").fill("")
        submit(page, CONTINUE)
        number += 1
        assert number < 40, "the screener does not end"
    assert seen_error
    check_page(page, variant, "screener-check", problems)
    submit(page, SEE_RESULTS)
    check_page(page, variant, "screener-result", problems)
    if problems:
        print("\n\n".join(problems))
    assert not problems, "\n\n".join(problems)
