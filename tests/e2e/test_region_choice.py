"""The region question outside Guangxi, in Chromium: the province list refreshes the county list (or, without
scripts, the province alone is the answer), by keyboard, in Chinese, English and elder mode.
Screenshots go to test-artifacts/screenshots/<variant>-region-*.png."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import CONTINUE, SEE_RESULTS, VARIANTS, screenshot, submit
from tests.e2e.test_accessibility import check_page
from tests.e2e.test_screener_walk import start_screener, step_number

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
    page.locator("label[for=id_hukou_region_code_province]").first.click()
    assert page.evaluate("document.activeElement.id") == "id_hukou_region_code_province"
    # when Guangdong is chosen, the second list offers Guangdong's counties
    page.locator("#id_hukou_region_code_province").select_option(value="440000")
    page.wait_for_selector("#id_hukou_region_code option[value='440106']", state="attached")
    assert page.locator("#id_hukou_region_code option[value='450103']").count() == 0
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_hukou_region_code"
    page.locator("#id_hukou_region_code").select_option(value="440106")
    screenshot(page, variant, "region-guangdong-chosen")
    number = step_number(page)

    # then the answer is kept through the steps and shown on the check page with its province
    submit(page, CONTINUE)
    assert page.locator(".error-summary").count() == 0, f"step {number} refused 440106"
    while page.locator(SEE_RESULTS).count() == 0:
        submit(page, CONTINUE)
    expected = "Tianhe District, Guangzhou City, Guangdong Province" if variant.name == "en" else "广东省广州市天河区"
    assert expected in page.locator("main").inner_text()


def test_without_scripts_the_province_is_the_answer_and_its_counties_come_next(page_for, site):
    variant = VARIANTS["zh"]
    page = page_for(variant, javascript=False)
    step_with_hukou(page, site)
    page.locator("#id_hukou_region_code_province").select_option(value="110000")
    # the county list did not change: the province alone is sent
    assert page.locator("#id_hukou_region_code option[value='110101']").count() == 0
    number = step_number(page)
    submit(page, CONTINUE)
    assert page.locator(".error-summary").count() == 0, f"step {number} refused 110000"
    submit(page, "button[name=action][value=back]")
    assert page.locator("#id_hukou_region_code_province").input_value() == "110000"
    assert page.locator("#id_hukou_region_code option[value='110101']").count() == 1
    screenshot(page, variant, "region-beijing-no-javascript")
