"""The next best question in a real browser: asked with the results, then first when answering more.

In Chinese, English and elder mode, with screenshots (test-artifacts/screenshots/<variant>-screener-next-*.png)
and axe-core's WCAG 2.2 AA checks on the two pages it changes.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import CONTINUE, SEE_RESULTS, VARIANTS, submit
from tests.e2e.test_accessibility import check_page
from tests.e2e.test_screener_walk import start_screener

pytestmark = pytest.mark.e2e

ANSWER_MORE = "section.next-question button[name=action][value=more]"
AGE = "40"


def questions_on(page) -> list[str]:
    """The names of the questions a page asks, in page order."""
    return page.locator("main .field[data-question]").evaluate_all("fields => fields.map(f => f.dataset.question)")


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_the_next_question_is_asked_with_the_results_and_first_when_answering_more(page_for, site, variant):
    problems: list[str] = []
    page = page_for(variant)
    start_screener(page, site)
    page.locator("#id_age").fill(AGE)
    while page.locator(SEE_RESULTS).count() == 0:
        submit(page, CONTINUE)
    submit(page, SEE_RESULTS)

    # The result page leads with one question, saying how many services it would settle.
    box = page.locator("section.next-question")
    assert box.is_visible()
    assert box.locator("h2").inner_text().strip()
    asked = questions_on(page)
    assert len(asked) == 1, asked
    check_page(page, variant, "screener-next-result", problems)

    # "Answer more" goes on from the unknowns: that question first, the age kept, not asked again.
    submit(page, ANSWER_MORE)
    more = questions_on(page)
    assert more[0] == asked[0], more
    assert "age" not in more
    assert len(more) <= (3 if variant.elder else 5)
    check_page(page, variant, "screener-next-more", problems)

    # Answering there gives new results, with every answer still carried.
    field = page.locator(f".field[data-question={more[0]}]").locator("input:not([type=hidden]), select").last
    if field.get_attribute("type") == "radio":
        field.check()
    elif field.evaluate("field => field.tagName") == "SELECT":
        field.select_option(index=1)
    else:
        field.fill("0")
    submit(page, SEE_RESULTS)
    assert page.locator(".error-summary").count() == 0
    assert page.url.endswith("/screener/results/")
    check_page(page, variant, "screener-next-result-after", problems)

    # Every answer is kept: the steps show the age and the answer given on "answer more".
    page.goto(site + "/screener/step/1/")
    assert page.locator("#id_age").input_value() == AGE
    shown = {}
    for number in range(1, 20):
        page.goto(f"{site}/screener/step/{number}/")
        if not page.url.endswith(f"/screener/step/{number}/"):
            break
        if more[0] in questions_on(page):
            box = page.locator(f".field[data-question={more[0]}]")
            shown[more[0]] = box.locator("input:checked, select, input[type=text]").first.input_value()
    assert shown.get(more[0]), f"{more[0]} is not shown answered on its step"
    if problems:
        print("\n\n".join(problems))
    assert not problems, "\n\n".join(problems)
