import pytest

from profiles.models import AccessLogEntry, ConsentEvent, Role
from tests.factories import StaffFactory


@pytest.fixture
def administrator(db):
    return StaffFactory(role=Role.ADMINISTRATOR, region_scope="450100")


def test_opening_a_citizen_in_the_admin_is_logged(client, administrator, citizen):
    client.force_login(administrator)
    assert client.get("/admin/profiles/citizen/").status_code == 200
    assert AccessLogEntry.objects.count() == 0  # the list shows no personal data
    response = client.get(f"/admin/profiles/citizen/{citizen.pk}/change/")
    assert response.status_code == 200
    entry = AccessLogEntry.objects.get()
    assert (entry.actor, entry.subject, entry.channel, entry.purpose) == (administrator, citizen, "admin", "support")


def test_an_administrator_outside_the_region_cannot_open_the_citizen(client, citizen, db):
    outsider = StaffFactory(role=Role.ADMINISTRATOR, region_scope="450200")
    client.force_login(outsider)
    assert client.get(f"/admin/profiles/citizen/{citizen.pk}/change/").status_code in (302, 403, 404)
    assert not AccessLogEntry.objects.exists()


def test_the_ledger_and_the_log_cannot_be_changed_in_the_admin(client, administrator, citizen):
    from profiles.purposes import Purpose
    from profiles.services.consent import consent_grant

    event = consent_grant(citizen=citizen, purpose=Purpose.PERSONALISATION, channel="web")
    client.force_login(administrator)
    client.post(f"/admin/profiles/consentevent/{event.pk}/delete/", {"post": "yes"})
    assert ConsentEvent.objects.filter(pk=event.pk).exists()
    response = client.get(f"/admin/profiles/consentevent/{event.pk}/change/")
    assert response.status_code == 200 and "Save" not in response.content.decode()


@pytest.mark.parametrize(
    ("role", "status"), [(Role.CATALOG_EDITOR, 200), (Role.AUDITOR, 403), (Role.COUNTER_STAFF, 302)]
)
def test_only_editors_edit_the_catalog(client, catalog, role, status):
    user = StaffFactory(role=role)
    client.force_login(user)
    assert client.get("/admin/catalog/serviceitem/").status_code == status
