"""The consent ledger and the access log are append-only in the database itself (migration 0003):
on PostgreSQL a raw UPDATE or DELETE, or the ORM's, is refused and the row stays as it was."""

import pytest
from django.db import DatabaseError, connection, transaction

from profiles.models import AccessChannel, AccessLogEntry, AccessPurpose, ConsentEvent, Role
from profiles.purposes import Purpose
from profiles.services.access import access_record
from profiles.services.consent import consent_grant
from tests.conftest import postgres_only
from tests.factories import StaffFactory


@pytest.fixture
def postgres(db):
    postgres_only("the append-only triggers are PostgreSQL's; SQLite relies on the code having no such path")


@pytest.fixture
def consent_event(postgres, citizen):
    return consent_grant(citizen=citizen, purpose=Purpose.PERSONALISATION, channel="web")


@pytest.fixture
def access_entry(postgres, citizen):
    return access_record(
        actor=StaffFactory(role=Role.CASEWORKER),
        subject=citizen,
        fields=["name"],
        purpose=AccessPurpose.CASEWORK,
        channel=AccessChannel.API,
    )


def row(model, pk) -> tuple:
    return tuple(model.objects.filter(pk=pk).values_list()[0])


def refused(change) -> None:
    """Run `change` in its own savepoint and assert the database refuses it. DatabaseError is the parent
    of the InternalError/ProgrammingError a trigger's exception arrives as."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        change()
    assert "append-only" in str(caught.value)


RAW = {
    "profiles_consentevent": [
        "UPDATE profiles_consentevent SET granted = NOT granted WHERE id = %s",
        "DELETE FROM profiles_consentevent WHERE id = %s",
    ],
    "profiles_accesslogentry": [
        "UPDATE profiles_accesslogentry SET purpose = 'audit', request_id = 'forged' WHERE id = %s",
        "DELETE FROM profiles_accesslogentry WHERE id = %s",
    ],
}


def _raw(sql: str, pk: int):
    def change():
        with connection.cursor() as cursor:
            cursor.execute(sql, [pk])

    return change


@pytest.mark.parametrize("sql", RAW["profiles_consentevent"])
def test_the_consent_ledger_refuses_raw_update_and_delete(consent_event, sql):
    before = row(ConsentEvent, consent_event.pk)
    refused(_raw(sql, consent_event.pk))
    assert row(ConsentEvent, consent_event.pk) == before


@pytest.mark.parametrize("sql", RAW["profiles_accesslogentry"])
def test_the_access_log_refuses_raw_update_and_delete(access_entry, sql):
    before = row(AccessLogEntry, access_entry.pk)
    refused(_raw(sql, access_entry.pk))
    assert row(AccessLogEntry, access_entry.pk) == before


def test_the_consent_ledger_refuses_the_orms_update_save_and_delete(consent_event):
    before = row(ConsentEvent, consent_event.pk)
    rows = ConsentEvent.objects.filter(pk=consent_event.pk)
    refused(lambda: rows.update(granted=False))
    refused(lambda: rows.delete())
    consent_event.granted = False
    refused(lambda: consent_event.save(update_fields=["granted"]))
    refused(lambda: ConsentEvent.objects.get(pk=consent_event.pk).delete())
    assert row(ConsentEvent, consent_event.pk) == before
    assert ConsentEvent.objects.count() == 1


def test_the_access_log_refuses_the_orms_update_save_and_delete(access_entry):
    before = row(AccessLogEntry, access_entry.pk)
    rows = AccessLogEntry.objects.filter(pk=access_entry.pk)
    refused(lambda: rows.update(purpose=AccessPurpose.AUDIT))
    refused(lambda: rows.delete())
    access_entry.fields = []
    refused(lambda: access_entry.save(update_fields=["fields"]))
    refused(lambda: AccessLogEntry.objects.get(pk=access_entry.pk).delete())
    assert row(AccessLogEntry, access_entry.pk) == before
    assert AccessLogEntry.objects.count() == 1


def test_appending_still_works_after_a_refusal(consent_event, citizen):
    refused(lambda: ConsentEvent.objects.filter(pk=consent_event.pk).update(granted=False))
    consent_grant(citizen=citizen, purpose=Purpose.NOTIFY_INBOX, channel="app")
    assert ConsentEvent.objects.filter(citizen=citizen).count() == 2


def test_the_case_history_refuses_update_and_delete(postgres, citizen, catalog):
    # given a case with its first history row
    from services_portal.casework.models import Case, CaseEvent
    from services_portal.catalog.models import ServiceItem

    case = Case.objects.create(
        citizen=citizen, service=ServiceItem.objects.first(), period="2026", region_code="450103"
    )
    event = CaseEvent.objects.create(case=case, action="opened")
    before = row(CaseEvent, event.pk)
    # then neither SQL nor the ORM can rewrite or remove it
    refused(_raw("UPDATE casework_caseevent SET action = 'approved' WHERE id = %s", event.pk))
    refused(_raw("DELETE FROM casework_caseevent WHERE id = %s", event.pk))
    refused(lambda: CaseEvent.objects.filter(pk=event.pk).update(text="rewritten"))
    assert row(CaseEvent, event.pk) == before
