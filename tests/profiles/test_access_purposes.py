"""Each role reads a person's data only for its own purposes (profiles.permissions.PURPOSES), whatever
the way in: the API, a page, the administration. Reads in the administration are logged too."""

import re

import pytest
from rest_framework.test import APIClient

from profiles.models import AccessChannel, AccessLogEntry, AccessPurpose, Role
from profiles.permissions import purposes_for
from profiles.purposes import Purpose
from profiles.services.access import PurposeNotAllowed, access_record
from profiles.services.consent import consent_grant
from tests.factories import StaffFactory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "role, refused",
    [
        (Role.COUNTER_STAFF, "audit"),
        (Role.COUNTER_STAFF, "casework"),
        (Role.CASEWORKER, "counter_service"),
        (Role.CASEWORKER, "support"),
        (Role.ADMINISTRATOR, "casework"),
    ],
)
def test_staff_giving_a_purpose_their_role_may_not_use_are_refused_in_the_api(citizen, role, refused):
    client = signed_in(StaffFactory(role=role, region_scope="450100"))
    by_id = client.get(f"/api/v1/staff/citizens/{citizen.pk}/", {"purpose": refused}, **EN)
    by_number = client.post(
        "/api/v1/staff/citizens/", {"resident_id": citizen.resident_id, "purpose": refused}, format="json", **EN
    )
    for response in (by_id, by_number):
        assert response.status_code == 403, response.content
        error = response.json()["error"]
        assert error["code"] == "purpose_not_allowed" and "purpose" in error["fields"]
    assert not AccessLogEntry.objects.exists()


def test_the_access_service_refuses_a_purpose_outside_the_role(citizen):
    counter_staff = StaffFactory(role=Role.COUNTER_STAFF)
    with pytest.raises(PurposeNotAllowed):
        access_record(actor=counter_staff, subject=citizen, fields=["name"], purpose=AccessPurpose.AUDIT, channel="api")
    assert not AccessLogEntry.objects.exists()


def test_each_role_has_its_own_purposes(db):
    def purposes(role):
        return [str(p) for p in purposes_for(StaffFactory(role=role))]

    assert purposes(Role.COUNTER_STAFF) == ["counter_service", "outreach"]
    assert purposes(Role.CASEWORKER) == ["casework"]
    assert purposes(Role.AUDITOR) == ["audit"]
    assert purposes(Role.DEPARTMENT_FEED) == ["feed_reconciliation"]
    assert set(purposes(Role.ADMINISTRATOR)) == {"support", "data_subject_request", "audit"}
    assert purposes(Role.CATALOG_EDITOR) == []


def test_the_counter_page_offers_only_counter_purposes_and_refuses_audit(client, citizen):
    # given counter staff at the desk
    client.force_login(StaffFactory(role=Role.COUNTER_STAFF, region_scope="450100"))
    # then the look-up offers only their purposes
    html = client.get("/counter/", **EN).content.decode()
    assert set(re.findall(r'name="purpose" value="([a-z_]+)"', html)) == {"counter_service", "outreach"}
    # and a look-up posted with the purpose audit is a form error, and opens and logs nothing
    response = client.post("/counter/", {"resident_id": citizen.resident_id, "purpose": "audit"}, **EN)
    assert response.status_code == 400
    assert "purpose" in response.context["form"].errors
    assert not AccessLogEntry.objects.exists()


# -- the administration --------------------------------------------------------------------------


@pytest.fixture
def administrator(db):
    return StaffFactory(role=Role.ADMINISTRATOR, region_scope="")


def test_opening_a_push_in_the_admin_is_a_logged_read_of_its_person(client, administrator, citizen, catalog):
    from services_portal.catalog.models import ServiceItem
    from services_portal.notifications.services import push_create

    # given a push to a person
    service = ServiceItem.objects.order_by("code").first()
    push = push_create(citizen=citizen, service=service, trigger="sweep", key="k", title="t", body="b")
    client.force_login(administrator)
    # when an administrator lists the outbox, nothing is logged; when they open the push, it is
    assert client.get("/admin/notifications/push/").status_code == 200
    assert not AccessLogEntry.objects.exists()
    assert client.get(f"/admin/notifications/push/{push.pk}/change/").status_code == 200
    entry = AccessLogEntry.objects.get()
    assert (entry.actor, entry.subject, entry.purpose, entry.channel) == (administrator, citizen, "support", "admin")


@pytest.mark.parametrize("role, purpose", [(Role.AUDITOR, "audit"), (Role.ADMINISTRATOR, "support")])
def test_opening_a_consent_or_an_access_log_row_in_the_admin_is_logged(client, citizen, role, purpose):
    # given a consent and an access-log row about a person
    event = consent_grant(citizen=citizen, purpose=Purpose.PERSONALISATION, channel="web")
    caseworker = StaffFactory(role=Role.CASEWORKER)
    read = access_record(actor=caseworker, subject=citizen, fields=["name"], purpose="casework", channel="api")
    staff = StaffFactory(role=role, region_scope="")
    client.force_login(staff)
    # when the lists are read, they show no masked number, and nothing more is logged
    for path in ("/admin/profiles/consentevent/", "/admin/profiles/accesslogentry/"):
        listing = client.get(path)
        assert listing.status_code == 200 and citizen.resident_id_masked not in listing.content.decode()
    assert AccessLogEntry.objects.count() == 1
    # when the records are opened, each is a logged read of the person with the role's purpose
    assert client.get(f"/admin/profiles/consentevent/{event.pk}/change/").status_code == 200
    assert client.get(f"/admin/profiles/accesslogentry/{read.pk}/change/").status_code == 200
    logged = AccessLogEntry.objects.filter(actor=staff)
    assert [(e.subject, e.purpose, e.channel) for e in logged] == [(citizen, purpose, AccessChannel.ADMIN)] * 2
