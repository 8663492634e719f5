"""Satisfaction figures per service and department, and what closing an account does to ratings."""

from __future__ import annotations

import pytest
from django.utils import timezone

from profiles.selectors import citizen_export
from profiles.services.accounts import citizen_erase
from services_portal.ratings.models import Rating
from services_portal.ratings.selectors import satisfaction_by_department, satisfaction_by_service
from services_portal.ratings.services import rating_submit
from tests.factories import StaffFactory
from tests.ratings.conftest import case_end, ended_case_of, open_cases, parent_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(django_capture_on_commit_callbacks, catalog, health_feed, caseworker):
    """Four Nanning parents rated their childcare-subsidy case 5, 4, 2 and 1, and one in Liuzhou 3; a
    fifth Nanning parent rated a minimum-living-allowance case (civil affairs) 5."""
    parents = [parent_make() for _ in range(4)]
    liuzhou_parent = parent_make("450203")
    cases = open_cases(django_capture_on_commit_callbacks, health_feed, [*parents, liuzhou_parent])
    liuzhou_caseworker = StaffFactory(role="caseworker", region_scope="450200")
    for case in cases[:4]:
        case_end(case, caseworker)
    case_end(cases[4], liuzhou_caseworker)
    for parent, case, level, reasons in zip(
        parents, cases[:4], (5, 4, 2, 1), (["fast"], [], ["overdue"], ["poor_attitude"]), strict=True
    ):
        rating_submit(citizen=parent, case_id=case.pk, level=level, reasons=reasons)
    rating_submit(citizen=liuzhou_parent, case_id=cases[4].pk, level=3, reasons=[])
    dibao_parent = parent_make()
    dibao = ended_case_of(dibao_parent, "gx-dibao")
    rating_submit(citizen=dibao_parent, case_id=dibao.pk, level=5, reasons=["helpful_staff"])
    return cases


def test_satisfaction_per_department_for_an_administrator(rated, administrator):
    by_department = {row.code: row for row in satisfaction_by_department(administrator)}
    health = by_department["health"]
    assert (health.ratings, health.satisfied, health.dissatisfied) == (5, 3, 2)
    assert health.satisfied_share == pytest.approx(0.6) and health.average_level == 3.0
    assert (health.follow_ups_open, health.follow_ups_overdue) == (2, 0)
    civil = by_department["civil_affairs"]
    assert (civil.ratings, civil.satisfied_share, civil.average_level, civil.dissatisfied) == (1, 1.0, 5.0, 0)


def test_satisfaction_is_limited_to_the_readers_region(rated, db):
    nanning_admin = StaffFactory(role="administrator", region_scope="450100")
    by_service = {row.code: row for row in satisfaction_by_service(nanning_admin)}
    childcare = by_service["gx-childcare-subsidy"]
    assert (childcare.ratings, childcare.average_level, childcare.satisfied) == (4, 3.0, 2)
    assert childcare.department  # the department's name beside the service


def test_overdue_follow_ups_count_and_a_period_filters(rated, administrator, time_machine):
    time_machine.move_to(timezone.now() + timezone.timedelta(days=40))
    [health] = [row for row in satisfaction_by_department(administrator) if row.code == "health"]
    assert health.follow_ups_overdue == 2
    assert satisfaction_by_department(administrator, since=timezone.localdate()) == []


def test_closing_the_account_erases_the_words_and_keeps_the_level(ended_case, parent):
    rating_submit(citizen=parent, case_id=ended_case.pk, level=1, reasons=["other"], text="我叫李华，电话13800000000")
    export = citizen_export(parent)
    assert export["ratings"][0]["text"] == "我叫李华，电话13800000000"
    citizen_erase(citizen=parent)
    rating = Rating.objects.get()
    assert rating.text == "" and (rating.level, rating.reasons) == (1, ["other"])
    assert rating.follow_up.state == "open"
