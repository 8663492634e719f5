"""The browser's Back, Forward and Refresh in the screener, in Chromium at a phone's size (390x844).

Every screener page is a GET of its own address and every form a post answered with a redirect, so that
moving through the history never asks to send a form again ("Confirm Form Resubmission", ERR_CACHE_MISS)
and always shows the step it names with the answers given so far. In Chinese without JavaScript, in English
and in elder mode, with screenshots (test-artifacts/screenshots/<variant>-screener-history-*.png) and
axe-core's WCAG 2.2 AA checks on the pages it changes (axe runs in the page: only where scripts do).
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import CONTINUE, SEE_RESULTS, VARIANTS, submit
from tests.e2e.test_accessibility import check_page
from tests.e2e.test_screener_walk import in_language, start_screener, step_number

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
AGE = "82"


def arrived(response, page, number: int) -> None:
    """A history move or refresh that loaded step `number` by a GET, with no error page."""
    assert response is not None, "the browser loaded nothing (a form it would not send again?)"
    assert response.request.method == "GET" and response.status == 200, (response.request.method, response.status)
    assert step_number(page) == number, page.url
    assert page.locator("main h1").is_visible()
    assert "ERR_CACHE_MISS" not in page.content()


def veteran_answer(page) -> str:
    return page.locator("input[name=is_veteran]:checked").get_attribute("value") or ""


@pytest.mark.parametrize(
    ("variant", "javascript"),
    [(VARIANTS["zh"], False), (VARIANTS["en"], True), (VARIANTS["elder"], True)],
    ids=["zh-no-javascript", "en", "elder"],
)
def test_back_refresh_and_forward_land_on_the_right_step_with_the_answers(new_context, site, variant, javascript):
    problems: list[str] = []
    page = new_context(variant, viewport=PHONE, javascript=javascript).new_page()

    # given a person who answered the age on step 1 and the veteran question on the step that asks it
    start_screener(page, site)
    page.locator("#id_age").fill(AGE)
    submit(page, CONTINUE)
    while page.locator("input[name=is_veteran]").count() == 0:
        submit(page, CONTINUE)
    veteran_step = step_number(page)
    page.locator("input[name=is_veteran][value=false]").check()
    submit(page, CONTINUE)
    after = step_number(page)
    assert after == veteran_step + 1

    # when they press the browser's Back: the veteran step, by a GET, showing the answer given
    arrived(page.go_back(), page, veteran_step)
    assert veteran_answer(page) == "false"
    if javascript:  # axe runs in the page: only where scripts do
        check_page(page, variant, "screener-history-back", problems)

    # and Back again to the first step, then Refresh: the first step again, with the age
    for _ in range(veteran_step - 1):
        page.go_back()
    arrived(page.reload(), page, 1)
    assert page.locator("#id_age").input_value() == AGE

    # and Forward: the later steps, by GETs, the answers still there
    for number in range(2, after + 1):
        arrived(page.go_forward(), page, number)
    arrived(page.reload(), page, after)

    # An answer changed after going back is what the later pages show.
    for _ in range(after - 1):
        page.go_back()
    assert step_number(page) == 1
    page.locator("#id_age").fill("83")
    submit(page, CONTINUE)
    assert step_number(page) == 2
    while page.locator(SEE_RESULTS).count() == 0:
        submit(page, CONTINUE)
    assert re.search(r"\b83\b", page.locator("dl.summary-list").first.inner_text())
    submit(page, SEE_RESULTS)
    assert page.url.endswith("/screener/results/")

    # The results: Refresh shows them again by a GET, and Back goes to "check your answers", no form sent again.
    response = page.reload()
    assert response is not None and response.request.method == "GET" and response.ok
    assert page.url.endswith("/screener/results/")
    response = page.go_back()
    assert response is not None and response.request.method == "GET" and page.url.endswith("/screener/check/")
    response = page.go_forward()
    assert response is not None and page.url.endswith("/screener/results/")
    if javascript:
        check_page(page, variant, "screener-history-results", problems)
    if problems:
        print("\n\n".join(problems))
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_a_maybe_service_links_to_the_step_asking_what_it_needs_and_back_to_the_results(new_context, site, variant):
    problems: list[str] = []
    page = new_context(variant, viewport=PHONE).new_page()

    # given an 82-year-old's results, who has not said where their hukou is
    start_screener(page, site)
    page.locator("#id_age").fill(AGE)
    while page.locator(SEE_RESULTS).count() == 0:
        submit(page, CONTINUE)
    submit(page, SEE_RESULTS)

    # then the old-age allowance is "maybe": its criteria met and needing an answer are listed
    allowance = page.locator("li.result-maybe").filter(has=page.locator("a[href='/services/gx-elderly-allowance/']"))
    assert allowance.count() == 1
    assert allowance.locator(".status-met").count() == 1
    assert allowance.locator(".status-unknown").count() == 1
    check_page(page, variant, "screener-history-maybe", problems)

    # when they follow its link: the step asking for the hukou place
    submit(page, "li.result-maybe:has(a[href='/services/gx-elderly-allowance/']) a[href*='#question-hukou']")
    assert page.url.endswith("?then=results#question-hukou_region_code"), page.url
    assert page.locator("#question-hukou_region_code").is_visible()
    assert page.locator("#id_age").count() == 0 or page.locator("#id_age").input_value() == AGE
    check_page(page, variant, "screener-history-answer-step", problems)

    # and answer it (Qingxiu District of Nanning; scripts refresh the county list): straight back to the results
    assert page.locator("#id_hukou_region_code_province").input_value() == "450000"
    city = page.locator("#id_hukou_region_code_city")
    if city.count():  # the region picker in steps: the city, then its counties
        city.select_option(value="450100")
        page.wait_for_selector("#id_hukou_region_code option[value='450103']", state="attached")
    page.locator("#id_hukou_region_code").select_option(value="450103")
    submit(page, CONTINUE)
    assert page.url.endswith("/screener/results/")
    heading = in_language(variant, "You can get")
    eligible = page.locator(f"xpath=//main//h2[normalize-space(.)='{heading}']/following-sibling::ul[1]")
    assert eligible.locator("a[href='/services/gx-elderly-allowance/']").count() == 1
    assert eligible.locator("li").first.locator("a[href='/services/gx-elderly-allowance/']").count() == 1
    if problems:
        print("\n\n".join(problems))
    assert not problems, "\n\n".join(problems)
