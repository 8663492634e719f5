"""The inbox page (/me/inbox/): the person's own notifications, in the page language, unread first."""

from __future__ import annotations

import datetime

import pytest
from django.utils.translation import gettext_lazy

from services_portal.notifications.models import Notification, NotificationKind
from services_portal.notifications.services import notification_create
from tests.factories import MODEL_BACKEND

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def notify(citizen, key: str, *, title: str = "Approved: %(service)s", link: str = "/me/cases/1/") -> Notification:
    return notification_create(
        citizen=citizen,
        kind=NotificationKind.CASE_DECISION,
        idempotency_key=key,
        title=gettext_lazy(title),
        body=gettext_lazy("Your benefit was approved. You do not need to apply."),
        params={"zh-hans": {"service": "育儿补贴"}, "en": {"service": f"Childcare subsidy {key}"}},
        link=link,
    )


@pytest.fixture
def reading(client, citizen):
    client.force_login(citizen.user, backend=MODEL_BACKEND)
    return client


def test_unread_messages_come_first_then_the_newest(reading, citizen):
    # given an old unread message, and two newer ones of which one is read
    old_unread, newer_read, newest_read = (notify(citizen, key) for key in ("a", "b", "c"))
    for days, notification in ((30, old_unread), (2, newer_read), (1, newest_read)):
        created = notification.created_at - datetime.timedelta(days=days)
        Notification.objects.filter(pk=notification.pk).update(created_at=created)
    Notification.objects.filter(pk__in=[newer_read.pk, newest_read.pk]).update(read_at=newest_read.created_at)
    # when the person opens the inbox
    html = reading.get("/me/inbox/", **EN).content.decode()
    # then the unread one is on top, marked, and the read ones follow newest first
    positions = [html.index(f"Childcare subsidy {key}") for key in ("a", "c", "b")]
    assert positions == sorted(positions)
    assert "You have 1 unread message." in html
    assert html.count('action="/me/inbox/') == 1


def test_following_the_link_marks_it_read_and_goes_there(reading, citizen):
    notification = notify(citizen, "a", link="/me/cases/7/")
    response = reading.get(f"/me/inbox/{notification.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/me/cases/7/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_a_link_off_the_site_is_not_followed(reading, citizen):
    notification = notify(citizen, "a", link="//evil.example/phish")
    response = reading.get(f"/me/inbox/{notification.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/me/inbox/"


def test_marking_read_twice_keeps_the_first_time(reading, citizen):
    notification = notify(citizen, "a")
    reading.post(f"/me/inbox/{notification.pk}/read/")
    notification.refresh_from_db()
    first = notification.read_at
    response = reading.post(f"/me/inbox/{notification.pk}/read/", **EN)
    notification.refresh_from_db()
    assert response.status_code == 302 and notification.read_at == first
    # the person is told, in the page language
    assert "Marked as read: Approved: Childcare subsidy a" in reading.get("/me/inbox/", **EN).content.decode()


def test_nobody_reads_or_marks_someone_elses_messages(reading, other_citizen):
    notification = notify(other_citizen, "theirs")
    assert "Childcare subsidy theirs" not in reading.get("/me/inbox/", **EN).content.decode()
    assert reading.post(f"/me/inbox/{notification.pk}/read/").status_code == 404
    assert reading.get(f"/me/inbox/{notification.pk}/open/").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_the_inbox_is_for_signed_in_citizens(client, db):
    from profiles.models import Role
    from tests.factories import StaffFactory

    assert client.get("/me/inbox/").status_code == 302
    client.force_login(StaffFactory(role=Role.CASEWORKER), backend=MODEL_BACKEND)
    assert client.get("/me/inbox/").status_code == 404
    # marking read is a form post only
    assert client.get("/me/inbox/1/read/").status_code == 405
