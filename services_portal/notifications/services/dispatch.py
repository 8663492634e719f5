"""The dispatcher: the outbox table is the queue, and this finds what in it needs a delivery run now.

Run every minute by beat. It hands out, essential first:
- pushes whose wait (quiet hours, the daily limit) is over, and pushes whose first run never came
  (its task was lost between commit and queue);
- deliveries left pending (a lost task, or a text message that waited out the quiet hours) or in
  `sending` (a worker died mid-send), and temporary failures whose backoff is over;
- and it moves inbox rows still unread after PUSH_UNREAD_ESCALATE_HOURS on to a text message, for
  people who agreed to one: "a channel not read in time routes to the next".
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from services_portal.notifications.models import Delivery, DeliveryChannel, DeliveryState, Notification, Push
from services_portal.notifications.services.delivery import quiet_until, retry_after
from services_portal.notifications.services.routing import reach_for

# A push or delivery untouched this long after it was written has lost its task (or waits behind a
# long queue: then running it twice does no harm).
LOST_AFTER = datetime.timedelta(minutes=10)
# Unread inbox rows older than this are not escalated any more: the moment has passed.
ESCALATE_WITHIN = datetime.timedelta(days=7)


def unread_escalate(*, now: datetime.datetime | None = None) -> list[int]:
    """Give each push whose inbox row is still unread after PUSH_UNREAD_ESCALATE_HOURS a text message,
    where the person agreed to one and gave a number; returns those pushes."""
    now = now or timezone.now()
    hours = settings.PUSH_UNREAD_ESCALATE_HOURS
    cutoff = now - datetime.timedelta(hours=hours)
    unread = Notification.objects.filter(idempotency_key=OuterRef("push__idempotency_key"), read_at__isnull=True)
    has_sms = Delivery.objects.filter(push=OuterRef("push"), channel=DeliveryChannel.SMS)
    found = list(
        Delivery.objects.filter(
            channel=DeliveryChannel.INBOX,
            state=DeliveryState.DELIVERED,
            updated_at__lte=cutoff,
            updated_at__gt=cutoff - ESCALATE_WITHIN,
        )
        .filter(Exists(unread), ~Exists(has_sms))
        .values_list("push_id", "push__citizen_id")
    )
    reach = reach_for({citizen_id for _, citizen_id in found}, now=now)
    escalated = [push_id for push_id, citizen_id in found if citizen_id in reach and reach[citizen_id].sms]
    Delivery.objects.bulk_create(
        [Delivery(push_id=push_id, channel=DeliveryChannel.SMS) for push_id in escalated], ignore_conflicts=True
    )
    return escalated


def pushes_due(*, now: datetime.datetime | None = None) -> list[int]:
    """The pushes a delivery run should look at now, essential first, then the oldest."""
    now = now or timezone.now()
    lost = now - LOST_AFTER
    due: dict[int, tuple[bool, int]] = {}
    for push_id, essential in (
        Push.objects.filter(routed_at__isnull=True)
        .filter(Q(not_before__lte=now) | Q(not_before__isnull=True, created_at__lte=lost))
        .values_list("pk", "essential")
    ):
        due[push_id] = (essential, push_id)
    open_rows = Delivery.objects.all()
    if quiet_until(now) is not None:
        open_rows = open_rows.exclude(channel=DeliveryChannel.SMS)  # text messages wait for the morning
    stalled = open_rows.filter(
        state__in=[DeliveryState.PENDING, DeliveryState.SENDING], updated_at__lte=lost
    ).values_list("push_id", "push__essential")
    for push_id, essential in stalled:
        due[push_id] = (essential, push_id)
    for push_id, essential, attempts, updated_at in open_rows.filter(state=DeliveryState.TEMPORARY_FAILURE).values_list(
        "push_id", "push__essential", "attempts", "updated_at"
    ):
        if updated_at + retry_after(attempts) <= now:
            due[push_id] = (essential, push_id)
    return sorted(due, key=lambda push_id: (not due[push_id][0], push_id))
