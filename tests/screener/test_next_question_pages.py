"""The next best question on the screener pages: shown with the results, asked first when answering more.

Plain form posts, as a person without JavaScript sends them; the answers travel in the page, never stored.
"""

import re

import pytest
from qsessions.models import Session


def post(client, data, language="en", elder=False):
    if elder:
        client.cookies["display"] = "elder"
    return client.post("/screener/", data, HTTP_ACCEPT_LANGUAGE=language)


def hidden(html):
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def questions_asked(html):
    """The names of the visible questions on a page, in page order."""
    return re.findall(r'<div class="field[^"]*" data-question="([a-z_]+)"', html)


def next_question_key(api_client, facts, language="en"):
    body = api_client.post("/api/v1/screener/", {"facts": facts}, format="json", HTTP_ACCEPT_LANGUAGE=language)
    return body.json()["next_question"]


def panel(html):
    start = html.index('<section class="panel next-question"')
    return html[start : html.index("</section>", start)]


@pytest.mark.parametrize(
    ("language", "headline"), [("en", "One more answer would settle"), ("zh-hans", "再回答一个问题，就能确定")]
)
def test_the_result_page_asks_the_next_best_question_with_the_results(client, api_client, catalog, language, headline):
    # given a person who said only their age
    expected = next_question_key(api_client, {"age": "40"}, language)

    # when they see their results
    html = post(client, {"step": "99", "action": "results", "age": "40"}, language).content.decode()

    # then the page leads with the one question the API names, saying how many services it would settle
    box = panel(html)
    assert f"{headline} {len(expected['settles'])}" in box
    assert questions_asked(box) == [expected["key"]]
    assert expected["question"] in box
    assert html.index('class="panel next-question"') < html.index("<h2>")  # before "You can get"
    # and the answer given travels with it
    assert hidden(box)["age"] == "40" and hidden(box)["asked"] == expected["key"]


@pytest.mark.parametrize("elder", [False, True])
def test_answer_more_keeps_the_answers_and_asks_the_next_best_question_first(client, api_client, catalog, elder):
    # given a person on the result page who said their age and where they live
    answers = {"age": "40", "region_code": "450103"}
    expected = next_question_key(api_client, answers)

    # when they choose "Answer more questions"
    response = post(client, {"action": "more", **answers}, elder=elder)
    html = response.content.decode()

    # then they are not sent back to the start: the questions that matter come, the next best first
    assert response.status_code == 200 and "A few more questions" in html
    asked = questions_asked(html)
    assert asked[0] == expected["key"]
    assert 1 < len(asked) <= (3 if elder else 5)
    # and nothing already answered is asked again; the answers are carried in the page
    assert not set(asked) & set(answers)
    assert {key: hidden(html)[key] for key in answers} == answers
    assert Session.objects.count() == 0


def test_answers_given_on_the_more_page_reach_the_results(client, catalog):
    # given the "answer more" page for a 40-year-old
    html = post(client, {"action": "more", "age": "40"}).content.decode()
    form = hidden(html)
    asked = questions_asked(html)
    assert "disability_level" in asked

    # when they answer the disability question and ask for results
    result = post(client, {**form, "disability_level": "1", "action": "results"}).content.decode()

    # then both answers count: the disability services are decided, and the answers travel on
    you_can_get = result.split("<h2>You can get</h2>")[1].split("<h2>")[0]
    assert "/services/gx-assistive-devices-subsidy/" in you_can_get
    assert hidden(result)["age"] == "40" and hidden(result)["disability_level"] == "1"
    # and the next question is another one
    assert questions_asked(panel(result))[0] not in {"age", "disability_level"}


def test_a_question_left_blank_is_not_asked_again_next(client, api_client, catalog):
    # given the result page asking its next best question
    html = post(client, {"step": "99", "action": "results", "age": "40"}).content.decode()
    first = hidden(panel(html))["asked"]

    # when the person leaves it blank and updates the results
    again = post(client, {**hidden(panel(html)), first: "", "action": "results"}).content.decode()

    # then another question is asked, and the skipped one is remembered in the page only
    assert hidden(panel(again))["asked"] != first
    assert first in hidden(panel(again))["skipped"].split(",")
    more = post(client, {**hidden(panel(again)), "action": "more"}).content.decode()
    assert first not in questions_asked(more)


@pytest.mark.parametrize(("language", "message"), [("en", "cannot be negative"), ("zh-hans", "不能为负")])
def test_a_bad_answer_on_the_more_page_is_shown_there(client, catalog, language, message):
    # given the "answer more" page
    html = post(client, {"action": "more", "age": "40"}, language).content.decode()

    # when the person gives a bad answer
    response = post(client, {**hidden(html), "disability_level": "-1", "action": "results"}, language)

    # then the same questions come back with the error, the other answers kept
    page = response.content.decode()
    assert response.status_code == 400
    assert "error-summary" in page and message in page
    assert questions_asked(page) == questions_asked(html)
    assert hidden(page)["age"] == "40"
