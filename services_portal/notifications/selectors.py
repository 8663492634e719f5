"""Reading notifications: a person's own inbox only."""

from django.db.models import Case, QuerySet, Value, When

from profiles.models import Citizen
from services_portal.notifications.models import Notification


def inbox_for(citizen: Citizen, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The person's notifications, newest first."""
    notifications = Notification.objects.filter(citizen=citizen)
    return notifications.filter(read_at__isnull=True) if unread_only else notifications


def inbox_unread_first(citizen: Citizen) -> QuerySet[Notification]:
    """The inbox page's order: what the person has not read yet on top, then the newest first."""
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1))
    return Notification.objects.filter(citizen=citizen).order_by(unread_first, "-created_at", "-id")
