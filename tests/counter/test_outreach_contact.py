"""Outreach staff can act on a task: who the person is, a phone to call, an address to visit (each read
logged for outreach), the list by urgency or by distance from the counter, and when an outcome was recorded."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from profiles.models import AccessLogEntry, ConsentChannel, FactSource, Role
from profiles.purposes import Purpose
from profiles.services.accounts import ward_register
from profiles.services.consent import consent_grant
from profiles.services.facts import fact_record
from services_portal.catalog.models import ServiceItem
from services_portal.counter.models import OutreachOutcome, OutreachTask
from services_portal.counter.services import outreach_outcome_record
from tests.factories import MODEL_BACKEND, StaffFactory, citizen_make, resident_id_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
ADDRESS = "南宁市青秀区民族大道100号3栋2单元501"


def signed_in(client, user):
    client.force_login(user, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def counter_staff(db):
    return StaffFactory(username="qingxiu-counter", role=Role.COUNTER_STAFF, region_scope="450103")


@pytest.fixture
def city_staff(db):
    """Counter staff of Nanning City: their counter is measured from the city's centre."""
    return StaffFactory(username="nanning-counter", role=Role.COUNTER_STAFF, region_scope="450100")


def task_make(citizen, *, essential=False, days_old=0, eligible_days=None, **extra) -> OutreachTask:
    now = timezone.now()
    task = OutreachTask.objects.create(
        citizen=citizen,
        service=ServiceItem.objects.get(code="gx-dibao" if essential else "gx-elderly-allowance"),
        region_code=citizen.region_code,
        essential=essential,
        reason="not_online",
        eligible_since=None if eligible_days is None else now - datetime.timedelta(days=eligible_days),
        **extra,
    )
    OutreachTask.objects.filter(pk=task.pk).update(created_at=now - datetime.timedelta(days=days_old))
    return task


def person_with_address(*, region_code="450103", name="黄秀英", phone="13900001111", address=ADDRESS):
    citizen = citizen_make(region_code=region_code, name=name)
    citizen.phone = phone
    citizen.save(update_fields=["phone"])
    consent_grant(citizen=citizen, purpose=Purpose.DATA_MATCHING, channel=ConsentChannel.WEB)
    fact_record(
        citizen=citizen,
        key="address",
        value=address,
        source=FactSource.DEPARTMENT_FEED,
        department="public_security",
        observed_at=timezone.now() - datetime.timedelta(days=3),
    )
    return citizen


def listed(client, query: str = "") -> list[int]:
    response = client.get(f"/counter/outreach/{query}", **EN)
    assert response.status_code == 200, response.content.decode()
    return [int(number) for number in re.findall(r'href="/counter/outreach/(\d+)/"', response.content.decode())]


def test_the_list_shows_name_phone_and_address_with_its_source_and_logs_each_read(client, catalog, counter_staff):
    # given a person the public security bureau gave an address for, with a mobile number
    person = person_with_address()
    task_make(person, days_old=2)
    # when counter staff open the outreach list
    html = signed_in(client, counter_staff).get("/counter/outreach/", **EN).content.decode()
    # then the row names the person, gives a phone to call and the address, with where it came from
    assert "黄秀英" in html
    assert 'href="tel:13900001111"' in html
    assert ADDRESS in html and "Public Security" in html
    assert "2 days" in html
    # and the read of each is logged with the purpose outreach, naming the fields shown
    (entry,) = AccessLogEntry.objects.filter(subject=person, actor=counter_staff)
    assert (entry.purpose, entry.fields) == ("outreach", ["address", "name", "phone", "resident_id_masked"])


def test_the_task_page_shows_how_to_reach_the_person_in_chinese(client, catalog, counter_staff):
    person = person_with_address()
    task = task_make(person)
    html = signed_in(client, counter_staff).get(f"/counter/outreach/{task.pk}/", **ZH).content.decode()
    assert "联系电话" in html and 'href="tel:13900001111"' in html
    assert "住址" in html and ADDRESS in html
    entry = AccessLogEntry.objects.get(subject=person)
    assert (entry.purpose, entry.fields) == (
        "outreach",
        ["address", "name", "phone", "region_code", "resident_id_masked"],
    )


def test_without_a_number_of_their_own_the_one_a_department_delivered_is_called(client, catalog, counter_staff):
    # given a person who never gave the portal a number, whose mobile number civil affairs delivered
    person = person_with_address(phone="")
    fact_record(
        citizen=person,
        key="mobile_phone",
        value="13900002222",
        source=FactSource.DEPARTMENT_FEED,
        department="civil_affairs",
    )
    task_make(person)
    # when counter staff open the outreach list
    html = signed_in(client, counter_staff).get("/counter/outreach/", **EN).content.decode()
    # then that number is the one to call
    assert 'href="tel:13900002222"' in html


def test_a_ward_without_a_phone_is_called_on_their_guardians_and_that_read_is_logged(client, catalog, counter_staff):
    # given a child registered under a guardian who has a mobile number and an address on record
    guardian = person_with_address(name="王芳", phone="13800002222")
    child = ward_register(guardian=guardian, resident_id=resident_id_make(born="20200101"), name="王小明")
    child.region_code = "450103"
    child.save(update_fields=["region_code"])
    task_make(child)
    # when the list shows the child's task
    html = signed_in(client, counter_staff).get("/counter/outreach/", **EN).content.decode()
    # then the guardian's phone and address are given, said to be the guardian's
    assert 'href="tel:13800002222"' in html and "the guardian's, 王芳" in html and ADDRESS in html
    # and both reads are logged: the child's name, the guardian's phone and address
    logged = {entry.subject_id: entry.fields for entry in AccessLogEntry.objects.filter(purpose="outreach")}
    assert logged == {child.pk: ["name", "resident_id_masked"], guardian.pk: ["address", "name", "phone"]}


def test_without_phone_or_address_the_page_says_so(client, catalog, counter_staff):
    task = task_make(citizen_make(region_code="450103", name="陈伟"))
    html = signed_in(client, counter_staff).get(f"/counter/outreach/{task.pk}/", **EN).content.decode()
    assert "No phone known: visit the person" in html
    assert "No address known: ask the village or residents" in html


def test_by_urgency_essential_first_then_the_longest_waiting_then_the_follow_ups(client, catalog, counter_staff):
    today = timezone.localdate()
    people = [citizen_make(region_code="450103") for _ in range(5)]
    # a follow-up overdue for 3 days, opened long ago
    follow_up = task_make(
        people[0], days_old=30, outcome=OutreachOutcome.UNREACHABLE, follow_up_on=today - datetime.timedelta(3)
    )
    recent = task_make(people[1], days_old=1)
    # opened yesterday by the reach ledger, but eligible and not reached for 20 days
    long_eligible = task_make(people[2], days_old=1, eligible_days=20)
    older = task_make(people[3], days_old=10)
    essential = task_make(people[4], essential=True, days_old=0)
    signed_in(client, counter_staff)
    assert listed(client) == [essential.pk, long_eligible.pk, older.pk, recent.pk, follow_up.pk]
    assert listed(client, "?sort=urgency") == listed(client)
    # and the waiting time counts from when the person became eligible
    html = client.get(f"/counter/outreach/{long_eligible.pk}/", **EN).content.decode()
    assert "20 days" in html and "eligible since" in html


def test_by_distance_from_the_counter_the_nearest_first_with_the_distance_shown(client, catalog, city_staff):
    # given tasks in Wuming (about 39 km from Nanning's centre), Qingxiu (about 14 km) and Xingning (about 4 km)
    wuming = task_make(citizen_make(region_code="450110"), essential=True)
    qingxiu = task_make(citizen_make(region_code="450103"), days_old=9)
    xingning = task_make(citizen_make(region_code="450102"))
    xingning_older = task_make(citizen_make(region_code="450102"), days_old=5)
    signed_in(client, city_staff)
    # when staff order the list by distance
    order = listed(client, "?sort=distance")
    # then the nearest come first, the most urgent first among equals
    assert order == [xingning_older.pk, xingning.pk, qingxiu.pk, wuming.pk]
    html = client.get("/counter/outreach/?sort=distance", **EN).content.decode()
    distances = [float(km) for km in re.findall(r"About ([\d.]+) km from your counter", html)]
    assert distances == sorted(distances) and 3 < distances[0] < 5 and 35 < distances[-1] < 45
    # and by urgency (the default) the essential task in Wuming comes first
    assert listed(client)[0] == wuming.pk


def test_an_unknown_order_is_refused(client, catalog, counter_staff):
    assert signed_in(client, counter_staff).get("/counter/outreach/?sort=nearest").status_code == 400


def test_recording_an_outcome_records_when(catalog, counter_staff):
    task = task_make(citizen_make(region_code="450103"))
    moment = datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False):
        outreach_outcome_record(task=task, staff=counter_staff, outcome=OutreachOutcome.VISITED)
    task.refresh_from_db()
    assert (task.outcome, task.outcome_at) == (OutreachOutcome.VISITED, moment)
    # a later outcome (a follow-up call) replaces the time
    later = moment + datetime.timedelta(days=2)
    with time_machine.travel(later, tick=False):
        outreach_outcome_record(task=task, staff=counter_staff, outcome=OutreachOutcome.REACHED_BY_PHONE)
    task.refresh_from_db()
    assert task.outcome_at == later
