"""The ratings API: the applicant's rating of their case, the caseworkers' follow-ups, satisfaction."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from services_portal.ratings.models import FollowUp, FollowUpState, Rating, RatingChannel
from services_portal.ratings.services import rating_submit
from tests.ratings.conftest import MODEL_BACKEND

pytestmark = pytest.mark.django_db


def client_for(user, language="en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def test_the_applicant_rates_through_the_api(ended_case, parent):
    client = client_for(parent.user)
    # given the case may be rated
    before = client.get(f"/api/v1/me/cases/{ended_case.pk}/rating/")
    assert before.status_code == 200 and before.json() == {"can_rate": True, "rating": None}
    # when they rate it dissatisfied
    response = client.post(
        f"/api/v1/me/cases/{ended_case.pk}/rating/",
        {"level": 2, "reasons": ["overdue"], "text": "等了很久"},
        format="json",
    )
    # then the rating and its follow-up come back
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["can_rate"] is False
    assert body["rating"]["level"] == 2 and body["rating"]["level_label"] == "Dissatisfied"
    assert body["rating"]["reasons"] == [{"code": "overdue", "label": "It took longer than promised"}]
    assert body["rating"]["follow_up"]["state"] == "open" and body["rating"]["follow_up"]["department"] == "health"
    assert Rating.objects.get().channel == RatingChannel.API
    # and a second rating is a conflict in the one error shape
    again = client.post(f"/api/v1/me/cases/{ended_case.pk}/rating/", {"level": 5}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"


def test_api_errors_have_the_one_shape(open_case, parent, other_citizen, caseworker):
    client = client_for(parent.user)
    not_ended = client.post(f"/api/v1/me/cases/{open_case.pk}/rating/", {"level": 5}, format="json")
    assert not_ended.status_code == 409 and not_ended.json()["error"]["code"] == "not_ended"
    from tests.ratings.conftest import case_end

    case_end(open_case, caseworker)
    misfit = client.post(
        f"/api/v1/me/cases/{open_case.pk}/rating/", {"level": 5, "reasons": ["overdue"]}, format="json"
    )
    assert misfit.status_code == 400 and misfit.json()["error"]["fields"] == {
        "reasons": ["Choose reasons that say what was good, or “Other”."]
    }
    unknown = client.post(f"/api/v1/me/cases/{open_case.pk}/rating/", {"level": 7}, format="json")
    assert unknown.status_code == 400 and "level" in unknown.json()["error"]["fields"]
    others = client_for(other_citizen.user).post(
        f"/api/v1/me/cases/{open_case.pk}/rating/", {"level": 5}, format="json"
    )
    assert others.status_code == 404 and others.json()["error"]["code"] == "not_found"
    assert client_for(other_citizen.user).get(f"/api/v1/me/cases/{open_case.pk}/rating/").status_code == 404
    assert not Rating.objects.exists()


@pytest.fixture
def follow_up(ended_case, parent):
    return rating_submit(citizen=parent, case_id=ended_case.pk, level=1, reasons=["poor_attitude"]).follow_up


def test_caseworkers_list_and_answer_follow_ups(follow_up, health_caseworker, parent):
    client = client_for(health_caseworker, "zh-hans")
    listing = client.get("/api/v1/casework/follow-ups/")
    assert listing.status_code == 200
    [row] = listing.json()["results"]
    assert row["id"] == follow_up.pk and row["overdue"] is False and row["rating"]["level"] == 1
    assert row["rating"]["reasons"] == [{"code": "poor_attitude", "label": "服务态度差"}]
    empty = client.post(f"/api/v1/casework/follow-ups/{follow_up.pk}/answer/", {"text": ""}, format="json")
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "text_required"
    answered = client.post(f"/api/v1/casework/follow-ups/{follow_up.pk}/answer/", {"text": "已约谈"}, format="json")
    assert answered.status_code == 200 and answered.json()["state"] == "answered"
    assert answered.json()["answered_by"] == health_caseworker.username
    again = client.post(f"/api/v1/casework/follow-ups/{follow_up.pk}/answer/", {"text": "再"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_answered"
    # the applicant reads the answer with their rating
    mine = client_for(parent.user).get(f"/api/v1/me/cases/{follow_up.rating.case_id}/rating/").json()
    assert mine["rating"]["follow_up"]["response"] == "已约谈"
    assert client.get("/api/v1/casework/follow-ups/?show=bogus").status_code == 400


def test_follow_ups_outside_the_scope_are_not_found(follow_up, parent):
    from profiles.models import Role
    from tests.factories import StaffFactory

    liuzhou = StaffFactory(role=Role.CASEWORKER, region_scope="450200")
    client = client_for(liuzhou)
    assert client.get("/api/v1/casework/follow-ups/").json()["results"] == []
    response = client.post(f"/api/v1/casework/follow-ups/{follow_up.pk}/answer/", {"text": "x"}, format="json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client_for(parent.user).get("/api/v1/casework/follow-ups/").status_code == 403
    assert FollowUp.objects.get().state == FollowUpState.OPEN


def test_satisfaction_for_administrators_and_auditors(follow_up, administrator, auditor, caseworker, parent):
    for reader in (administrator, auditor):
        response = client_for(reader).get("/api/v1/reports/satisfaction/")
        assert response.status_code == 200
        [department] = response.json()["departments"]
        assert department["code"] == "health" and department["ratings"] == 1 and department["dissatisfied"] == 1
        [service] = response.json()["services"]
        assert service["code"] == "gx-childcare-subsidy" and service["satisfied_share"] == 0.0
    for nobody in (caseworker, parent.user):
        assert client_for(nobody).get("/api/v1/reports/satisfaction/").status_code == 403
    bad = client_for(administrator).get("/api/v1/reports/satisfaction/?since=2026-12-31&until=2026-01-01")
    assert bad.status_code == 400 and "until" in bad.json()["error"]["fields"]


def test_the_schema_describes_the_ratings_api(client):
    response = client.get("/api/schema/?format=json")
    paths = response.json()["paths"]
    for path in (
        "/api/v1/me/cases/{case_id}/rating/",
        "/api/v1/casework/follow-ups/",
        "/api/v1/casework/follow-ups/{follow_up_id}/answer/",
        "/api/v1/reports/satisfaction/",
    ):
        assert path in paths


def test_listing_follow_ups_costs_the_same_for_one_or_many(
    django_capture_on_commit_callbacks, catalog, health_feed, caseworker, health_caseworker
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.ratings.conftest import case_end, open_cases, parent_make

    parents = [parent_make() for _ in range(3)]
    cases = [
        case_end(case, caseworker) for case in open_cases(django_capture_on_commit_callbacks, health_feed, parents)
    ]
    client = client_for(health_caseworker)

    def queries_for_listing() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/casework/follow-ups/").status_code == 200
        return len(captured)

    queries_for_listing()  # the session's first request writes to it
    rating_submit(citizen=parents[0], case_id=cases[0].pk, level=1, reasons=[])
    one = queries_for_listing()
    for parent, case in zip(parents[1:], cases[1:], strict=True):
        rating_submit(citizen=parent, case_id=case.pk, level=2, reasons=[])
    assert queries_for_listing() == one
    assert len(client.get("/api/v1/casework/follow-ups/").json()["results"]) == 3
