import datetime

import pytest
from django.utils import timezone

from profiles.models import Citizen, FactValue, Household, Role
from services_portal.eligibility.facts import citizen_facts
from services_portal.feeds.models import FeedBatch
from services_portal.feeds.services import BatchRefused, feed_batch_ingest, feed_csv_parse
from tests.factories import StaffFactory, birth_row, resident_id_make


@pytest.fixture
def civil_feed(db):
    return StaffFactory(username="civil-feed", role=Role.DEPARTMENT_FEED, department="civil_affairs", region_scope="")


def reasons(batch):
    return {r.row_number: r.reason for r in batch.rejections.all()}


def test_bad_rows_are_kept_out_with_their_reason_and_good_rows_are_stored(health_feed, parent):
    today = timezone.localdate()
    good = birth_row(parent)
    rows = [
        good,
        {**good, "resident_id": "4501031980"},  # unknown id format
        {**good, "resident_id": parent.resident_id[:-1] + ("0" if parent.resident_id[-1] != "0" else "1")},
        {**good, "fact": "hukou_type", "value": "urban"},  # health may not deliver it
        {**good, "fact": "is_pregnant", "value": "perhaps"},  # wrong type
        {**good, "fact": "shoe_size"},
        {**good, "value": [(today + datetime.timedelta(days=30)).isoformat()]},  # a birth in the future
        good,  # duplicate of row 1
        {**good, "observed_at": "yesterday"},
        {"resident_id": parent.resident_id, "fact": "is_pregnant"},  # missing value and observed_at
    ]
    batch = feed_batch_ingest(account=health_feed, batch_id="B-1", rows=rows)
    assert batch.rows_total == 10 and batch.rows_accepted == 1 and batch.rows_rejected == 9
    assert reasons(batch) == {
        2: "invalid_format",
        3: "wrong_check_digit",
        4: "department_not_allowed",
        5: "invalid_boolean",
        6: "unknown_fact",
        7: "date_in_future",
        8: "duplicate_row",
        9: "invalid_observed_at",
        10: "missing_field",
    }
    assert batch.rejected_by_reason["duplicate_row"] == 1
    assert len(citizen_facts(parent)["children_birth_dates"]) == 1


def test_delivering_the_same_batch_again_changes_nothing(health_feed, parent):
    first = feed_batch_ingest(account=health_feed, batch_id="B-1", rows=[birth_row(parent)])
    again = feed_batch_ingest(account=health_feed, batch_id="B-1", rows=[birth_row(parent, days_ago=3)])
    assert again.pk == first.pk and FeedBatch.objects.count() == 1
    assert FactValue.objects.filter(citizen=parent).count() == 1


def test_a_person_without_consent_gets_nothing_stored(health_feed, db):
    number = resident_id_make(region="450105")
    row = {"resident_id": number, "fact": "is_pregnant", "value": True, "observed_at": "2026-01-01"}
    batch = feed_batch_ingest(account=health_feed, batch_id="B-2", rows=[row])
    assert reasons(batch) == {1: "no_data_matching_consent"}
    # and a refused row makes no record of the person (real-name binding: only identity rows do)
    assert batch.people_created == 0
    assert not FactValue.objects.exists()
    assert not Citizen.objects.exists()


def test_households_make_household_facts_from_their_members(civil_feed, parent, db):
    from profiles.models import ConsentChannel
    from profiles.purposes import Purpose
    from profiles.services.consent import consent_grant
    from tests.factories import citizen_make

    partner = citizen_make()
    for purpose in (Purpose.DATA_MATCHING, Purpose.SENSITIVE_FACTS):
        consent_grant(citizen=partner, purpose=purpose, channel=ConsentChannel.WEB)
    rows = [
        {
            "resident_id": p.resident_id,
            "fact": "income_monthly",
            "value": income,
            "observed_at": "2026-10-01",
            "household_id": "HH-450103-0001",
        }
        for p, income in ((parent, 1500), (partner, 900))
    ]
    feed_batch_ingest(account=civil_feed, batch_id="C-1", rows=rows)
    assert Household.objects.get().members.count() == 2
    facts = citizen_facts(parent)
    assert facts["household_size"] == 2
    assert facts["household_income_monthly_per_capita"] == 1200


def test_a_csv_with_a_broken_encoding_or_a_missing_column_is_refused_whole(health_feed):
    with pytest.raises(BatchRefused) as caught:
        feed_csv_parse(b"resident_id,fact,value,observed_at\n" + b"\xff\xfe,x,y,z\n")
    assert caught.value.code == "bad_encoding"
    with pytest.raises(BatchRefused) as caught:
        feed_csv_parse(b"resident_id,fact,value\n1,2,3\n")
    assert caught.value.code == "missing_column" and "observed_at" in caught.value.message


def test_a_feed_account_without_a_department_cannot_deliver(db):
    account = StaffFactory(role=Role.DEPARTMENT_FEED, department="")
    with pytest.raises(BatchRefused):
        feed_batch_ingest(account=account, batch_id="X", rows=[])
