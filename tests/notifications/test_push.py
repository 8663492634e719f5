"""Delivering pushes: once per person, service and trigger; the daily limit and quiet hours defer,
never drop; channel consents and reach choose the channels; failures route on; a worker killed
mid-send loses nothing and sends nothing twice."""

from __future__ import annotations

import datetime

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from profiles.models import ConsentChannel, User
from profiles.purposes import Purpose
from profiles.services.consent import consent_withdraw
from recommender.models import Interaction, InteractionChannel, InteractionKind
from services_portal.catalog.models import ServiceItem
from services_portal.core.sms import ConsoleBackend, FileBackend
from services_portal.counter.models import OutreachTask
from services_portal.notifications import live
from services_portal.notifications.models import Delivery, Notification, NotificationKind, Push
from services_portal.notifications.services import delivery, notification_mark_read, push_deliver, pushes_deliver
from services_portal.notifications.services import push as push_module
from services_portal.notifications.tasks import dispatch
from tests.conftest import postgres_only
from tests.notifications.push_helpers import DIGITAL, ESSENTIAL, ORDINARY, at, person, push
from tests.workers import race

pytestmark = pytest.mark.usefixtures("catalog")


@pytest.fixture(autouse=True)
def sms(settings, tmp_path) -> FileBackend:
    """Text messages go to a file; returns a reader of it."""
    settings.SMS_BACKEND = "services_portal.core.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.PORTAL_BASE_URL = "https://gx.example.cn"
    settings.PUSH_DAILY_LIMIT = 3
    settings.PUSH_QUIET_HOURS = "21:00-08:00"
    settings.PUSH_OFFLINE_AFTER_DAYS = 90
    settings.PUSH_UNREAD_ESCALATE_HOURS = 48
    return FileBackend(path=tmp_path / "sms")


@pytest.fixture
def clock(time_machine):
    """Monday 23 November 2026, 10:00 in Guangxi; the clock stands still until moved."""
    time_machine.move_to(at(23, 10), tick=False)
    return time_machine


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run an action and then what it queued after commit (the delivery tasks, eagerly)."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def states(citizen) -> dict[str, str]:
    return dict(Delivery.objects.filter(push__citizen=citizen).values_list("channel", "state"))


# -- once per person, service and trigger ------------------------------------------------------------


def test_the_same_push_twice_is_one_push_one_inbox_row_and_one_text_message(clock, committed, sms):
    # given someone who uses the portal and agreed to the inbox and to text messages
    citizen = person(consents=DIGITAL)

    # when the same push is made twice
    first = committed(lambda: push(citizen))
    second = committed(lambda: push(citizen))

    # then there is one push, delivered to the inbox with a live nudge; the text message waits
    assert first is not None and second is None
    assert Push.objects.filter(citizen=citizen).count() == 1
    notification = Notification.objects.get(citizen=citizen)
    assert notification.kind == NotificationKind.SERVICE_FOR_YOU
    assert (notification.title_zh, notification.title_en) == (first.title_zh, first.title_en)
    assert notification.title_en == "For you: National childcare subsidy" and notification.title_zh
    assert states(citizen) == {"inbox": "delivered", "websocket": "delivered"}
    assert sms.sent() == []

    # when the inbox row is still unread two days later, and the dispatcher runs twice
    clock.move_to(at(25, 10, 1))
    dispatch()
    dispatch()

    # then one text message went out, once
    assert [(m["phone"], m["message_id"]) for m in sms.sent()] == [("13800001234", f"portal-{sms_row(citizen).pk}")]
    assert sms.sent()[0]["text"] == f"【广西政务】{first.title_zh} 详情：https://gx.example.cn/me/inbox/"
    assert states(citizen)["sms"] == "delivered"
    assert sms_row(citizen).external_id == f"file-portal-{sms_row(citizen).pk}"


def sms_row(citizen) -> Delivery:
    return Delivery.objects.get(push__citizen=citizen, channel="sms")


def test_a_read_inbox_row_needs_no_text_message(clock, committed, sms):
    # given a push the person read the next morning
    citizen = person(consents=DIGITAL)
    committed(lambda: push(citizen))
    clock.move_to(at(24, 9))
    notification_mark_read(citizen=citizen, notification_id=Notification.objects.get(citizen=citizen).pk)
    # when the escalation time comes
    clock.move_to(at(25, 11))
    dispatch()
    # then no text message
    assert sms.sent() == [] and "sms" not in states(citizen)


def test_someone_offline_gets_one_text_message_and_the_counter_reaches_out(clock, committed, sms):
    # given someone who has not used the portal for months but agreed to text messages
    citizen = person(online=False, consents=DIGITAL, region_code="450103")
    # when pushed twice
    committed(lambda: push(citizen))
    committed(lambda: push(citizen))
    # then one text message at once, no inbox row, and one outreach task for their district
    assert len(sms.sent()) == 1
    assert not Notification.objects.filter(citizen=citizen).exists()
    task = OutreachTask.objects.get(citizen=citizen)
    assert (task.region_code, task.reason, task.service.code) == ("450103", "not_online", ORDINARY[0])
    assert states(citizen) == {"sms": "delivered", "counter": "delivered"}


def test_the_live_nudge_follows_the_inbox_row(clock, committed):
    # given an open page of the person, listening on the channel layer
    layer = get_channel_layer()
    citizen = person(consents=[Purpose.NOTIFY_INBOX])
    page = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(live.citizen_group(citizen.pk), page)
    # when pushed
    committed(lambda: push(citizen))
    # then the page is told which new inbox row to show
    message = async_to_sync(layer.receive)(page)
    notification = Notification.objects.get(citizen=citizen)
    assert message == {"type": live.NEW_NOTIFICATION, "notification_id": notification.pk}
    assert states(citizen) == {"inbox": "delivered", "websocket": "delivered"}


# -- the daily limit and quiet hours -----------------------------------------------------------------


def test_the_fourth_push_of_a_day_waits_for_the_next_morning(clock, committed, settings):
    # given someone pushed three ordinary services today
    citizen = person(consents=[Purpose.NOTIFY_INBOX])
    for code in ORDINARY[:3]:
        committed(lambda code=code: push(citizen, code))
    assert Notification.objects.filter(citizen=citizen).count() == 3

    # when a fourth comes
    fourth = committed(lambda: push(citizen, ORDINARY[3]))

    # then it waits until the end of the next night's quiet hours, undelivered but kept
    fourth.refresh_from_db()
    assert fourth.not_before == at(24, 8) and fourth.routed_at is None
    assert Notification.objects.filter(citizen=citizen).count() == 3

    # and essential assistance passes the limit (and counts)
    committed(lambda: push(citizen, ESSENTIAL))
    assert Notification.objects.filter(citizen=citizen).count() == 4

    # when the next morning comes and the dispatcher runs
    clock.move_to(at(24, 8, 1))
    dispatch()

    # then the fourth is delivered, counted in its own day
    assert Notification.objects.filter(citizen=citizen, idempotency_key=fourth.idempotency_key).exists()
    assert Push.objects.filter(citizen=citizen, routed_at__isnull=True).count() == 0


@pytest.mark.parametrize(
    ("pushed_at", "waits_until"),
    [(at(23, 22, 30), at(24, 8)), (at(24, 7, 0), at(24, 8)), (at(23, 21, 0), at(24, 8))],
    ids=["late evening", "early morning", "the first minute"],
)
def test_a_push_in_quiet_hours_waits_until_eight(time_machine, committed, sms, pushed_at, waits_until):
    # given a push made in the quiet hours (Asia/Shanghai)
    time_machine.move_to(pushed_at, tick=False)
    citizen = person(online=False, consents=DIGITAL)
    made = committed(lambda: push(citizen))

    # then nothing goes out, and the push waits
    made.refresh_from_db()
    assert made.not_before == waits_until
    assert sms.sent() == [] and states(citizen) == {}

    # when the dispatcher runs a minute before, and at the end of the quiet hours
    time_machine.move_to(waits_until - datetime.timedelta(minutes=1))
    dispatch()
    assert sms.sent() == []
    time_machine.move_to(waits_until)
    dispatch()

    # then it is delivered
    assert len(sms.sent()) == 1 and states(citizen)["sms"] == "delivered"


# -- channel consents and reach ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("online", "consents", "channels", "reason"),
    [
        (True, [Purpose.NOTIFY_INBOX], {"inbox", "websocket"}, None),
        (True, [Purpose.NOTIFY_SMS], {"sms"}, None),
        (False, [Purpose.NOTIFY_INBOX], {"counter"}, "not_online"),
        (True, [], {"counter"}, "no_channel_consent"),
        (True, [Purpose.NOTIFY_COUNTER], {"counter"}, "chose_counter"),
    ],
    ids=["inbox only", "text only", "offline", "no consent", "chose the counter"],
)
def test_consents_and_reach_choose_the_channels(clock, committed, sms, online, consents, channels, reason):
    # given a person with these consents, online or not
    citizen = person(online=online, consents=consents, region_code="450103")
    # when pushed, and two days pass unread
    committed(lambda: push(citizen))
    clock.move_to(at(25, 11))
    dispatch()
    # then exactly these channels were used, and an outreach task (if any) says why
    assert set(states(citizen)) == channels
    assert set(states(citizen).values()) == {"delivered"}
    assert Notification.objects.filter(citizen=citizen).exists() == ("inbox" in channels)
    assert len(sms.sent()) == ("sms" in channels)
    assert list(OutreachTask.objects.filter(citizen=citizen).values_list("reason", "region_code")) == (
        [(reason, "450103")] if reason else []
    )


def test_web_or_app_use_within_the_offline_window_counts_as_online(clock, committed, catalog):
    # given two people who never signed in; one used the app ten days ago, the other 100 days ago
    recent, lapsed = person(online=False, consents=DIGITAL), person(online=False, consents=DIGITAL)
    service = ServiceItem.objects.get(code=ORDINARY[1])
    for citizen, days in ((recent, 10), (lapsed, 100)):
        Interaction.objects.create(
            citizen=citizen,
            service=service,
            kind=InteractionKind.VIEW,
            channel=InteractionChannel.APP,
            occurred_at=timezone.now() - datetime.timedelta(days=days),
        )
    # when both are pushed
    committed(lambda: push(recent))
    committed(lambda: push(lapsed))
    # then the recent user is reached in the inbox, the other by text and the counter
    assert set(states(recent)) == {"inbox", "websocket"}
    assert set(states(lapsed)) == {"sms", "counter"}


def test_a_consent_withdrawn_before_the_retry_is_honoured(clock, committed, sms):
    # given a text message that failed for now
    citizen = person(consents=[Purpose.NOTIFY_SMS], phone="13800000001")
    committed(lambda: push(citizen))
    assert states(citizen) == {"sms": "temporary_failure"}
    # when the person withdraws the consent, and the retry comes
    consent_withdraw(citizen=citizen, purpose=Purpose.NOTIFY_SMS, channel=ConsentChannel.WEB)
    clock.move_to(at(23, 10, 1))
    dispatch()
    # then no message is sent; the counter reaches out instead
    assert sms.sent() == []
    assert states(citizen) == {"sms": "permanent_failure", "counter": "delivered"}
    assert OutreachTask.objects.get(citizen=citizen).reason == "earlier_channels_failed"


def test_an_erased_person_is_not_pushed(clock, committed):
    from profiles.services.accounts import citizen_erase

    citizen = person(consents=DIGITAL)
    citizen_erase(citizen=citizen)
    made = committed(lambda: push(citizen))
    made.refresh_from_db()
    assert made.routed_at is not None and states(citizen) == {}


# -- failures ------------------------------------------------------------------------------------------


def test_a_temporary_failure_is_tried_again_after_the_backoff(clock, committed, sms):
    # given a text message to a number whose gateway fails once, then recovers
    citizen = person(consents=[Purpose.NOTIFY_SMS], phone="13800000001")
    committed(lambda: push(citizen))
    row = sms_row(citizen)
    assert (row.state, row.attempts) == ("temporary_failure", 1)
    # when the dispatcher runs before the backoff is over, then after it
    clock.move_to(at(23, 10) + datetime.timedelta(seconds=20))
    dispatch()
    assert sms_row(citizen).state == "temporary_failure"
    clock.move_to(at(23, 10) + datetime.timedelta(seconds=31))
    dispatch()
    # then it is delivered, once, on the second attempt
    row = sms_row(citizen)
    assert (row.state, row.attempts, row.last_error) == ("delivered", 2, "")
    assert len(sms.sent()) == 1


def test_temporary_failures_give_up_after_five_attempts_and_the_counter_reaches_out(clock, committed, sms):
    # given a text message to a number that always fails for now
    citizen = person(consents=[Purpose.NOTIFY_SMS], phone="13800000000")
    committed(lambda: push(citizen))
    # when the dispatcher runs after each backoff (30 s, 2, 8 and 32 minutes)
    moment = at(23, 10)
    for wait in (31, 121, 481, 1921):
        moment += datetime.timedelta(seconds=wait)
        clock.move_to(moment)
        dispatch()
    # then it gave up after the fifth attempt, and the counter reaches out
    row = sms_row(citizen)
    assert (row.state, row.attempts) == ("permanent_failure", 5)
    assert row.last_error.startswith("gave up after 5 attempts")
    assert OutreachTask.objects.get(citizen=citizen).reason == "earlier_channels_failed"
    assert sms.sent() == []


def test_a_permanent_failure_routes_to_the_counter_at_once(clock, committed, sms):
    citizen = person(consents=[Purpose.NOTIFY_SMS], phone="13800009999")
    committed(lambda: push(citizen))
    assert states(citizen) == {"sms": "permanent_failure", "counter": "delivered"}
    assert OutreachTask.objects.get(citizen=citizen).reason == "earlier_channels_failed"


# -- a worker killed mid-send ----------------------------------------------------------------------------


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after it runs."""


def test_a_text_message_left_sending_is_completed_without_a_second_message(clock, monkeypatch, sms):
    # given a push whose worker was killed after the gateway took the message, before it was marked
    citizen = person(online=False, consents=[Purpose.NOTIFY_SMS])
    made = push(citizen)  # in this transaction; its delivery task is not run
    real_send = FileBackend.send

    def send_then_die(self, **message):
        real_send(self, **message)
        raise WorkerKilled

    monkeypatch.setattr(FileBackend, "send", send_then_die)
    with pytest.raises(WorkerKilled):
        push_deliver(push_id=made.pk)
    assert sms_row(citizen).state == "sending" and len(sms.sent()) == 1

    # when the delivery runs again (the task redelivered, or the dispatcher)
    monkeypatch.setattr(FileBackend, "send", real_send)
    push_deliver(push_id=made.pk)

    # then it is delivered, and the gateway's id dropped the second message
    row = sms_row(citizen)
    assert (row.state, row.attempts) == ("delivered", 2)
    assert [m["message_id"] for m in sms.sent()] == [f"portal-{row.pk}"]


def test_without_a_deduplicating_gateway_a_message_left_sending_is_not_sent_again(clock, monkeypatch, settings, capsys):
    # given a gateway that does not drop duplicates, and a worker killed after it took the message
    settings.SMS_BACKEND = "services_portal.core.sms.ConsoleBackend"
    citizen = person(online=False, consents=[Purpose.NOTIFY_SMS])
    made = push(citizen)
    real_send = ConsoleBackend.send

    def send_then_die(self, **message):
        real_send(self, **message)
        raise WorkerKilled

    monkeypatch.setattr(ConsoleBackend, "send", send_then_die)
    with pytest.raises(WorkerKilled):
        push_deliver(push_id=made.pk)
    monkeypatch.setattr(ConsoleBackend, "send", real_send)

    # when it runs again at once (the first worker might still be sending), and after five minutes
    push_deliver(push_id=made.pk)
    assert sms_row(citizen).state == "sending"
    clock.move_to(at(23, 10, 6))
    push_deliver(push_id=made.pk)

    # then the message was sent once; its outcome is unknown, so the counter reaches out
    assert capsys.readouterr().out.count("SMS portal-") == 1
    assert states(citizen)["sms"] == "permanent_failure"
    assert sms_row(citizen).last_error == "outcome unknown: stopped while sending"
    assert OutreachTask.objects.filter(citizen=citizen).count() == 1


def test_a_push_whose_task_was_lost_is_delivered_by_the_dispatcher(clock, sms):
    # given a push committed, whose delivery task never reached the queue
    citizen = person(online=False, consents=[Purpose.NOTIFY_SMS])
    push(citizen)
    # when the dispatcher runs ten minutes later
    clock.move_to(at(23, 10, 10))
    dispatch()
    # then it is delivered
    assert len(sms.sent()) == 1


# -- in bulk -------------------------------------------------------------------------------------------


def test_delivering_a_chunk_costs_the_same_queries_for_3_or_9_people(clock):
    # given pushes to 3 and to 9 people who read the portal inbox
    def chunk(size: int) -> list[int]:
        return [push(person(consents=[Purpose.NOTIFY_INBOX])).pk for _ in range(size)]

    small, large = chunk(3), chunk(9)
    # when each chunk is delivered
    with CaptureQueriesContext(connection) as for_small:
        pushes_deliver(push_ids=small)
    with CaptureQueriesContext(connection) as for_large:
        report = pushes_deliver(push_ids=large)
    # then the count of queries does not grow with the people
    assert report.delivered == {"inbox": 9, "websocket": 9}
    assert len(for_small.captured_queries) == len(for_large.captured_queries)
    assert User.objects.filter(last_login__isnull=False).count() == 12


# -- two workers at once (PostgreSQL) --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_keep_the_daily_limit_and_send_each_message_once(monkeypatch, settings, sms):
    """Each worker delivers a chunk of the same person's pushes in its own thread and connection; the
    first to lock the person holds the lock until the other waits behind it, so the two really overlap."""
    postgres_only("SQLite has no row locks to race on")
    # given four ordinary pushes for someone offline with text messages, committed, not yet delivered
    monkeypatch.setattr(push_module, "_deliver_after_commit", lambda push_ids: None)
    settings.PUSH_QUIET_HOURS = "off"
    citizen = person(online=False, consents=[Purpose.NOTIFY_SMS])
    ids = [push(citizen, code).pk for code in ORDINARY[:4]]
    overlapped = []
    reach_for = delivery.reach_for

    def holding_the_person(citizen_ids, **kwargs):
        with connection.cursor() as cursor:
            for _ in range(300):  # up to 3 s
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
                if cursor.fetchone()[0]:
                    overlapped.append(True)
                    break
                cursor.execute("SELECT pg_sleep(0.01)")
        return reach_for(citizen_ids, **kwargs)

    monkeypatch.setattr(delivery, "reach_for", holding_the_person)

    # when two workers deliver two of them each, and both all four again, at the same moment
    reports = race(
        lambda: pushes_deliver(push_ids=ids[:2]),
        lambda: pushes_deliver(push_ids=ids[2:]),
    )
    again = race(lambda: pushes_deliver(push_ids=ids), lambda: pushes_deliver(push_ids=ids))

    # then they did overlap, three pushes went out (the daily limit), each as one text message
    assert overlapped and not any(isinstance(report, BaseException) for report in reports + again), reports + again
    assert sum(report.routed for report in reports + again) == 3
    assert Push.objects.filter(citizen=citizen, routed_at__isnull=True).count() == 1
    assert len(sms.sent()) == 3 and len({m["message_id"] for m in sms.sent()}) == 3
    # and the counter has one task for each routed push about a service that reaches out, not two
    reaching_out = Push.objects.filter(citizen=citizen, routed_at__isnull=False, service__outreach=True).count()
    assert OutreachTask.objects.filter(citizen=citizen).count() == reaching_out >= 1


# -- the outbox in the administration ------------------------------------------------------------------


def test_administrators_read_the_outbox_and_nobody_changes_it(client, clock, committed):
    from profiles.models import Role
    from tests.factories import StaffFactory

    # given a delivered push
    citizen = person(consents=[Purpose.NOTIFY_INBOX])
    made = committed(lambda: push(citizen))
    administrator, auditor = StaffFactory(role=Role.ADMINISTRATOR), StaffFactory(role=Role.AUDITOR)

    # then an administrator reads the push with its deliveries, but cannot change or delete it
    client.force_login(administrator, backend="django.contrib.auth.backends.ModelBackend")
    listing = client.get("/admin/notifications/push/", HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == 200 and made.idempotency_key in listing.content.decode()
    detail = client.get(f"/admin/notifications/push/{made.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    assert detail.status_code == 200 and "delivered" in detail.content.decode()
    assert client.post(f"/admin/notifications/push/{made.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Push.objects.filter(pk=made.pk).exists()
    # and an auditor does not see the outbox
    client.force_login(auditor, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/admin/notifications/push/").status_code == 403
