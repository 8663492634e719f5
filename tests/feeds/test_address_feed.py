"""The address fact: delivered by public security or civil affairs, with the person's data-matching consent."""

import pytest

from profiles.facts import FACTS, Sensitivity
from profiles.models import ConsentChannel, FactValue, Role
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from services_portal.feeds.services import feed_batch_ingest
from services_portal.screener.screening import screener_fact_keys
from tests.factories import StaffFactory, citizen_make

ADDRESS = "南宁市青秀区民族大道100号3栋2单元501"


@pytest.fixture
def public_security_feed(db):
    return StaffFactory(username="ps-feed", role=Role.DEPARTMENT_FEED, department="public_security", region_scope="")


def address_row(citizen, value=ADDRESS):
    return {"resident_id": citizen.resident_id, "fact": "address", "value": value, "observed_at": "2026-11-01"}


def reasons(batch):
    return {r.row_number: r.reason for r in batch.rejections.all()}


def test_the_address_is_an_ordinary_fact_unlocked_by_data_matching():
    address = FACTS["address"]
    assert address.sensitivity == Sensitivity.ORDINARY and address.purpose == Purpose.DATA_MATCHING
    assert set(address.departments) == {"public_security", "civil_affairs"} and not address.identity


def test_public_security_delivers_an_address_for_a_person_who_agreed(public_security_feed):
    person = citizen_make(region_code="450103")
    consent_grant(citizen=person, purpose=Purpose.DATA_MATCHING, channel=ConsentChannel.WEB)
    batch = feed_batch_ingest(account=public_security_feed, batch_id="A-1", rows=[address_row(person)])
    assert batch.rows_accepted == 1
    stored = FactValue.objects.get(citizen=person, key="address")
    assert (stored.value, stored.department) == (ADDRESS, "public_security")


def test_an_address_without_data_matching_consent_is_refused_with_its_reason(public_security_feed):
    # given a person who has not agreed to receive department data
    person = citizen_make(region_code="450103")
    # when public security delivers their address
    batch = feed_batch_ingest(account=public_security_feed, batch_id="A-2", rows=[address_row(person)])
    # then the row is kept out, with its reason, and nothing is stored
    assert reasons(batch) == {1: "no_data_matching_consent"}
    assert not FactValue.objects.filter(citizen=person).exists()


def test_other_departments_and_overlong_addresses_are_refused(health_feed, public_security_feed):
    person = citizen_make(region_code="450103")
    consent_grant(citizen=person, purpose=Purpose.DATA_MATCHING, channel=ConsentChannel.WEB)
    by_health = feed_batch_ingest(account=health_feed, batch_id="A-3", rows=[address_row(person)])
    assert reasons(by_health) == {1: "department_not_allowed"}
    too_long = feed_batch_ingest(account=public_security_feed, batch_id="A-4", rows=[address_row(person, "路" * 201)])
    assert reasons(too_long) == {1: "too_long"}


def test_the_screener_does_not_ask_for_an_address(catalog):
    assert "address" not in screener_fact_keys()
