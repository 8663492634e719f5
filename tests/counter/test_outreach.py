"""The outreach list: the tasks of the staff member's area, essential assistance first, and their outcomes."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from profiles.models import AccessChannel, AccessLogEntry, Role
from services_portal.catalog.models import ServiceItem
from services_portal.counter.models import OutreachOutcome, OutreachTask
from tests.factories import MODEL_BACKEND, StaffFactory, citizen_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def signed_in(client, user):
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def html_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def counter_staff(db):
    return StaffFactory(username="qingxiu-counter", role=Role.COUNTER_STAFF, region_scope="450103")


def task_make(
    citizen, *, service="gx-elderly-allowance", essential=False, days_old=0, outcome=OutreachOutcome.OPEN, **extra
) -> OutreachTask:
    task = OutreachTask.objects.create(
        citizen=citizen,
        service=ServiceItem.objects.get(code=service),
        region_code=citizen.region_code,
        essential=essential,
        outcome=outcome,
        **{"reason": "Not online for 90 days", **extra},
    )
    OutreachTask.objects.filter(pk=task.pk).update(created_at=timezone.now() - datetime.timedelta(days=days_old))
    return task


def listed(client, query: str = "") -> list[int]:
    response = client.get(f"/counter/outreach/{query}", **EN)
    assert response.status_code == 200, html_of(response)
    return [int(number) for number in re.findall(r'href="/counter/outreach/(\d+)/"', html_of(response))]


def test_the_list_puts_essential_assistance_first_then_the_oldest(client, catalog, counter_staff):
    # given open tasks in the staff member's district, one of them essential assistance
    a, b, c = (citizen_make(region_code="450103", name=name) for name in ("甲", "乙", "丙"))
    new = task_make(a, days_old=1)
    old = task_make(b, days_old=9)
    essential_new = task_make(c, service="gx-dibao", essential=True, days_old=0, reason="not_online")
    # when counter staff open the outreach list
    response = signed_in(client, counter_staff).get("/counter/outreach/", **EN)
    # then essential assistance comes first, then the longest waiting
    html = html_of(response)
    order = [int(number) for number in re.findall(r'href="/counter/outreach/(\d+)/"', html)]
    assert order == [essential_new.pk, old.pk, new.pk]
    # with the person (name and masked ID number), the service, the reason and the task's age
    assert "乙" in html and b.resident_id_masked in html and b.resident_id not in html
    assert "Old-age allowance" in html and "Not online for 90 days" in html and "9 days" in html
    # (the reason the routing gives, by its label)
    assert "Has not used the portal online lately" in html and "not_online" not in html
    # and listing names is a read of each person shown, logged with the purpose outreach
    logged = AccessLogEntry.objects.filter(purpose="outreach", actor=counter_staff)
    assert sorted(logged.values_list("subject", flat=True)) == sorted([a.pk, b.pk, c.pk])
    assert all(entry.fields == ["name", "resident_id_masked"] for entry in logged)  # no phone or address held


def test_the_list_shows_only_the_staff_members_area(client, catalog, counter_staff):
    # given a task in the staff member's district, one in the next district and one in Liuzhou
    mine = task_make(citizen_make(region_code="450103"))
    next_door = task_make(citizen_make(region_code="450102"))
    liuzhou = task_make(citizen_make(region_code="450202"))
    signed_in(client, counter_staff)
    # then only their district's task is listed, and the others are not found
    assert listed(client) == [mine.pk]
    for task in (next_door, liuzhou):
        assert client.get(f"/counter/outreach/{task.pk}/").status_code == 404
        assert client.post(f"/counter/outreach/{task.pk}/", {"outcome": "visited"}).status_code == 404
        assert client.post(f"/counter/outreach/{task.pk}/visit/").status_code == 404
    assert OutreachTask.objects.get(pk=next_door.pk).outcome == OutreachOutcome.OPEN
    # and staff of the whole city see all of Nanning's
    city = signed_in(client.__class__(), StaffFactory(role=Role.COUNTER_STAFF, region_scope="450100"))
    assert sorted(listed(city)) == sorted([mine.pk, next_door.pk])


def test_the_list_filters_by_outcome_and_brings_back_due_follow_ups(client, catalog, counter_staff):
    today = timezone.localdate()
    people = [citizen_make(region_code="450103") for _ in range(4)]
    open_task = task_make(people[0], days_old=5)
    declined = task_make(people[1], days_old=4, outcome=OutreachOutcome.DECLINED)
    due = task_make(people[2], days_old=3, outcome=OutreachOutcome.UNREACHABLE, follow_up_on=today)
    later = task_make(
        people[3], days_old=2, outcome=OutreachOutcome.REACHED_BY_PHONE, follow_up_on=today + datetime.timedelta(7)
    )
    signed_in(client, counter_staff)
    # to do (the default): not yet contacted, or a follow-up due today
    assert listed(client) == [open_task.pk, due.pk]
    # all: those never contacted first, then the follow-ups (the soonest due first), then the rest
    assert listed(client, "?show=all") == [open_task.pk, due.pk, later.pk, declined.pk]
    assert listed(client, "?show=declined") == [declined.pk]
    assert listed(client, "?show=reached_by_phone") == [later.pk]
    assert client.get("/counter/outreach/?show=nonsense").status_code == 400


def test_recording_an_outcome_with_a_follow_up(client, catalog, counter_staff):
    task = task_make(citizen_make(region_code="450103", name="黄秀英"))
    signed_in(client, counter_staff)
    # given the task's page shows who to contact, and opening it is a logged read for outreach
    html = html_of(client.get(f"/counter/outreach/{task.pk}/", **EN))
    assert "黄秀英" in html and "Reached by phone" in html and "Could not be reached" in html
    entry = AccessLogEntry.objects.filter(purpose="outreach").first()
    # (no phone or address is held for her: only what the page shows is logged)
    assert entry.channel == AccessChannel.PAGE and entry.fields == ["name", "region_code", "resident_id_masked"]
    # when staff record that they reached the person by phone, to call again next week
    follow_up = timezone.localdate() + datetime.timedelta(days=7)
    response = client.post(
        f"/counter/outreach/{task.pk}/",
        {"outcome": "reached_by_phone", "follow_up_on": follow_up.isoformat(), "note": "Call after 3 pm."},
        **EN,
    )
    # then the task keeps the outcome, the date, the note and who handled it
    assert response.status_code == 302 and response["Location"] == "/counter/outreach/"
    task.refresh_from_db()
    assert (task.outcome, task.follow_up_on, task.note, task.handled_by) == (
        OutreachOutcome.REACHED_BY_PHONE,
        follow_up,
        "Call after 3 pm.",
        counter_staff,
    )
    assert "Recorded for 黄秀英: Reached by phone." in html_of(client.get("/counter/outreach/?show=all", **EN))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose what came of contacting the person."),
        ({"outcome": "open"}, "Select a valid choice."),
        ({"outcome": "visited", "follow_up_on": "2000-01-01"}, "The follow-up date cannot be in the past."),
    ],
    ids=["no-outcome", "not-an-outcome", "past-follow-up"],
)
def test_an_outcome_needs_a_real_outcome_and_no_past_date(client, catalog, counter_staff, data, message):
    task = task_make(citizen_make(region_code="450103"))
    response = signed_in(client, counter_staff).post(f"/counter/outreach/{task.pk}/", data, **EN)
    assert response.status_code == 400
    assert message in html_of(response)
    task.refresh_from_db()
    assert (task.outcome, task.handled_by) == (OutreachOutcome.OPEN, None)


def test_serving_a_tasks_person_at_the_desk_is_a_read_for_outreach(client, catalog, counter_staff):
    person = citizen_make(region_code="450103", name="黄秀英")
    task = task_make(person)
    signed_in(client, counter_staff)
    # when staff open the person from the task
    response = client.post(f"/counter/outreach/{task.pk}/visit/")
    # then the visit opens by handle, and its page logs the read with the purpose outreach
    assert response.status_code == 302 and response["Location"].startswith("/counter/visit/")
    assert client.get(response["Location"], **EN).status_code == 200
    entry = AccessLogEntry.objects.get(subject=person)
    assert (entry.purpose, entry.actor) == ("outreach", counter_staff)


def test_the_list_reads_a_fixed_number_of_queries_plus_one_log_row_per_person(client, catalog, counter_staff):
    signed_in(client, counter_staff)

    def queries_for_the_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/counter/outreach/", **EN).status_code == 200
        return len(captured)

    # given two tasks, then five (after a first request, which records the new session's browser and address)
    for _ in range(2):
        task_make(citizen_make(region_code="450103"))
    queries_for_the_list()
    two = queries_for_the_list()
    for _ in range(3):
        task_make(citizen_make(region_code="450103"))
    five = queries_for_the_list()
    # then the three more people cost three more queries: the rows of their access log, and nothing else
    assert five - two == 3
