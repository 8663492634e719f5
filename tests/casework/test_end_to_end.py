"""免申即享 end to end, through the API only: the health department's feed delivers a birth, detection
opens a childcare-subsidy case as the batch commits, two caseworkers approve it, the parent reads the
decision, objects, and the case is back in the queue. Delivering the batch again changes nothing.

PostgreSQL, with real commits (detection is enqueued on commit, and runs eagerly in tests)."""

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from profiles.models import FactValue
from services_portal.casework.models import Case
from services_portal.notifications.models import Notification
from tests.conftest import postgres_only
from tests.factories import birth_row

pytestmark = pytest.mark.django_db(transaction=True)

CHILDCARE = "gx-childcare-subsidy"


@pytest.fixture(autouse=True)
def _postgres():
    postgres_only("the end-to-end path runs on PostgreSQL, as in production")


def token_client(user, language: str = "zh-hans") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def test_a_birth_becomes_an_approved_subsidy_the_parent_can_object_to(
    catalog, health_feed, parent, caseworker, second_caseworker
):
    feed = token_client(health_feed)
    first, second = token_client(caseworker), token_client(second_caseworker)
    me = token_client(parent.user, "en")
    batch = {"batch_id": "H-2026-0042", "rows": [birth_row(parent)]}

    # when the health department delivers the birth
    delivered = ok(feed.post("/api/v1/feeds/batches/", batch, format="json"), 201)
    assert (delivered["rows_accepted"], delivered["rows_rejected"]) == (1, 0)

    # then the parent's case is in the Nanning queue, with the birth as evidence from the health department
    [row] = ok(first.get("/api/v1/casework/cases/", {"service": CHILDCARE}))["results"]
    case = ok(first.get(f"/api/v1/casework/cases/{row['id']}/"))
    assert case["person"]["id"] == parent.pk and case["amount_cny"] == "3600.00" and case["version"] == 1
    [evidence] = [item for item in case["evidence"] if item["fact"] == "children_birth_dates"]
    assert (evidence["department"], evidence["source"], evidence["value"]) == (
        "health",
        "department_feed",
        birth_row(parent)["value"],
    )

    # when caseworker A approves (3600 is above the 3000 threshold) and caseworker B approves too
    decision = {"reason_code": "criteria_met", "text": "", "version": 1}
    pending = ok(first.post(f"/api/v1/casework/cases/{row['id']}/approve/", decision, format="json"))
    assert (pending["state"], pending["version"]) == ("awaiting_second", 2)
    approved = ok(
        second.post(f"/api/v1/casework/cases/{row['id']}/approve/", {**decision, "version": 2}, format="json")
    )
    assert (approved["state"], approved["version"]) == ("approved", 3)

    # then the parent has the decision in their inbox, in their language, and sees the case approved
    [notice] = ok(me.get("/api/v1/me/inbox/"))["results"]
    assert notice["kind"] == "case_decision" and notice["title"].startswith("Approved")
    assert notice["link"] == f"/me/cases/{row['id']}/"
    [mine] = ok(me.get("/api/v1/me/cases/"))["results"]
    assert (mine["id"], mine["state"], mine["can_object"]) == (row["id"], "approved", True)

    # when the parent objects
    objected = ok(me.post(f"/api/v1/me/cases/{row['id']}/objection/", {"text": "金额不对"}, format="json"))

    # then the case is back in the queue for a fresh decision
    assert objected["state"] == "in_review" and objected["history"][-1]["action"] == "objected"
    [back] = ok(first.get("/api/v1/casework/cases/"))["results"]
    assert (back["id"], back["state"], back["version"], back["first_approver"]) == (row["id"], "in_review", 4, None)
    history = ok(first.get(f"/api/v1/casework/cases/{row['id']}/"))["history"]
    assert [event["action"] for event in history] == ["opened", "first_approval", "approved", "objected"]

    # when the department delivers the same batch again, even with different content
    again = {**batch, "rows": [birth_row(parent, days_ago=3)]}
    redelivered = ok(feed.post("/api/v1/feeds/batches/", again, format="json"), 200)

    # then it answers the first result and nothing changes: one fact, one case, one notice
    assert redelivered["rows_accepted"] == 1 and redelivered["received_at"] == delivered["received_at"]
    assert FactValue.objects.filter(citizen=parent, department="health").count() == 1
    assert Case.objects.filter(citizen=parent).count() == 1
    assert Case.objects.get(citizen=parent).state == "in_review"
    assert Notification.objects.filter(citizen=parent).count() == 1
