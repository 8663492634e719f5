"""The region question in Chromium, in two steps: the city, then its counties. Another province's list
refreshes the city list, a city refreshes the county list (or, without scripts, the city alone is the answer
and the page comes back with its counties), by keyboard, in Chinese, English and elder mode.
Screenshots go to test-artifacts/screenshots/<variant>-region-*.png."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import CONTINUE, SEE_RESULTS, VARIANTS, screenshot, submit
from tests.e2e.test_accessibility import check_page
from tests.e2e.test_screener_walk import start_screener

pytestmark = pytest.mark.e2e


def step_with_hukou(page, site) -> None:
    start_screener(page, site)
    while page.locator("#id_hukou_region_code").count() == 0:
        assert page.locator(SEE_RESULTS).count() == 0, "no step asks for the hukou place"
        submit(page, CONTINUE)


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_a_guangdong_county_is_chosen_by_keyboard(page_for, site, variant):
    page = page_for(variant)
    step_with_hukou(page, site)
    problems: list[str] = []
    check_page(page, variant, "region-screener-step", problems)
    assert not problems, "\n".join(problems)

    # given the province list, reached by keyboard from the question's label
    # (check_page opened every details element, the phone's header menu too, which covers the page)
    page.evaluate("document.querySelectorAll('details[open]').forEach(d => { d.open = false; })")
    page.locator("label[for=id_hukou_region_code_province]").first.click()
    assert page.evaluate("document.activeElement.id") == "id_hukou_region_code_province"
    # and before anything is chosen, the county list waits for a city: no list of every county
    assert page.locator("#id_hukou_region_code option").count() == 1
    assert page.locator("#id_hukou_region_code_city option").count() == 1 + 14
    # when Guangdong is chosen, the city list offers Guangdong's cities
    page.locator("#id_hukou_region_code_province").select_option(value="440000")
    page.wait_for_selector("#id_hukou_region_code_city option[value='440100']", state="attached")
    assert page.locator("#id_hukou_region_code_city option[value='450100']").count() == 0
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_hukou_region_code_city"
    # and when Guangzhou is chosen, the county list offers Guangzhou's districts, and only them
    page.locator("#id_hukou_region_code_city").select_option(value="440100")
    page.wait_for_selector("#id_hukou_region_code option[value='440106']", state="attached")
    assert page.locator("#id_hukou_region_code option").count() == 1 + 11
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_hukou_region_code"
    page.locator("#id_hukou_region_code").select_option(value="440106")
    screenshot(page, variant, "region-guangdong-chosen")
    step = page.url

    # then the answer is kept through the steps and shown on the check page with its province
    submit(page, CONTINUE)
    assert page.locator(".error-summary").count() == 0, f"{step} refused 440106"
    while page.locator(SEE_RESULTS).count() == 0:
        submit(page, CONTINUE)
    expected = "Tianhe District, Guangzhou City, Guangdong Province" if variant.name == "en" else "广东省广州市天河区"
    assert expected in page.locator("main").inner_text()


def test_without_scripts_the_city_is_the_answer_and_its_counties_come_next(page_for, site):
    variant = VARIANTS["zh"]
    page = page_for(variant, javascript=False)
    step_with_hukou(page, site)
    page.locator("#id_hukou_region_code_city").select_option(value="450200")
    # the county list did not change: the city alone is sent
    assert page.locator("#id_hukou_region_code option[value='450202']").count() == 0
    step = page.url
    submit(page, CONTINUE)
    assert page.locator(".error-summary").count() == 0, f"{step} refused 450200"
    screenshot(page, variant, "region-liuzhou-no-javascript")
    while page.locator(SEE_RESULTS).count() == 0:
        submit(page, CONTINUE)
    assert "柳州市" in page.locator("main").inner_text()


def test_without_scripts_the_facts_page_comes_back_with_the_citys_counties(page_for, site):
    from tests.e2e.test_casework_pages import sign_in_as
    from tests.factories import citizen_make

    variant = VARIANTS["elder"]
    page = page_for(variant, javascript=False)
    sign_in_as(page.context, site, citizen_make(name="李华").user)
    page.goto(site + "/me/facts/")
    # given the city chosen, its county list cannot follow without scripts
    page.locator("#id_region_code_city").select_option(value="450200")
    assert page.locator("#id_region_code option").count() == 1
    submit(page, "main form[action='/me/facts/'] > button[type=submit]")
    # then the page comes back to the question with the city's counties
    assert page.url.endswith("/me/facts/#id_region_code")
    assert page.locator("#id_region_code_city").input_value() == "450200"
    page.locator("#id_region_code").select_option(value="450202")
    screenshot(page, variant, "region-facts-no-javascript")
    submit(page, "main form[action='/me/facts/'] > button[type=submit]")
    assert page.url.endswith("/me/")
    assert "柳州市城中区" in page.locator("main").inner_text()
