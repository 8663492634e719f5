"""The next best question on the screener pages: shown with the results, asked first when answering more.

Plain form posts, as a person without JavaScript sends them, each answered with a redirect; the answers are
kept in the browser's cookie, never on the server.
"""

import pytest
from qsessions.models import Session

from tests.screener.pages import (
    field_value,
    get,
    hidden,
    html,
    post,
    questions_asked,
    results,
    section,
    service_codes,
    step_asking,
)


def next_question_key(api_client, facts, language="en"):
    body = api_client.post("/api/v1/screener/", {"facts": facts}, format="json", HTTP_ACCEPT_LANGUAGE=language)
    return body.json()["next_question"]


def panel(page):
    start = page.index('<section class="panel next-question"')
    return page[start : page.index("</section>", start)]


@pytest.mark.parametrize(
    ("language", "headline"), [("en", "One more answer would settle"), ("zh-hans", "再回答一个问题，就能确定")]
)
def test_the_result_page_asks_the_next_best_question_with_the_results(client, api_client, catalog, language, headline):
    # given a person who said only their age
    expected = next_question_key(api_client, {"age": "40"}, language)

    # when they see their results
    page = results(client, {"age": "40"}, language)

    # then the page leads with the one question the API names, saying how many services it would settle
    box = panel(page)
    assert f"{headline} {len(expected['settles'])}" in box
    assert questions_asked(box) == [expected["key"]]
    assert expected["question"] in box
    assert page.index('class="panel next-question"') < page.index("<h2>")  # before "You can get"
    # and its form names the question it asks, and carries no answers
    assert hidden(box) == {"asked": expected["key"]}
    assert 'action="/screener/more/"' in box


@pytest.mark.parametrize("elder", [False, True])
def test_answer_more_keeps_the_answers_and_asks_the_next_best_question_first(client, api_client, catalog, elder):
    # given a person on the result page who said their age and where they live
    answers = {"age": "40", "region_code": "450103"}
    expected = next_question_key(api_client, answers)
    if elder:
        client.cookies["display"] = "elder"
    page = results(client, answers)
    assert 'href="/screener/more/"' in page

    # when they choose "Answer more questions"
    response = get(client, "/screener/more/")
    more = html(response)

    # then they are not sent back to the start: the questions that matter come, the next best first
    assert response.status_code == 200 and "A few more questions" in more
    asked = questions_asked(more)
    assert asked[0] == expected["key"]
    assert 1 < len(asked) <= (3 if elder else 5)
    # and nothing already answered is asked again; the answers are kept, not carried in the page
    assert not set(asked) & set(answers)
    assert hidden(more) == {"asked": ",".join(asked)}
    assert Session.objects.count() == 0


def test_answers_given_on_the_more_page_reach_the_results(client, catalog):
    # given the "answer more" page for a 40-year-old
    results(client, {"age": "40"})
    more = html(get(client, "/screener/more/"))
    assert "disability_level" in questions_asked(more)

    # when they answer the disability question and ask for results
    response = post(client, "/screener/more/", {**hidden(more), "disability_level": "1", "action": "results"})

    # then a redirect leads to the results, where both answers count: the disability services are decided
    assert response.status_code == 302 and response["Location"] == "/screener/results/"
    page = html(get(client, "/screener/results/"))
    assert "gx-assistive-devices-subsidy" in service_codes(section(page, "You can get"))
    # and the next question is another one
    assert questions_asked(panel(page))[0] not in {"age", "disability_level"}
    # and the step asking the disability question shows the answer
    step = html(get(client, f"/screener/step/{step_asking(client, 'disability_level')}/"))
    assert field_value(step, "disability_level") == "1"


def test_the_panels_answer_more_goes_to_the_more_page_with_its_answer_kept(client, catalog):
    page = results(client, {"age": "40"})
    key = hidden(panel(page))["asked"]
    response = post(client, "/screener/more/", {"asked": key, key: "", "action": "more"})
    assert response["Location"] == "/screener/more/"
    assert questions_asked(html(get(client, "/screener/more/")))[0] == key  # not skipped: it was not answered


def test_a_question_left_blank_is_not_asked_again_next(client, catalog):
    # given the result page asking its next best question
    first = hidden(panel(results(client, {"age": "40"})))["asked"]

    # when the person leaves it blank and updates the results
    response = post(client, "/screener/more/", {"asked": first, first: "", "action": "results"})

    # then another question is asked, and the skipped one is not asked first on the "answer more" page either
    assert response["Location"] == "/screener/results/"
    assert hidden(panel(html(get(client, "/screener/results/"))))["asked"] != first
    assert first not in questions_asked(html(get(client, "/screener/more/")))


def test_with_every_question_that_matters_skipped_answer_more_goes_to_the_first_step_asking_one(client, catalog):
    # given a person who answered the first two steps (about them) and left every question the result page asked blank
    about_you = {"age": "40", "sex": "female", "region_code": "450103", "hukou_region_code": "450103"}
    results(client, {**about_you, "hukou_type": "urban", "is_veteran": "false"})
    for _ in range(40):
        page = html(get(client, "/screener/results/"))
        if '<section class="panel next-question"' not in page:
            break
        key = hidden(panel(page))["asked"]
        post(client, "/screener/more/", {"asked": key, key: "", "action": "results"})
    else:
        raise AssertionError("the result page keeps asking")

    # when they choose "answer more"
    response = get(client, "/screener/more/")

    # then they go to the first step with a question a "maybe" service still needs: the family's, not the first
    assert (
        response.status_code == 302
        and response["Location"] == f"/screener/step/{step_asking(client, 'marital_status')}/"
    )
    assert response["Location"] != "/screener/step/1/"


@pytest.mark.parametrize(("language", "message"), [("en", "cannot be negative"), ("zh-hans", "不能为负")])
def test_a_bad_answer_on_the_more_page_is_shown_there(client, catalog, language, message):
    # given the "answer more" page
    results(client, {"age": "40"}, language)
    more = html(get(client, "/screener/more/", language))

    # when the person gives a bad answer
    response = post(
        client, "/screener/more/", {**hidden(more), "disability_level": "-1", "action": "results"}, language
    )

    # then a redirect leads back to the same questions with the error, the other answers kept
    assert response["Location"] == "/screener/more/"
    page = html(get(client, "/screener/more/", language))
    assert "error-summary" in page and message in page
    assert questions_asked(page) == questions_asked(more)
    assert 'value="-1"' in page
    assert 'value="40"' in html(get(client, "/screener/step/1/", language))
