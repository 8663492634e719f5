"""A visitor's way through the portal in a real browser: the screener, its errors, and the switches.

Expected words are looked up with gettext in the page's language, so the tests hold whether or not
the message catalogs are compiled, and whatever the translators choose.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from services_portal.catalog.models import ServiceItem
from services_portal.reference import regions
from tests.e2e.conftest import CONTINUE, SEE_RESULTS, VARIANTS, submit

pytestmark = pytest.mark.e2e

DJANGO_LANGUAGE = {"zh-Hans": "zh-hans", "en": "en"}
NANNING_QINGXIU = "450103"
ALLOWANCE = "gx-elderly-allowance"


def in_language(variant, text: str) -> str:
    """A source string as the page shows it in the variant's language."""
    with translation.override(DJANGO_LANGUAGE[variant.html_lang]):
        return str(translation.gettext(text))


def step_number(page) -> int:
    """The step a page is, from its address (/screener/step/<number>/)."""
    match = re.search(r"/screener/step/(\d+)/", page.url)
    assert match, f"not a screener step: {page.url}"
    return int(match.group(1))


def start_screener(page, site: str) -> None:
    """From the home page, as a visitor would: the main call to action, then "Start now"."""
    page.goto(site + "/")
    submit(page, "main a.button[href='/screener/']")
    assert page.url.endswith("/screener/")
    submit(page, CONTINUE)
    assert step_number(page) == 1


def choose_county(page, key: str, county: str, *, javascript: bool) -> None:
    """A Guangxi county in a region question: its city first, then the county, from the list that scripts
    refresh, or without them from the step itself once "Continue" and the step's "Back" bring it back."""
    page.locator(f"#id_{key}_city").select_option(value=county[:4] + "00")
    if javascript:
        page.wait_for_selector(f"#id_{key} option[value='{county}']", state="attached")
    else:
        number = step_number(page)
        submit(page, CONTINUE)
        submit(page, "button[name=action][value=back]")
        assert step_number(page) == number
    page.locator(f"#id_{key}").select_option(value=county)


def continue_to(page, selector: str) -> None:
    """Click "Continue", skipping questions, until the step that has `selector`."""
    for _ in range(40):
        if page.locator(selector).count():
            return
        assert page.locator(SEE_RESULTS).count() == 0, f"no step asks {selector}"
        submit(page, CONTINUE)
    raise AssertionError(f"no step asks {selector}")


def summary_value(page, label: str) -> str:
    row = page.locator("dl.summary-list > div").filter(has=page.locator("dt").get_by_text(label, exact=True))
    assert row.count() == 1, f"'check your answers' has no single row for {label!r}"
    return row.locator("dd").inner_text().strip()


@pytest.mark.parametrize(
    ("variant", "javascript"),
    [(VARIANTS["zh"], False), (VARIANTS["en"], True)],
    ids=["zh-no-javascript", "en-javascript"],
)
def test_walk_to_result(page_for, site, variant, javascript):
    page = page_for(variant, javascript=javascript)
    start_screener(page, site)
    answered = set()
    while page.locator(SEE_RESULTS).count() == 0:
        if page.locator("#id_age").count():
            page.locator("#id_age").fill("85")
            answered.add("age")
        if page.locator("#id_hukou_region_code").count():
            choose_county(page, "hukou_region_code", NANNING_QINGXIU, javascript=javascript)
            answered.add("hukou")
        number = step_number(page)
        submit(page, CONTINUE)
        assert page.locator(".error-summary").count() == 0, f"step {number} refused the answers"
    assert answered == {"age", "hukou"}

    # Check your answers: what was given is listed, in the page's language; the rest is "not answered".
    assert page.locator("html").get_attribute("lang") == variant.html_lang
    assert summary_value(page, in_language(variant, "Age")) == "85"
    with translation.override(DJANGO_LANGUAGE[variant.html_lang]):
        hukou_label = str(translation.gettext("Household registration (hukou) place"))
        qingxiu = regions.display_name(NANNING_QINGXIU)
    if variant.name == "zh":
        assert qingxiu == "南宁市青秀区"
    assert summary_value(page, hukou_label) == qingxiu
    assert summary_value(page, in_language(variant, "Sex")) == in_language(variant, "Not answered")
    # One section per topic, even where a topic's questions took several steps.
    headings = page.locator("main h2").all_inner_texts()
    assert len(headings) == len(set(headings)), headings
    changes = page.locator("main a[href$='?then=check']").all_inner_texts()
    assert len(changes) == len(set(changes)) == len(headings), changes

    submit(page, SEE_RESULTS)
    assert page.locator("h1").inner_text().strip() == in_language(variant, "What you can get")
    heading = in_language(variant, "You can get")
    eligible = page.locator(f"xpath=//main//h2[normalize-space(.)='{heading}']/following-sibling::ul[1]")
    assert eligible.count() == 1, "no list under the eligible heading"
    link = eligible.locator(f"a[href='/services/{ALLOWANCE}/']")
    assert link.count() == 1, f"{ALLOWANCE} is not listed as eligible:\n{eligible.inner_text()}"
    service = ServiceItem.objects.get(code=ALLOWANCE)
    assert link.inner_text().strip() == (service.name_en if variant.name == "en" else service.name_zh)
    with page.expect_navigation():
        link.click()
    assert page.url.endswith(f"/services/{ALLOWANCE}/")


@pytest.mark.parametrize("variant", [VARIANTS["zh"], VARIANTS["en"]], ids=["zh", "en"])
def test_invalid_answers_are_shown_on_the_page(page_for, site, variant):
    page = page_for(variant, javascript=False)
    start_screener(page, site)

    page.locator("#id_age").fill("-3")
    submit(page, CONTINUE)
    assert step_number(page) == 1, "a wrong answer must keep the visitor on its step"
    assert_error_shown(page, variant, "age", "-3", in_language(variant, "The value cannot be negative."))

    page.locator("#id_age").fill("")
    continue_to(page, "#id_household_income_monthly_per_capita")
    number = step_number(page)
    page.locator("#id_household_income_monthly_per_capita").fill("about 900")
    submit(page, CONTINUE)
    assert step_number(page) == number
    assert_error_shown(
        page,
        variant,
        "household_income_monthly_per_capita",
        "about 900",
        in_language(variant, "Enter an amount in yuan, for example 850."),
    )


def assert_error_shown(page, variant, key: str, entered: str, message: str) -> None:
    assert page.locator("html").get_attribute("lang") == variant.html_lang
    assert page.title().startswith(in_language(variant, "Error")), page.title()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert summary.get_attribute("role") == "alert"
    summary_link = summary.locator(f"a[href='#id_{key}']")
    assert summary_link.count() == 1
    assert message in summary_link.inner_text()
    field = page.locator(f"#id_{key}")
    assert field.input_value() == entered, "the wrong answer is kept for correcting"
    assert field.get_attribute("aria-invalid") == "true"
    assert f"id_{key}_error" in (field.get_attribute("aria-describedby") or "").split()
    assert page.locator(f"#id_{key}_error").inner_text().strip() == message
    assert page.locator(f".field-error:has(#id_{key})").count() == 1


def body_classes(page) -> list[str]:
    return (page.locator("body").get_attribute("class") or "").split()


def menu_open(page) -> None:
    """On a phone the switches and the menu are behind the header's menu button."""
    button = page.locator("summary.header-menu-button")
    if button.is_visible():
        button.click()


def test_elder_mode_switch_stays_on(page_for, site):
    page = page_for(VARIANTS["zh"])
    page.goto(site + "/services/")
    assert "elder" not in body_classes(page)
    switch = page.locator("button[name=elder_mode]")
    assert switch.get_attribute("aria-pressed") == "false"
    menu_open(page)
    submit(page, "button[name=elder_mode]")
    assert page.url.endswith("/services/")
    assert "elder" in body_classes(page)
    assert page.locator("button[name=elder_mode]").get_attribute("aria-pressed") == "true"

    # It stays on from page to page.
    menu_open(page)
    submit(page, "nav.site-nav a[href='/']")
    assert "elder" in body_classes(page)
    menu_open(page)
    submit(page, "nav.site-nav a[href='/screener/']")
    assert "elder" in body_classes(page)

    menu_open(page)
    submit(page, "button[name=elder_mode]")
    assert page.url.endswith("/screener/")
    assert "elder" not in body_classes(page)
    assert page.locator("button[name=elder_mode]").get_attribute("aria-pressed") == "false"
    page.goto(site + "/")
    assert "elder" not in body_classes(page)


def test_language_switch(page_for, site):
    page = page_for(VARIANTS["zh"])
    page.goto(site + "/services/?life_event=elderly")
    html = page.locator("html")
    assert html.get_attribute("lang") == "zh-Hans"
    english = page.locator("button[name=language]")
    assert english.get_attribute("lang") == "en"
    menu_open(page)
    submit(page, "button[name=language]")
    assert page.url.endswith("/services/?life_event=elderly")
    assert html.get_attribute("lang") == "en"

    # The choice is remembered over the browser's Chinese.
    menu_open(page)
    submit(page, "nav.site-nav a[href='/']")
    assert html.get_attribute("lang") == "en"

    chinese = page.locator("button[name=language]")
    assert chinese.get_attribute("lang") == "zh-Hans"
    menu_open(page)
    submit(page, "button[name=language]")
    assert html.get_attribute("lang") == "zh-Hans"
