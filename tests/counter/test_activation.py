"""The counter's part in real-name binding: staff check the ID card, record a person the portal does not
know (a walk-in), and print an activation code on a slip, which the person enters in their account."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from profiles.models import AccessLogEntry, Citizen, CodePurpose, OneTimeCode, Role
from profiles.resident_id import resident_id_hash
from profiles.services.accounts import citizen_register
from profiles.services.identity import identity_complete
from services_portal.core.errors import PortalError
from tests.factories import MODEL_BACKEND, PASSWORD, StaffFactory, citizen_make, resident_id_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SLIP_CODE = re.compile(r'class="activation-code">([A-Z0-9]{8})<')


@pytest.fixture
def counter_staff(db):
    return StaffFactory(username="qingxiu-counter", role=Role.COUNTER_STAFF, region_scope="450103")


@pytest.fixture
def desk(counter_staff):
    client = Client()
    client.force_login(counter_staff, backend=MODEL_BACKEND)
    return client


def _walk_in(desk, number: str, name: str = "黄秀英") -> str:
    """Look the number up (not found), then record the person; returns the visit's address."""
    response = desk.post("/counter/", {"resident_id": number, "purpose": "counter_service"}, **EN)
    assert response.status_code == 404
    assert "Record a person the portal does not know" in response.content.decode()
    response = desk.post(
        "/counter/walk-in/",
        {
            "resident_id": number,
            "name": name,
            "region_code": "450103",
            "id_card_checked": "on",
            "purpose": "counter_service",
        },
        **EN,
    )
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def _print_code(desk, visit: str) -> str:
    response = desk.post(visit + "activation-code/", {"id_card_checked": "on"}, **EN)
    assert response.status_code == 200, response.content.decode()
    return SLIP_CODE.search(response.content.decode()).group(1)


def test_a_walk_in_gets_a_slip_whose_code_binds_their_account_once(desk, counter_staff, catalog):
    # given a person nobody knew, recorded at the counter after staff checked their ID card
    number = resident_id_make()
    visit = _walk_in(desk, number)
    record = Citizen.objects.get(resident_id_hash=resident_id_hash(number))
    assert record.user_id is None and record.name == "黄秀英" and record.region_code == "450103"
    # when staff print an activation code
    response = desk.post(visit + "activation-code/", {"id_card_checked": "on"}, **EN)
    html = response.content.decode()
    plain = SLIP_CODE.search(html).group(1)
    # then the slip shows it with how long it lasts, and the issue is logged with the staff member
    assert "Your activation code" in html and "30 minutes" in html
    code = OneTimeCode.objects.get(purpose=CodePurpose.COUNTER_ACTIVATION, citizen=record)
    assert code.issued_by == counter_staff and code.user_id is None
    logged = AccessLogEntry.objects.filter(actor=counter_staff, subject=record).values_list("fields", flat=True)
    assert ["activation_code"] in list(logged)
    # and the person, signed up online, enters it: their account holds the record, verified at the counter
    account = citizen_register(resident_id=number, name="黄秀英", password=PASSWORD)
    bound = identity_complete(citizen=account, method="counter", data={"code": plain.lower()})
    assert bound.pk == record.pk and bound.bound_by == "counter" and bound.user_id == account.user_id
    # and the same code never works again
    again = citizen_register(resident_id=number, name="黄秀英", password="another-password-1")
    with pytest.raises(PortalError):
        identity_complete(citizen=again, method="counter", data={"code": plain})


def test_an_activation_code_expires(desk, counter_staff, catalog, settings):
    settings.COUNTER_ACTIVATION_CODE_MINUTES = 30
    number = resident_id_make()
    plain = _print_code(desk, _walk_in(desk, number))
    account = citizen_register(resident_id=number, name="黄秀英", password=PASSWORD)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=31)), pytest.raises(PortalError) as caught:
        identity_complete(citizen=account, method="counter", data={"code": plain})
    assert caught.value.code == "code_expired"


def test_wrong_tries_kill_an_activation_code(desk, catalog, settings):
    settings.CODE_MAX_ATTEMPTS = 2
    number = resident_id_make()
    plain = _print_code(desk, _walk_in(desk, number))
    account = citizen_register(resident_id=number, name="黄秀英", password=PASSWORD)
    for _try in range(2):
        with pytest.raises(PortalError) as caught:
            identity_complete(citizen=account, method="counter", data={"code": "ABCDEFGH"})
        assert caught.value.code == "code_wrong"
    with pytest.raises(PortalError) as caught:
        identity_complete(citizen=account, method="counter", data={"code": plain})
    assert caught.value.code == "code_exhausted"


def test_a_code_is_only_for_an_account_claiming_the_same_number(desk, catalog):
    plain = _print_code(desk, _walk_in(desk, resident_id_make()))
    other = citizen_register(resident_id=resident_id_make(), name="黄秀英", password=PASSWORD)
    with pytest.raises(PortalError) as caught:
        identity_complete(citizen=other, method="counter", data={"code": plain})
    assert caught.value.code == "code_invalid"


def test_no_code_without_the_id_card_checked_nor_for_a_verified_account(desk, catalog):
    person = citizen_make(region_code="450103")
    visit = desk.post("/counter/", {"resident_id": person.resident_id, "purpose": "counter_service"})["Location"]
    response = desk.post(visit + "activation-code/", {}, **EN, follow=True)
    assert "ID card before giving them an activation code" in response.content.decode()
    response = desk.post(visit + "activation-code/", {"id_card_checked": "on"}, **EN, follow=True)
    assert "already has a verified account" in response.content.decode()
    assert not OneTimeCode.objects.filter(purpose=CodePurpose.COUNTER_ACTIVATION).exists()


def test_a_walk_in_outside_the_staff_members_area_is_refused(desk):
    response = desk.post(
        "/counter/walk-in/",
        {
            "resident_id": resident_id_make(),
            "name": "黄秀英",
            "region_code": "450105",
            "id_card_checked": "on",
            "purpose": "counter_service",
        },
        **EN,
    )
    assert response.status_code == 400 and "outside your area" in response.content.decode()
    assert not Citizen.objects.exists()
