"""The rating pages: the part of the person's own case page, the rating page the form posts to, the
caseworkers' follow-ups and the satisfaction figures, in Chinese and English."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from services_portal.casework import hooks as casework_hooks
from services_portal.ratings.models import FollowUp, FollowUpState, Rating
from services_portal.ratings.services import follow_up_answer, rating_submit
from services_portal.ratings.views import case_rating_part
from tests.ratings.conftest import EN, ZH, signed_in

pytestmark = pytest.mark.django_db


def part_for(case, user, language="zh-hans") -> str:
    """What casework draws on the person's own case page from the apps above it."""
    from django.utils import translation

    request = RequestFactory().get(f"/me/cases/{case.pk}/")
    request.user = user
    with translation.override(language):
        return "".join(casework_hooks.case_page_parts.collect(case, request))


def test_the_rating_part_is_registered_and_shows_the_form_once_the_case_ended(open_case, caseworker, parent):
    # given a case in review: nothing to rate yet
    assert case_rating_part in casework_hooks.case_page_parts.steps
    assert part_for(open_case, parent.user) == ""
    # when it has ended
    from tests.ratings.conftest import case_end

    case = case_end(open_case, caseworker)
    html = part_for(case, parent.user, "en")
    # then the form offers the five levels, the reasons and a text box, posting to the rating page
    assert f'action="/me/cases/{case.pk}/rating/"' in html
    assert html.count('type="radio"') == 5 and html.count('type="checkbox"') == 17
    assert "Very dissatisfied" in html and "Too many materials were asked for" in html
    assert "非常满意" in part_for(case, parent.user) and "要求提交的材料过多" in part_for(case, parent.user)


def test_the_part_is_drawn_for_nobody_else(ended_case, other_citizen, caseworker):
    assert part_for(ended_case, other_citizen.user) == ""
    assert part_for(ended_case, caseworker) == ""


def test_rating_through_the_page_then_the_answer_shows_on_the_case(client, ended_case, parent, health_caseworker):
    # when the parent sends a dissatisfied rating from the form
    signed_in(client, parent.user)
    response = client.post(
        f"/me/cases/{ended_case.pk}/rating/",
        {"level": "1", "reasons": ["several_trips", "other"], "text": "跑了三次"},
        **ZH,
    )
    # then they are back on the case page, and the rating is stored with its follow-up
    assert response.status_code == 302 and response["Location"] == f"/me/cases/{ended_case.pk}/"
    rating = Rating.objects.get(case=ended_case)
    assert (rating.level, rating.reasons, rating.text) == (1, ["several_trips", "other"], "跑了三次")
    follow_up = FollowUp.objects.get(rating=rating)
    # and the case page's part shows the rating and the follow-up waiting, with its due date
    html = part_for(ended_case, parent.user, "en")
    assert "Very dissatisfied" in html and "I had to make several trips" in html and "跑了三次" in html
    assert "Being looked into" in html and 'type="radio"' not in html
    # when the department answers
    follow_up_answer(actor=health_caseworker, follow_up_id=follow_up.pk, text="已核实，窗口已整改。")
    # then the parent reads the answer there, and on the rating page
    html = part_for(ended_case, parent.user)
    assert "已核实，窗口已整改。" in html and "已答复" in html
    page = client.get(f"/me/cases/{ended_case.pk}/rating/", **EN)
    assert page.status_code == 200 and "已核实，窗口已整改。" in page.content.decode()


@pytest.mark.parametrize(
    ("language", "expected"), [(ZH, "请选择能说明问题所在的原因"), (EN, "Choose reasons that say what was wrong")]
)
def test_a_reason_that_does_not_fit_shows_next_to_the_field(client, ended_case, parent, language, expected):
    signed_in(client, parent.user)
    response = client.post(f"/me/cases/{ended_case.pk}/rating/", {"level": "2", "reasons": ["fast"]}, **language)
    html = response.content.decode()
    assert response.status_code == 400 and expected in html
    assert 'id="rating-reasons_error"' in html and 'href="#rating-reasons_0"' in html
    assert not Rating.objects.exists()


def test_no_level_is_an_error_on_the_field(client, ended_case, parent):
    signed_in(client, parent.user)
    response = client.post(f"/me/cases/{ended_case.pk}/rating/", {"text": "x"}, **EN)
    assert response.status_code == 400 and 'id="rating-level_error"' in response.content.decode()


def test_rating_twice_through_the_page_is_refused(client, ended_case, parent):
    rating_submit(citizen=parent, case_id=ended_case.pk, level=5, reasons=[])
    signed_in(client, parent.user)
    response = client.post(f"/me/cases/{ended_case.pk}/rating/", {"level": "1"}, follow=False, **EN)
    assert response.status_code == 302
    assert Rating.objects.get().level == 5


def test_someone_elses_case_is_not_found(client, ended_case, other_citizen):
    signed_in(client, other_citizen.user)
    assert client.get(f"/me/cases/{ended_case.pk}/rating/").status_code == 404
    assert client.post(f"/me/cases/{ended_case.pk}/rating/", {"level": "5"}).status_code == 404
    assert not Rating.objects.exists()


@pytest.fixture
def follow_up(ended_case, parent):
    return rating_submit(citizen=parent, case_id=ended_case.pk, level=2, reasons=["overdue"], text="等太久").follow_up


@pytest.mark.parametrize(("language", "title"), [(ZH, "不满意评价的整改"), (EN, "Follow-ups of dissatisfied ratings")])
def test_the_caseworker_answers_from_the_follow_up_pages(client, follow_up, health_caseworker, parent, language, title):
    signed_in(client, health_caseworker)
    queue = client.get("/casework/follow-ups/", **language)
    assert queue.status_code == 200 and title in queue.content.decode()
    assert f"/casework/follow-ups/{follow_up.pk}/" in queue.content.decode()
    page = client.get(f"/casework/follow-ups/{follow_up.pk}/", **language)
    assert page.status_code == 200 and "等太久" in page.content.decode()
    # an empty answer is an error on the field
    empty = client.post(f"/casework/follow-ups/{follow_up.pk}/", {"text": ""}, **language)
    assert empty.status_code == 400 and 'id="answer-text_error"' in empty.content.decode()
    # an answer is sent and the person told
    sent = client.post(f"/casework/follow-ups/{follow_up.pk}/", {"text": "已整改"}, **language)
    assert sent.status_code == 302 and sent["Location"] == "/casework/follow-ups/"
    assert FollowUp.objects.get().state == FollowUpState.ANSWERED
    answered = client.get("/casework/follow-ups/?show=answered", **language)
    assert f"/casework/follow-ups/{follow_up.pk}/" in answered.content.decode()


def test_follow_up_pages_are_for_caseworkers_in_scope(client, follow_up, parent):
    from profiles.models import Role
    from tests.factories import StaffFactory

    signed_in(client, parent.user)
    assert client.get("/casework/follow-ups/").status_code == 403
    other_department = StaffFactory(role=Role.CASEWORKER, region_scope="450100", department="civil_affairs")
    signed_in(client, other_department)
    assert client.get(f"/casework/follow-ups/{follow_up.pk}/").status_code == 404
    assert client.post(f"/casework/follow-ups/{follow_up.pk}/", {"text": "x"}).status_code == 404
    assert f"/casework/follow-ups/{follow_up.pk}/" not in client.get("/casework/follow-ups/").content.decode()


@pytest.mark.parametrize(("language", "heading"), [(ZH, "按部门"), (EN, "By department")])
def test_the_satisfaction_page(client, follow_up, administrator, language, heading):
    signed_in(client, administrator)
    response = client.get("/audit/satisfaction/", **language)
    html = response.content.decode()
    assert response.status_code == 200 and heading in html
    assert "<td>1</td>" in html  # one rating, one dissatisfied, one follow-up open
    assert client.get("/audit/satisfaction/?since=2026-12-31&until=2026-01-01", **language).status_code == 400


def test_the_satisfaction_page_is_not_for_caseworkers_or_citizens(client, caseworker, parent):
    signed_in(client, caseworker)
    assert client.get("/audit/satisfaction/").status_code == 403
    signed_in(client, parent.user)
    assert client.get("/audit/satisfaction/").status_code == 403


@pytest.mark.parametrize(
    ("language", "form_title", "answer_label"),
    [(ZH, "评价本次办理", "部门的答复"), (EN, "Rate how this was handled", "The department's answer")],
)
def test_the_persons_case_page_shows_the_form_then_the_answer(
    client, ended_case, parent, health_caseworker, language, form_title, answer_label
):
    # given the parent's ended case: its page offers the rating form
    signed_in(client, parent.user)
    page = client.get(f"/me/cases/{ended_case.pk}/", **language).content.decode()
    assert form_title in page and f'action="/me/cases/{ended_case.pk}/rating/"' in page
    # when they rate it dissatisfied and the department answers
    client.post(f"/me/cases/{ended_case.pk}/rating/", {"level": "2", "reasons": ["online_hard"]}, **language)
    follow_up = FollowUp.objects.get()
    follow_up_answer(actor=health_caseworker, follow_up_id=follow_up.pk, text="系统已优化。")
    # then the case page shows the rating and the department's answer, and no form
    page = client.get(f"/me/cases/{ended_case.pk}/", **language).content.decode()
    assert answer_label in page and "系统已优化。" in page and form_title not in page
