"""The screener as a person without JavaScript uses it: post/redirect/get, page after page.

Every page is a GET of its own address, pre-filled from the answers so far; a form posts to it and is answered
with a redirect. The answers live in an encrypted cookie of the browser session, nothing on the server.
"""

import datetime

import pytest
import time_machine
from qsessions.models import Session

from services_portal.screener.answers import COOKIE, IDLE
from tests.screener.pages import (
    answer,
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
    step_count,
)


def test_start_leads_to_the_first_step_by_a_redirect(client, catalog):
    start = get(client, "/screener/")
    assert start.status_code == 200 and "Start now" in html(start)
    response = post(client, "/screener/", {"action": "next"})
    assert response.status_code == 302 and response["Location"] == "/screener/step/1/"


def test_each_step_posts_and_redirects_to_the_next_one_whose_get_shows_the_answers(client, catalog):
    # given the first step, which asks the age
    assert "age" in questions_asked(html(get(client, "/screener/step/1/")))

    # when the person answers it
    response = post(client, "/screener/step/1/", {"age": "85", "action": "next"})

    # then the post is answered with a redirect to the next step, and the first step's GET shows the answer
    assert response.status_code == 302 and response["Location"] == "/screener/step/2/"
    assert field_value(html(get(client, "/screener/step/1/")), "age") == "85"
    # and no answer travels in the pages any more
    assert "age" not in hidden(html(get(client, "/screener/step/2/")))


def test_the_last_step_leads_to_check_your_answers_then_to_the_results_each_a_get(client, catalog):
    # given a person who walked every step
    response = answer(client, {"age": "85", "region_code": "450103", "hukou_region_code": "450103"})
    assert response["Location"] == "/screener/check/"

    # then "check your answers" lists them, with a link to change each topic's step
    check = html(get(client, "/screener/check/"))
    assert "85" in check and "Qingxiu District" in check
    assert 'href="/screener/step/1/?then=check"' in check

    # when they ask for results: a redirect to the result page, which a refresh simply shows again
    response = post(client, "/screener/check/", {"action": "results"})
    assert response.status_code == 302 and response["Location"] == "/screener/results/"
    first, again = get(client, "/screener/results/"), get(client, "/screener/results/")
    assert first.status_code == again.status_code == 200
    assert "/services/gx-elderly-allowance/" in service_codes_html(section(html(first), "You can get"))
    assert service_codes(section(html(first), "You can get")) == service_codes(section(html(again), "You can get"))
    assert post(client, "/screener/results/", {}).status_code == 405
    assert Session.objects.count() == 0


def service_codes_html(part: str) -> str:
    return " ".join(f"/services/{code}/" for code in service_codes(part))


def test_back_on_a_step_keeps_its_answers_and_goes_to_the_step_before(client, catalog):
    number = step_asking(client, "household_size")
    assert number > 1
    response = post(client, f"/screener/step/{number}/", {"household_size": "3", "action": "back"})
    assert response["Location"] == f"/screener/step/{number - 1}/"
    assert field_value(html(get(client, f"/screener/step/{number}/")), "household_size") == "3"
    assert post(client, "/screener/step/1/", {"action": "back"})["Location"] == "/screener/"


def test_changing_a_topic_from_check_your_answers_walks_its_steps_then_returns_there(client, catalog):
    # given "about you", asked on the first two steps (age, sex, region... then veteran)
    assert step_asking(client, "is_veteran") == 2
    check = html(get(client, "/screener/check/"))
    assert 'href="/screener/step/1/?then=check"' in check and "step/2/?then=check" not in check

    # when the person changes it: the first step leads to the second, the second back to the check page
    first = post(client, "/screener/step/1/?then=check", {"age": "70", "action": "next"})
    assert first["Location"] == "/screener/step/2/?then=check"
    assert "Back to check your answers" in html(get(client, "/screener/step/2/?then=check"))
    assert post(client, "/screener/step/2/?then=check", {"action": "next"})["Location"] == "/screener/check/"
    # and a wrong answer keeps the way back
    assert post(client, "/screener/step/1/?then=check", {"age": "x", "action": "next"})["Location"] == (
        "/screener/step/1/?then=check"
    )


def test_a_step_reached_from_the_results_returns_to_them(client, catalog):
    page = html(get(client, "/screener/step/1/?then=results"))
    assert 'action="/screener/step/1/?then=results"' in page and "Update my results" in page
    response = post(client, "/screener/step/1/?then=results", {"age": "82", "action": "next"})
    assert response["Location"] == "/screener/results/"
    assert post(client, "/screener/step/1/?then=elsewhere", {"action": "next"})["Location"] == "/screener/step/2/"


def test_a_blank_answer_takes_back_an_earlier_one(client, catalog):
    post(client, "/screener/step/1/", {"age": "85", "action": "next"})
    post(client, "/screener/step/1/", {"age": "", "action": "next"})
    assert field_value(html(get(client, "/screener/step/1/")), "age") == ""


@pytest.mark.parametrize(("language", "message"), [("zh-hans", "不能为负"), ("en", "cannot be negative")])
def test_a_bad_answer_redirects_to_its_step_which_shows_the_error_until_corrected(client, catalog, language, message):
    # when a person gives a negative age
    response = post(client, "/screener/step/1/", {"age": "-5", "action": "next"}, language)

    # then they are sent back to the step, which shows the error and what they typed, on every refresh
    assert response.status_code == 302 and response["Location"] == "/screener/step/1/"
    for _ in range(2):
        page = html(get(client, "/screener/step/1/", language))
        assert "error-summary" in page and message in page
        assert field_value(page, "age") == "-5"
    # and once corrected, the step leads on with no error left
    assert (
        post(client, "/screener/step/1/", {"age": "50", "action": "next"}, language)["Location"] == "/screener/step/2/"
    )
    assert "error-summary" not in html(get(client, "/screener/step/1/", language))


def test_a_step_out_of_range_redirects(client, catalog):
    total = step_count(client)
    assert get(client, "/screener/step/0/")["Location"] == "/screener/step/1/"
    assert get(client, f"/screener/step/{total + 1}/")["Location"] == "/screener/check/"


def test_elder_mode_asks_fewer_questions_per_page(client, catalog):
    standard = questions_asked(html(get(client, "/screener/step/1/")))
    client.cookies["display"] = "elder"
    elder = questions_asked(html(get(client, "/screener/step/1/")))
    assert 0 < len(elder) <= 3 < len(standard)


def test_switching_to_elder_mode_keeps_the_answers(client, catalog):
    post(client, "/screener/step/1/", {"age": "85", "action": "next"})
    client.cookies["display"] = "elder"
    assert field_value(html(get(client, "/screener/step/1/")), "age") == "85"


def test_screener_pages_are_never_cached(client, catalog):
    post(client, "/screener/step/1/", {"age": "85", "action": "next"})
    for url in ("/screener/", "/screener/step/1/", "/screener/check/", "/screener/results/", "/screener/more/"):
        assert "no-store" in get(client, url)["Cache-Control"], url


def test_the_answers_are_in_an_encrypted_cookie_of_the_browser_session_only(
    client, catalog, django_assert_max_num_queries
):
    # when a person answers a step
    with django_assert_max_num_queries(3):  # the catalog's version and rules: reads only
        response = post(client, "/screener/step/1/", {"age": "85", "action": "next"})

    # then the answer is in a cookie for the screener's pages, unreadable, gone when the browser closes
    cookie = response.cookies[COOKIE]
    assert cookie["path"] == "/screener/" and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["max-age"] and not cookie["expires"]
    assert "85" not in cookie.value and "age" not in cookie.value
    # and the server keeps no session
    assert Session.objects.count() == 0


def test_answers_are_forgotten_after_the_idle_time(client, catalog):
    with time_machine.travel(datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        post(client, "/screener/step/1/", {"age": "85", "action": "next"})
        traveller.shift(IDLE - datetime.timedelta(minutes=1))
        assert field_value(html(get(client, "/screener/step/1/")), "age") == "85"  # which restarts the idle time
        traveller.shift(IDLE - datetime.timedelta(minutes=1))
        assert field_value(html(get(client, "/screener/step/1/")), "age") == "85"
        traveller.shift(IDLE + datetime.timedelta(minutes=1))
        assert field_value(html(get(client, "/screener/step/1/")), "age") == ""


def test_clear_my_answers_forgets_them(client, catalog):
    post(client, "/screener/step/1/", {"age": "85", "action": "next"})
    assert "Clear my answers" in html(get(client, "/screener/"))
    response = post(client, "/screener/", {"action": "clear"})
    assert response["Location"] == "/screener/" and response.cookies[COOKIE].value == ""
    assert field_value(html(get(client, "/screener/step/1/")), "age") == ""


def test_a_cookie_not_made_by_the_portal_is_no_answers(client, catalog):
    client.cookies[COOKIE] = "gAAAAABnot-a-token"
    assert get(client, "/screener/step/1/").status_code == 200


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
    page = results(client, answers, language)

    # then the disability certificate (残疾人证办理) is listed as open to everyone, not among what she can get
    opened = page.split(open_to_everyone)[1].split("</details>")[0]
    assert "gx-disability-certificate" not in service_codes(section(page, you_can_get))
    assert "/services/gx-disability-certificate/" in opened


def results_sections(page):
    """The services the result page lists as "maybe" and as "cannot get"."""
    maybe = page.split("<h2>You may be able to get</h2>")[1].split("open to everyone</summary>")[0]
    cannot = page.split("services you cannot get, and why")[1]
    return maybe, cannot


def test_ticking_no_children_decides_the_childcare_subsidy(client, catalog):
    # given the children question, which offers a box to answer "none"
    number = step_asking(client, "children_birth_dates")
    step = html(get(client, f"/screener/step/{number}/"))
    assert 'type="checkbox" name="children_birth_dates_none"' in step
    assert "I have no children</label>" in step and "If you have no children, tick" in step

    # when a person aged 30 ticks "I have no children" and asks for results
    post(client, "/screener/step/1/", {"age": "30", "action": "next"})
    post(client, f"/screener/step/{number}/", {"children_birth_dates_none": "on", "action": "next"})
    maybe, cannot = results_sections(html(get(client, "/screener/results/")))

    # then the childcare subsidy is decided: not for them, not "maybe"
    assert "/services/gx-childcare-subsidy/" in cannot
    assert "/services/gx-childcare-subsidy/" not in maybe
    # and their step shows the box ticked, "check your answers" says so
    assert 'name="children_birth_dates_none" id="id_children_birth_dates_1" checked' in html(
        get(client, f"/screener/step/{number}/")
    )
    assert "I have no children" in html(get(client, "/screener/check/"))


def test_leaving_the_children_question_empty_keeps_the_childcare_subsidy_maybe(client, catalog):
    maybe, cannot = results_sections(results(client, {"age": "30", "children_birth_dates": ""}))
    assert "/services/gx-childcare-subsidy/" in maybe
    assert "/services/gx-childcare-subsidy/" not in cannot
