"""Reading notifications: a person's own inbox, and what the outbox already holds."""

import datetime
from collections.abc import Iterable

from django.db.models import Case, QuerySet, Value, When

from profiles.models import Citizen
from services_portal.notifications.models import Notification, Push


def inbox_for(citizen: Citizen, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The person's notifications, newest first."""
    notifications = Notification.objects.filter(citizen=citizen)
    return notifications.filter(read_at__isnull=True) if unread_only else notifications


def inbox_unread_first(citizen: Citizen) -> QuerySet[Notification]:
    """The inbox page's order: what the person has not read yet on top, then the newest first."""
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1))
    return Notification.objects.filter(citizen=citizen).order_by(unread_first, "-created_at", "-id")


def notification_of(*, citizen_id: int, notification_id: int) -> Notification | None:
    """One of the person's own notifications; None for anyone else's (or one that is gone)."""
    return Notification.objects.filter(pk=notification_id, citizen_id=citizen_id).first()


def inbox_unread_count(*, citizen_id: int) -> int:
    """How many of the person's notifications they have not read yet (the header's count)."""
    return Notification.objects.filter(citizen_id=citizen_id, read_at__isnull=True).count()


def citizens_pushed_since(citizen_ids: Iterable[int], *, trigger: str, since: datetime.datetime) -> set[int]:
    """Those of these people a push of this trigger was written for since `since`."""
    pushes = Push.objects.filter(citizen_id__in=list(citizen_ids), trigger=trigger, created_at__gte=since)
    return set(pushes.values_list("citizen_id", flat=True))


def services_pushed(citizen_ids: Iterable[int]) -> set[tuple[int, int]]:
    """(person, service) of every push written for these people, whatever its trigger."""
    return set(Push.objects.filter(citizen_id__in=list(citizen_ids)).values_list("citizen_id", "service_id"))
