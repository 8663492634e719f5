"""The screener as a person without JavaScript uses it: plain form posts, page after page."""

import re

import pytest
from qsessions.models import Session


def post(client, data, language="zh-hans", elder=False):
    if elder:
        client.cookies["display"] = "elder"
    return client.post("/screener/", data, HTTP_ACCEPT_LANGUAGE=language)


def hidden_and_step(html):
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def test_walk_to_a_result(client, catalog):
    start = client.get("/screener/", HTTP_ACCEPT_LANGUAGE="en")
    assert start.status_code == 200 and "Start now" in start.content.decode()
    response = post(client, {"step": "0", "action": "next"}, "en")
    answers = {"age": "85", "region_code": "450103", "hukou_region_code": "450103"}
    pages = 0
    while "Check your answers" not in response.content.decode():
        html = response.content.decode()
        assert response.status_code == 200, html
        data = hidden_and_step(html)
        for key, value in answers.items():
            if f'name="{key}"' in html and f'type="hidden" name="{key}"' not in html:
                data[key] = value
        data["action"] = "next"
        response = post(client, data, "en")
        pages += 1
        assert pages < 20
    html = response.content.decode()
    assert "85" in html and "Qingxiu District" in html
    data = hidden_and_step(html)
    result = post(client, {**data, "action": "results"}, "en").content.decode()
    eligible = result.split("<h2>You can get</h2>")[1].split("<h2>")[0]
    assert "/services/gx-elderly-allowance/" in eligible
    assert Session.objects.count() == 0


def test_a_bad_answer_shows_the_error_on_the_step_in_the_page_language(client, catalog):
    response = post(client, {"step": "1", "action": "next", "age": "-5"}, "zh-hans")
    html = response.content.decode()
    assert response.status_code == 400
    assert "error-summary" in html and "不能为负" in html
    response = post(client, {"step": "1", "action": "next", "age": "abc"}, "en")
    assert "Enter a whole number" in response.content.decode()


def test_answers_of_other_steps_are_carried_and_checked_again(client, catalog):
    response = post(client, {"step": "99", "action": "results", "age": "-5"}, "en")
    assert response.status_code == 400
    assert "cannot be negative" in response.content.decode()


def test_elder_mode_asks_fewer_questions_per_page(client, catalog):
    standard = post(client, {"step": "0", "action": "next"}, "en").content.decode()
    elder = post(client, {"step": "0", "action": "next"}, "en", elder=True).content.decode()
    count = lambda html: html.count('<div class="field')  # noqa: E731
    assert 0 < count(elder) <= 3 < count(standard)


def test_screener_pages_are_never_cached(client, catalog):
    response = post(client, {"step": "0", "action": "next"})
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("language", "you_can_get", "open_to_everyone"),
    [("en", "You can get", "open to everyone"), ("zh-hans", "您可以享受", "人人可办")],
)
def test_a_service_without_criteria_is_shown_open_to_everyone_not_as_you_qualify(
    client, catalog, language, you_can_get, open_to_everyone
):
    # given a mother with no disability
    answers = {"age": "32", "disability_level": "0", "children_birth_dates": "2024-03-01"}

    # when she asks for her results
    html = post(client, {"step": "99", "action": "results", **answers}, language).content.decode()

    # then the disability certificate (残疾人证办理) is listed as open to everyone, not among what she can get
    qualified = html.split(f"<h2>{you_can_get}</h2>")[1].split("</ul>")[0]
    opened = html.split(open_to_everyone)[1].split("</details>")[0]
    assert "/services/gx-disability-certificate/" not in qualified
    assert "/services/gx-disability-certificate/" in opened


def results_sections(html):
    """The services the result page lists as "maybe" and as "cannot get"."""
    maybe = html.split("<h2>You may be able to get</h2>")[1].split("open to everyone</summary>")[0]
    cannot = html.split("services you cannot get, and why")[1]
    return maybe, cannot


def test_ticking_no_children_decides_the_childcare_subsidy(client, catalog):
    # given the children question, which offers a box to answer "none"
    pages = (post(client, {"action": f"change-{number}"}, "en").content.decode() for number in range(1, 10))
    step = next(html for html in pages if 'name="children_birth_dates_none"' in html)
    assert 'type="checkbox" name="children_birth_dates_none"' in step
    assert "I have no children</label>" in step and "If you have no children, tick" in step

    # when a person ticks "I have no children" and asks for results
    html = post(client, {"step": "99", "action": "results", "age": "30", "children_birth_dates_none": "on"}, "en")
    maybe, cannot = results_sections(html.content.decode())

    # then the childcare subsidy is decided: not for them, not "maybe"
    assert "/services/gx-childcare-subsidy/" in cannot
    assert "/services/gx-childcare-subsidy/" not in maybe


def test_leaving_the_children_question_empty_keeps_the_childcare_subsidy_maybe(client, catalog):
    html = post(client, {"step": "99", "action": "results", "age": "30", "children_birth_dates": ""}, "en")
    maybe, cannot = results_sections(html.content.decode())
    assert "/services/gx-childcare-subsidy/" in maybe
    assert "/services/gx-childcare-subsidy/" not in cannot


def test_the_none_answer_is_carried_between_pages_and_shown_on_the_check_page(client, catalog):
    # given a person who ticked "I have no children" on the family page
    response = post(client, {"step": "99", "action": "next", "children_birth_dates_none": "on"}, "en")
    html = response.content.decode()

    # then the check page says so, and carries the answer on as "none"
    assert "Check your answers" in html and "I have no children" in html
    assert hidden_and_step(html)["children_birth_dates"] == "none"
