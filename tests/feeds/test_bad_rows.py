"""Bad input in a department's batch is refused as that row, with its reason; the rest of the batch is
kept. Never a server error, never the whole batch refused for one row."""

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from profiles.models import Citizen, FactValue, Household
from services_portal.eligibility.facts import citizen_facts
from services_portal.feeds.models import FeedBatch
from services_portal.feeds.services import feed_batch_ingest
from tests.factories import birth_row, resident_id_make


@pytest.fixture
def feed_client(health_feed):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=health_feed)[1]}")
    return client


def deliver(client, batch_id: str, rows: list) -> dict:
    response = client.post("/api/v1/feeds/batches/", {"batch_id": batch_id, "rows": rows}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def rejections(client, batch_id: str) -> dict[int, str]:
    results = client.get(f"/api/v1/feeds/batches/{batch_id}/rejections/?page_size=100").json()["results"]
    return {rejection["row_number"]: rejection["reason"] for rejection in results}


def pregnancy_row(parent) -> dict:
    return {"resident_id": parent.resident_id, "fact": "is_pregnant", "value": True, "observed_at": "2026-01-05"}


@pytest.mark.parametrize("not_an_object", ["a string", 42, None, ["a", "list"], [], 3.5, True], ids=repr)
def test_a_row_that_is_not_an_object_is_refused_as_that_row(feed_client, parent, not_an_object):
    # given a batch whose middle row is not an object
    rows = [birth_row(parent), not_an_object, pregnancy_row(parent)]
    # when it is delivered; then the batch is taken, that row refused, the others stored
    result = deliver(feed_client, "NOT-OBJECT", rows)
    assert (result["rows_total"], result["rows_accepted"], result["rows_rejected"]) == (3, 2, 1)
    assert rejections(feed_client, "NOT-OBJECT") == {2: "invalid_row"}
    assert set(citizen_facts(parent)) >= {"children_birth_dates", "is_pregnant"}


@pytest.mark.parametrize("impossible", ["2026-13-45", "2026-02-30", "2026-01-01T25:00", "2026-01-01T10:00+99:00"])
def test_an_impossible_observation_date_is_refused_as_that_row(feed_client, parent, impossible):
    rows = [birth_row(parent), {**pregnancy_row(parent), "observed_at": impossible}]
    result = deliver(feed_client, "BAD-DATE", rows)
    assert result["rows_accepted"] == 1
    assert rejections(feed_client, "BAD-DATE") == {2: "invalid_observed_at"}
    assert "is_pregnant" not in citizen_facts(parent) and "children_birth_dates" in citizen_facts(parent)


@pytest.mark.parametrize("impossible", ["2026-13-45", "2026-02-30"])
def test_an_impossible_expiry_date_is_refused_as_that_row(feed_client, parent, impossible):
    rows = [{**pregnancy_row(parent), "expires_at": impossible}, birth_row(parent)]
    result = deliver(feed_client, "BAD-EXPIRY", rows)
    assert result["rows_accepted"] == 1
    assert rejections(feed_client, "BAD-EXPIRY") == {1: "invalid_expires_at"}


@pytest.mark.parametrize("impossible", ["2026-13-45", "2026-02-30"])
def test_an_impossible_date_as_a_facts_value_is_refused_as_that_row(feed_client, parent, impossible):
    rows = [birth_row(parent, value=[impossible]), pregnancy_row(parent)]
    result = deliver(feed_client, "BAD-VALUE", rows)
    assert result["rows_accepted"] == 1
    assert rejections(feed_client, "BAD-VALUE") == {1: "invalid_date"}


def test_a_time_the_database_cannot_hold_is_refused_as_that_row(feed_client, parent):
    rows = [{**pregnancy_row(parent), "observed_at": "0001-01-01"}, birth_row(parent)]
    result = deliver(feed_client, "YEAR-ONE", rows)
    assert result["rows_accepted"] == 1
    assert rejections(feed_client, "YEAR-ONE") == {1: "invalid_observed_at"}


def test_an_over_long_household_id_is_refused_as_that_row(feed_client, parent):
    # given a household id longer than the household's column holds
    too_long = "H" * (Household._meta.get_field("external_id").max_length + 1)
    rows = [birth_row(parent, household_id="HH-1"), {**pregnancy_row(parent), "household_id": too_long}]
    # when delivered; then that row alone is refused, and no household of that id exists
    result = deliver(feed_client, "LONG-HOUSEHOLD", rows)
    assert result["rows_accepted"] == 1
    assert rejections(feed_client, "LONG-HOUSEHOLD") == {2: "invalid_household_id"}
    assert list(Household.objects.values_list("external_id", flat=True)) == ["HH-1"]


def test_over_long_and_unreadable_fields_are_refused_as_their_rows(feed_client, parent):
    rows = [
        {**pregnancy_row(parent), "fact": "f" * 5000},  # longer than a rejection's fact_key column
        {**pregnancy_row(parent), "resident_id": "4" * 5000},
        {**pregnancy_row(parent), "observed_at": "2" * 5000},
        {**pregnancy_row(parent), "household_id": "H\x00"},  # PostgreSQL stores no NUL in text
        {**birth_row(parent), "value": ["2" * 5000]},
        birth_row(parent),
    ]
    result = deliver(feed_client, "LONG-FIELDS", rows)
    assert result["rows_accepted"] == 1
    assert rejections(feed_client, "LONG-FIELDS") == {
        1: "unknown_fact",
        2: "invalid_format",
        3: "invalid_observed_at",
        4: "invalid_characters",
        5: "invalid_date",
    }
    assert len(FeedBatch.objects.get(batch_id="LONG-FIELDS").rejections.get(row_number=1).fact_key) == 64


def test_a_number_too_large_for_any_fact_is_refused_as_that_row(civil_feed_with_consent):
    feed, parent = civil_feed_with_consent
    rows = [
        {"resident_id": parent.resident_id, "fact": "household_size", "value": "9" * 5000, "observed_at": "2026-01-02"},
        {"resident_id": parent.resident_id, "fact": "household_size", "value": 10**400, "observed_at": "2026-01-02"},
        {"resident_id": parent.resident_id, "fact": "income_monthly", "value": "1e999999", "observed_at": "2026-01-02"},
        {"resident_id": parent.resident_id, "fact": "marital_status", "value": "married", "observed_at": "2026-01-02"},
    ]
    batch = feed_batch_ingest(account=feed, batch_id="HUGE", rows=rows)
    assert {r.row_number: r.reason for r in batch.rejections.all()} == {1: "too_large", 2: "too_large", 3: "too_large"}
    assert batch.rows_accepted == 1


@pytest.fixture
def civil_feed_with_consent(parent):
    from profiles.models import Role
    from tests.factories import StaffFactory

    return StaffFactory(role=Role.DEPARTMENT_FEED, department="civil_affairs", region_scope=""), parent


def test_a_refused_row_about_an_unknown_person_makes_no_record(feed_client, parent):
    # given rows about a person the portal has no record of, each refused for bad input
    stranger = resident_id_make(region="450105", born="19900101")
    rows = [
        {"resident_id": stranger, "fact": "full_name", "value": "张三", "observed_at": "2026-02-30"},
        {"resident_id": stranger, "fact": "is_pregnant", "value": True, "observed_at": "2026-13-45"},
        birth_row(parent),
    ]
    people_before = Citizen.objects.count()
    # when delivered; then no person record appears for the stranger
    result = deliver(feed_client, "STRANGER", rows)
    assert result["rows_accepted"] == 1 and result["people_created"] == 0
    assert Citizen.objects.count() == people_before
    assert FactValue.objects.filter(citizen=parent).count() == 1
