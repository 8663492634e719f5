"""好差评: rating an ended case, once, by its applicant; reasons that fit the level; a dissatisfied
rating's follow-up, due in working days, answered within the department's scope."""

from __future__ import annotations

import pytest
from django.utils import timezone

from profiles.models import Role
from services_portal.casework.deadlines import working_days_after
from services_portal.casework.services import case_object
from services_portal.core.errors import PortalError
from services_portal.notifications.models import Notification
from services_portal.ratings.models import FollowUp, FollowUpState, Rating
from services_portal.ratings.selectors import follow_ups_for
from services_portal.ratings.services import FOLLOW_UP_WORKING_DAYS, follow_up_answer, rating_submit
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_a_case_can_be_rated_only_once_it_has_ended(open_case, parent, caseworker):
    # given a case still in review
    with pytest.raises(PortalError) as caught:
        rating_submit(citizen=parent, case_id=open_case.pk, level=5, reasons=["fast"], text="")
    assert caught.value.code == "not_ended" and caught.value.status_code == 409
    assert not Rating.objects.exists()


def test_the_applicant_rates_an_ended_case_once(ended_case, parent):
    # when the parent rates the rejected case
    rating = rating_submit(citizen=parent, case_id=ended_case.pk, level=4, reasons=["fast", "fast", "online_easy"])
    # then it is stored, reasons once each, and no follow-up is opened for a satisfied rating
    assert (rating.level, rating.reasons, rating.citizen_id) == (4, ["fast", "online_easy"], parent.pk)
    assert not FollowUp.objects.exists()
    # and a second rating is refused
    with pytest.raises(PortalError) as caught:
        rating_submit(citizen=parent, case_id=ended_case.pk, level=1, reasons=[], text="")
    assert caught.value.code == "already_rated"
    assert Rating.objects.get().level == 4


def test_an_approved_case_can_be_rated(approved_case, parent):
    rating = rating_submit(citizen=parent, case_id=approved_case.pk, level=5, reasons=["done_in_one_go"])
    assert rating.case_id == approved_case.pk


def test_only_the_applicant_may_rate(ended_case, other_citizen):
    with pytest.raises(PortalError) as caught:
        rating_submit(citizen=other_citizen, case_id=ended_case.pk, level=1, reasons=[], text="")
    assert caught.value.code == "not_found" and caught.value.status_code == 404
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    ("level", "reasons", "text", "code", "field"),
    [
        (5, ["poor_attitude"], "", "invalid_reason", "reasons"),
        (3, ["overdue"], "", "invalid_reason", "reasons"),
        (2, ["fast"], "", "invalid_reason", "reasons"),
        (1, ["helpful_staff", "overdue"], "", "invalid_reason", "reasons"),
        (2, ["nonsense"], "", "invalid_reason", "reasons"),
        (4, ["other"], "   ", "text_required", "text"),
        (6, [], "", "invalid_level", "level"),
        (0, [], "", "invalid_level", "level"),
    ],
)
def test_reasons_must_fit_the_level(ended_case, parent, level, reasons, text, code, field):
    with pytest.raises(PortalError) as caught:
        rating_submit(citizen=parent, case_id=ended_case.pk, level=level, reasons=reasons, text=text)
    assert caught.value.code == code and field in caught.value.fields
    assert not Rating.objects.exists()


def test_other_with_words_fits_any_level(ended_case, parent):
    rating = rating_submit(
        citizen=parent, case_id=ended_case.pk, level=1, reasons=["other", "overdue"], text="电话打不通"
    )
    assert rating.reasons == ["other", "overdue"] and rating.text == "电话打不通"


@pytest.mark.parametrize("level", [1, 2])
def test_a_dissatisfied_rating_opens_a_follow_up_due_in_working_days(ended_case, parent, level):
    # when the parent is dissatisfied
    rating = rating_submit(citizen=parent, case_id=ended_case.pk, level=level, reasons=["several_trips"])
    # then the health department has a follow-up due in 15 working days, holidays and weekends left out
    follow_up = FollowUp.objects.get(rating=rating)
    assert follow_up.department.code == "health" and follow_up.state == FollowUpState.OPEN
    assert FOLLOW_UP_WORKING_DAYS == 15
    assert follow_up.due_on == working_days_after(timezone.localdate(), 15)
    assert (follow_up.due_on - timezone.localdate()).days >= 19  # three weeks at least


def test_fairly_satisfied_opens_no_follow_up(ended_case, parent):
    rating_submit(citizen=parent, case_id=ended_case.pk, level=3, reasons=["outcome_clear"])
    assert not FollowUp.objects.exists()


def test_a_rating_stays_when_the_person_objects_and_the_case_reopens(ended_case, parent):
    rating_submit(citizen=parent, case_id=ended_case.pk, level=2, reasons=["outcome_unclear"])
    case_object(citizen=parent, case_id=ended_case.pk, text="孩子确实是今年出生的")
    assert Rating.objects.filter(case=ended_case).exists()


@pytest.fixture
def follow_up(ended_case, parent):
    rating = rating_submit(citizen=parent, case_id=ended_case.pk, level=1, reasons=["poor_attitude"], text="态度差")
    return rating.follow_up


def test_answering_tells_the_applicant(follow_up, health_caseworker, parent):
    # when the health caseworker answers
    answered = follow_up_answer(actor=health_caseworker, follow_up_id=follow_up.pk, text="已核实并约谈窗口人员。")
    # then it is answered, by whom and when
    assert answered.state == FollowUpState.ANSWERED and answered.answered_by == health_caseworker
    assert answered.answered_at is not None and answered.response == "已核实并约谈窗口人员。"
    # and the parent finds it in the inbox, linking to the case
    notification = Notification.objects.filter(citizen=parent).latest("id")
    assert notification.title_en.startswith("Answer to your rating") and notification.title_zh
    assert notification.link == f"/me/cases/{follow_up.rating.case_id}/"
    # and it cannot be answered twice
    with pytest.raises(PortalError) as caught:
        follow_up_answer(actor=health_caseworker, follow_up_id=follow_up.pk, text="再次回复")
    assert caught.value.code == "already_answered"


def test_an_answer_needs_words(follow_up, health_caseworker):
    with pytest.raises(PortalError) as caught:
        follow_up_answer(actor=health_caseworker, follow_up_id=follow_up.pk, text="  ")
    assert caught.value.code == "text_required"
    assert FollowUp.objects.get().state == FollowUpState.OPEN


def test_follow_ups_are_scoped_by_region_and_department(follow_up, caseworker, health_caseworker):
    # given caseworkers of another department, another region, and a counter clerk
    civil_affairs = StaffFactory(role=Role.CASEWORKER, region_scope="450100", department="civil_affairs")
    liuzhou = StaffFactory(role=Role.CASEWORKER, region_scope="450200", department="health")
    clerk = StaffFactory(role=Role.COUNTER_STAFF, region_scope="450100")
    # then only those whose scope covers the case see it (a caseworker of no department: all of the region)
    assert list(follow_ups_for(health_caseworker)) == [follow_up]
    assert list(follow_ups_for(caseworker)) == [follow_up]
    for outsider in (civil_affairs, liuzhou, clerk):
        assert not follow_ups_for(outsider).exists()
        with pytest.raises(PortalError) as caught:
            follow_up_answer(actor=outsider, follow_up_id=follow_up.pk, text="不归我管")
        assert caught.value.code in ("not_found", "forbidden")
    assert FollowUp.objects.get().state == FollowUpState.OPEN


def test_overdue_follow_ups_are_flagged(follow_up, health_caseworker, time_machine):
    # when the due date has passed without an answer
    time_machine.move_to(
        timezone.make_aware(timezone.datetime.combine(follow_up.due_on, timezone.datetime.min.time()))
        + timezone.timedelta(days=1, hours=10)
    )
    [seen] = follow_ups_for(health_caseworker)
    assert seen.overdue is True
    assert list(follow_ups_for(health_caseworker, show="overdue")) == [follow_up]
    # and an answered one is no longer overdue
    follow_up_answer(actor=health_caseworker, follow_up_id=follow_up.pk, text="已整改")
    assert not follow_ups_for(health_caseworker, show="overdue").exists()
    [answered] = follow_ups_for(health_caseworker, show="answered")
    assert answered.overdue is False
