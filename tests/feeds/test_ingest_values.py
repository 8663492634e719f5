"""What a stored batch leaves behind, value by value: provenance, superseding, repeats, moves.

Runs on either database: on PostgreSQL ingest writes fact values with its own bulk statement, on
SQLite through the ORM, and both must leave the same rows."""

import datetime

import pytest

from profiles.models import Citizen, FactSource, FactValue, Role
from services_portal.feeds.services import feed_batch_ingest
from tests.factories import StaffFactory


@pytest.fixture
def police_feed(db):
    return StaffFactory(role=Role.DEPARTMENT_FEED, department="public_security", region_scope="")


def row(person, fact, value, observed_at="2026-01-05", **extra):
    return {"resident_id": person.resident_id, "fact": fact, "value": value, "observed_at": observed_at, **extra}


def current(person, key) -> FactValue:
    return FactValue.objects.get(citizen=person, key=key, superseded_at__isnull=True)


def test_a_stored_value_keeps_where_it_came_from(health_feed, parent):
    # when the health department delivers a pregnancy with an expiry, and a birth
    feed_batch_ingest(
        account=health_feed,
        batch_id="H-1",
        rows=[
            row(parent, "is_pregnant", True, "2026-01-05T08:30:00+08:00", expires_at="2026-10-01"),
            row(parent, "children_birth_dates", ["2026-01-01"]),
        ],
    )
    # then each value is stored as JSON with its source, department, account and times
    pregnant, births = current(parent, "is_pregnant"), current(parent, "children_birth_dates")
    assert (pregnant.value, births.value) == (True, ["2026-01-01"])
    for value in (pregnant, births):
        assert (value.source, value.department, value.recorded_by) == (
            FactSource.DEPARTMENT_FEED,
            "health",
            health_feed,
        )
        assert value.recorded_at is not None and value.superseded_at is None
    assert pregnant.observed_at == datetime.datetime(2026, 1, 5, 0, 30, tzinfo=datetime.UTC)
    # a date without a time is midnight where the portal is (Asia/Shanghai)
    assert pregnant.expires_at == datetime.datetime(2026, 9, 30, 16, 0, tzinfo=datetime.UTC)
    assert births.expires_at is None


def test_a_changed_value_supersedes_and_the_same_value_again_adds_nothing(health_feed, police_feed, parent):
    feed_batch_ingest(account=health_feed, batch_id="H-1", rows=[row(parent, "is_pregnant", True)])
    first = current(parent, "is_pregnant")

    # the same value from the same department again: nothing new
    feed_batch_ingest(account=health_feed, batch_id="H-2", rows=[row(parent, "is_pregnant", True, "2026-02-01")])
    assert list(FactValue.objects.filter(citizen=parent)) == [first]

    # a changed value: the old one stays as history, superseded when the new one was recorded
    feed_batch_ingest(account=health_feed, batch_id="H-3", rows=[row(parent, "is_pregnant", False, "2026-03-01")])
    second = current(parent, "is_pregnant")
    first.refresh_from_db()
    assert second.value is False and second.pk != first.pk
    assert first.superseded_at is not None and first.superseded_at <= second.recorded_at

    # the same value from another department is news: it says who says so now
    feed_batch_ingest(account=police_feed, batch_id="P-1", rows=[row(parent, "birth_date", "1990-05-01")])
    feed_batch_ingest(account=health_feed, batch_id="H-4", rows=[row(parent, "birth_date", "1990-05-01")])
    assert current(parent, "birth_date").department == "health"
    assert FactValue.objects.filter(citizen=parent, key="birth_date").count() == 2
    assert FactValue.objects.filter(citizen=parent, superseded_at__isnull=True).count() == 2


def test_a_delivered_residence_moves_the_person_to_that_region(police_feed, parent):
    feed_batch_ingest(account=police_feed, batch_id="P-1", rows=[row(parent, "region_code", "450202")])
    assert Citizen.objects.get(pk=parent.pk).region_code == "450202"
    assert current(parent, "region_code").value == "450202"
