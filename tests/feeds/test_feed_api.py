import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from profiles.models import FactValue, Role
from tests.factories import StaffFactory, birth_row


@pytest.fixture
def feed_client(health_feed):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=health_feed)[1]}")
    return client


def test_a_json_batch_is_stored_and_its_result_can_be_fetched_later(feed_client, parent):
    bad = {**birth_row(parent), "fact": "hukou_type", "value": "urban"}
    response = feed_client.post(
        "/api/v1/feeds/batches/", {"batch_id": "H-7", "rows": [birth_row(parent), bad]}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["rows_accepted"] == 1 and response.json()["rejected_by_reason"] == {
        "department_not_allowed": 1
    }
    again = feed_client.post("/api/v1/feeds/batches/", {"batch_id": "H-7", "rows": []}, format="json")
    assert again.status_code == 200 and again.json()["rows_accepted"] == 1
    later = feed_client.get("/api/v1/feeds/batches/H-7/rejections/").json()
    assert later["results"] == [
        {
            "row_number": 2,
            "reason": "department_not_allowed",
            "message": later["results"][0]["message"],
            "fact_key": "hukou_type",
        }
    ]


def test_a_csv_batch_is_stored(feed_client, parent):
    row = birth_row(parent)
    body = "resident_id,fact,value,observed_at\n"
    body += f"{parent.resident_id},children_birth_dates,{row['value'][0]},{row['observed_at']}\n"
    response = feed_client.post("/api/v1/feeds/batches/?batch_id=H-CSV-1", body, content_type="text/csv")
    assert response.status_code == 201, response.json()
    assert response.json()["rows_accepted"] == 1 and response.json()["format"] == "csv"
    assert FactValue.objects.filter(citizen=parent, department="health").count() == 1


def test_a_broken_csv_is_refused_whole_with_a_reason(feed_client, parent):
    response = feed_client.post(
        "/api/v1/feeds/batches/?batch_id=H-CSV-2", b"resident_id,fact\n1,2\n", content_type="text/csv"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "missing_column"


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.CASEWORKER, Role.AUDITOR])
def test_only_feed_accounts_deliver(db, role):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=StaffFactory(role=role))[1]}")
    response = client.post("/api/v1/feeds/batches/", {"batch_id": "X", "rows": []}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_a_department_sees_only_its_own_batches(feed_client, parent, db):
    feed_client.post("/api/v1/feeds/batches/", {"batch_id": "H-8", "rows": [birth_row(parent)]}, format="json")
    other = APIClient()
    civil = StaffFactory(role=Role.DEPARTMENT_FEED, department="civil_affairs")
    other.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=civil)[1]}")
    assert other.get("/api/v1/feeds/batches/H-8/").status_code == 404
