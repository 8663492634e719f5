"""Delivering pushes: quiet hours and the daily limit first, then each channel of the routing plan.

Each delivery row moves pending → sending → delivered (or a failure) in committed steps:

- The inbox and the counter are rows in this database: claiming the delivery, writing the
  notification or outreach task and marking it delivered is one transaction, so they happen exactly
  once, whoever runs the delivery and however often.
- A text message leaves the database: the row is marked `sending` and committed before the gateway
  is called, and marked delivered or failed after. A worker killed in between leaves the row in
  `sending`; the next run sends it again under the same message id, which a de-duplicating gateway
  drops; with a gateway that does not de-duplicate, the outcome is unknown and the message is not sent
  again: it counts as failed and the push goes on to the next channel. So a message goes out at most
  once per channel, or exactly the duplicates the gateway's own id removes.
- The live nudge follows the inbox row; it is a hint to refresh, and the inbox row is the truth.

Temporary failures are tried again with backoff, up to SMS_MAX_ATTEMPTS; a permanent failure (or
giving up) routes the push to the next channel of its plan (`routing.next_channel`).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from profiles.models import Citizen
from profiles.selectors import consent_holders
from services_portal.core.sms import PermanentFailure, TemporaryFailure, get_backend
from services_portal.counter.models import OutreachReason
from services_portal.counter.services import OutreachRequest, outreach_tasks_open
from services_portal.notifications import live
from services_portal.notifications.models import (
    Delivery,
    DeliveryChannel,
    DeliveryState,
    Notification,
    NotificationKind,
    Push,
    Trigger,
)
from services_portal.notifications.services.routing import (
    Reach,
    counter_pushes,
    next_channel,
    pushes_route,
    reach_for,
)
from services_portal.notifications.services.sms_text import inbox_url, recipient_language, sms_text

logger = logging.getLogger(__name__)

OPEN_STATES = (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.TEMPORARY_FAILURE)
SMS_MAX_ATTEMPTS = 5
SMS_OUTCOMES_PER_COMMIT = 50
RETRY_FIRST_SECONDS = 30
# A text message in `sending` this long, with a gateway that does not de-duplicate, was lost with its
# worker (a live worker marks it within seconds).
SENDING_LOST_AFTER = datetime.timedelta(minutes=5)

KIND_OF_TRIGGER: dict[str, NotificationKind] = {Trigger.CASE_DECISION: NotificationKind.CASE_DECISION}


def retry_after(attempts: int) -> datetime.timedelta:
    """The wait before attempt `attempts + 1`: 30 s, 2 min, 8 min, 32 min."""
    return datetime.timedelta(seconds=RETRY_FIRST_SECONDS * 4 ** max(attempts - 1, 0))


# -- quiet hours and the daily limit ---------------------------------------------------------------


def _quiet_hours() -> tuple[datetime.time, datetime.time] | None:
    spec = (settings.PUSH_QUIET_HOURS or "").strip()
    if not spec or spec.lower() == "off":
        return None
    start, end = (datetime.time.fromisoformat(part.strip()) for part in spec.split("-"))
    return start, end


def quiet_until(moment: datetime.datetime) -> datetime.datetime | None:
    """When the quiet hours `moment` falls in end (in TIME_ZONE, Asia/Shanghai); None outside them."""
    hours = _quiet_hours()
    if hours is None:
        return None
    start, end = hours
    local = timezone.localtime(moment)
    now = local.time()
    quiet = (start <= now or now < end) if start > end else (start <= now < end)
    if not quiet:
        return None
    day = local.date() if now < end else local.date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, end))


def next_day_start(moment: datetime.datetime) -> datetime.datetime:
    """The first moment of the next local day that is not in quiet hours."""
    tomorrow = timezone.make_aware(
        datetime.datetime.combine(timezone.localtime(moment).date() + datetime.timedelta(days=1), datetime.time())
    )
    return quiet_until(tomorrow) or tomorrow


def _day_start(moment: datetime.datetime) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(timezone.localtime(moment).date(), datetime.time()))


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    routed: int = 0
    deferred: int = 0
    delivered: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    # seconds until the temporary failures of this run may be tried again, and their pushes
    retry_in: int | None = None
    retry_push_ids: set[int] = field(default_factory=set)

    def count(self, outcome: dict[str, int], channel: str, n: int = 1) -> None:
        if n:
            outcome[channel] = outcome.get(channel, 0) + n

    def as_dict(self) -> dict:
        return {
            "routed": self.routed,
            "deferred": self.deferred,
            "delivered": self.delivered,
            "failed": self.failed,
            "retry_in": self.retry_in,
        }


def _gate_and_route(push_ids: Sequence[int], now: datetime.datetime, report: DeliveryReport) -> dict[int, Reach]:
    """Route the pushes that are due: not in quiet hours, and within each person's daily limit, which
    essential assistance passes (it still counts). The others wait (`not_before`); none is dropped.
    Returns the reach it read, for the delivery to use."""
    with transaction.atomic():
        pushes = list(
            Push.objects.select_for_update(skip_locked=True)
            .filter(pk__in=list(push_ids), routed_at__isnull=True)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
            .order_by("-essential", "created_at", "pk")
        )
        if not pushes:
            return {}
        if (quiet_end := quiet_until(now)) is not None:
            report.deferred += Push.objects.filter(pk__in=[p.pk for p in pushes]).update(not_before=quiet_end)
            return {}
        citizen_ids = sorted({push.citizen_id for push in pushes})
        # Counted under a lock on the people: two workers cannot both give someone their last push of the day.
        list(Citizen.objects.select_for_update().filter(pk__in=citizen_ids).order_by("pk").values_list("pk"))
        routed_today = dict(
            Push.objects.filter(citizen_id__in=citizen_ids, routed_at__gte=_day_start(now))
            .order_by()
            .values("citizen_id")
            .annotate(n=Count("pk"))
            .values_list("citizen_id", "n")
        )
        due, held = [], []
        for push in pushes:
            if push.essential or routed_today.get(push.citizen_id, 0) < settings.PUSH_DAILY_LIMIT:
                routed_today[push.citizen_id] = routed_today.get(push.citizen_id, 0) + 1
                due.append(push)
            else:
                held.append(push.pk)
        if held:
            report.deferred += Push.objects.filter(pk__in=held).update(not_before=next_day_start(now))
        if not due:
            return {}
        reach = reach_for(citizen_ids, now=now)
        pushes_route(due, reach, now=now)
        report.routed += len(due)
        return reach


# -- the channels --------------------------------------------------------------------------------


def _notification(push: Push, recipient_id: int) -> Notification:
    return Notification(
        citizen_id=recipient_id,
        kind=KIND_OF_TRIGGER.get(push.trigger, NotificationKind.SERVICE_FOR_YOU),
        idempotency_key=push.idempotency_key,
        title_zh=push.title_zh,
        title_en=push.title_en,
        body_zh=push.body_zh,
        body_en=push.body_en,
        link=push.link,
    )


def inbox_write(*, push: Push, recipient: Citizen) -> Notification:
    """The push's inbox row (one per push), in the caller's transaction."""
    notification = _notification(push, recipient.pk)
    Notification.objects.bulk_create([notification], ignore_conflicts=True)
    return Notification.objects.get(idempotency_key=push.idempotency_key)


def _claim(rows: Iterable[Delivery]) -> list[Delivery]:
    """Lock the rows no other worker holds and that are still open (in the caller's transaction)."""
    return list(
        Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=[row.pk for row in rows], state__in=OPEN_STATES)
        .select_related("push", "push__citizen")
    )


def _mark(rows: Iterable[Delivery], state: str, now: datetime.datetime, error: str = "") -> int:
    return Delivery.objects.filter(pk__in=[row.pk for row in rows]).update(
        state=state, attempts=F("attempts") + 1, last_error=error[:300], updated_at=now
    )


def _inbox_deliver(rows: list[Delivery], now: datetime.datetime, report: DeliveryReport) -> list[Delivery]:
    """Write the inbox rows; returns the deliveries that failed for good (the person is gone)."""
    with transaction.atomic():
        claimed = _claim(rows)
        gone = [row for row in claimed if row.push.citizen.erased_at is not None]
        done = [row for row in claimed if row.push.citizen.erased_at is None]
        recipients = consent_holders(row.push.citizen for row in done)  # a ward's inbox is their guardian's
        Notification.objects.bulk_create(
            [_notification(row.push, recipients[row.push.citizen_id]) for row in done],
            ignore_conflicts=True,
        )
        report.count(report.delivered, DeliveryChannel.INBOX, _mark(done, DeliveryState.DELIVERED, now))
        report.count(report.failed, DeliveryChannel.INBOX, _mark(gone, DeliveryState.PERMANENT_FAILURE, now, "erased"))
    return gone


def _nudges_send(pairs: list[tuple[int, int]]) -> None:
    """Send a run's nudges ((citizen id, notification id), the message `live.nudge` sends) in one go:
    one event loop and one connection to the channel layer, where `live.nudge` would open one per
    nudge (14 ms each on Redis). Never raises: a nudge is only a hint, the inbox row is the truth."""
    if not pairs:
        return
    try:
        layer = get_channel_layer()
        if layer is None:
            return

        async def send_all() -> None:
            sends = (
                layer.group_send(live.citizen_group(citizen_id), {"type": live.NEW_NOTIFICATION, "notification_id": n})
                for citizen_id, n in pairs
            )
            await asyncio.wait_for(asyncio.gather(*sends), timeout=live.NUDGE_TIMEOUT_SECONDS + len(pairs) / 100)

        async_to_sync(send_all)()
    except Exception:
        logger.warning("%d live nudges not sent; the messages wait in the inbox", len(pairs), exc_info=True)


def _nudge(rows: list[Delivery], now: datetime.datetime, report: DeliveryReport) -> None:
    """Nudge the open pages of the people whose inbox row is written; the nudge itself never fails.
    Without an inbox row (it could not be written) there is nothing to look at: no nudge."""
    keys = {row.push.idempotency_key: row for row in rows}
    notifications = list(
        Notification.objects.filter(idempotency_key__in=list(keys)).values_list("idempotency_key", "pk", "citizen_id")
    )
    _nudges_send([(citizen_id, notification_id) for _, notification_id, citizen_id in notifications])
    nudged = [keys.pop(key) for key, _, _ in notifications]
    report.count(report.delivered, DeliveryChannel.WEBSOCKET, _mark(nudged, DeliveryState.DELIVERED, now))
    no_inbox = set(
        Delivery.objects.filter(
            push__in=[row.push_id for row in keys.values()],
            channel=DeliveryChannel.INBOX,
            state=DeliveryState.PERMANENT_FAILURE,
        ).values_list("push_id", flat=True)
    )
    _mark(
        [row for row in keys.values() if row.push_id in no_inbox], DeliveryState.PERMANENT_FAILURE, now, "no inbox row"
    )


def _counter_deliver(rows: list[Delivery], reach: dict[int, Reach], now: datetime.datetime, report) -> None:
    """Open an outreach task for staff of the person's area (one per push)."""
    failed_before = set(
        Delivery.objects.filter(push__in=[row.push_id for row in rows], state=DeliveryState.PERMANENT_FAILURE)
        .exclude(channel=DeliveryChannel.WEBSOCKET)
        .values_list("push_id", flat=True)
    )
    with transaction.atomic():
        claimed = _claim(rows)
        requests, without_service = [], []
        for row in claimed:
            push = row.push
            if push.service_id is None:
                without_service.append(row)
                continue
            person = reach.get(push.citizen_id)
            reason = (
                OutreachReason.EARLIER_CHANNELS_FAILED
                if push.pk in failed_before or person is None
                else person.outreach_reason
            )
            requests.append(
                OutreachRequest(
                    citizen_id=push.citizen_id,
                    push_id=push.pk,
                    service_id=push.service_id,
                    region_code=push.citizen.region_code,
                    essential=push.essential,
                    reason=reason,
                )
            )
        outreach_tasks_open(requests=requests)
        done = [row for row in claimed if row not in without_service]
        report.count(report.delivered, DeliveryChannel.COUNTER, _mark(done, DeliveryState.DELIVERED, now))
        _mark(without_service, DeliveryState.PERMANENT_FAILURE, now, "no service to reach out about")


def _sms_deliver(rows: list[Delivery], reach: dict[int, Reach], now: datetime.datetime, report) -> list[Delivery]:
    """Send the text messages; returns the deliveries that failed for good."""
    if quiet_until(now) is not None:
        return []  # a text message waits for the morning; the dispatcher sends it then
    backend = get_backend()
    failed: list[Delivery] = []
    with transaction.atomic():
        claimed = []
        for row in _claim(rows):
            person = reach.get(row.push.citizen_id)
            if person is None or not person.sms:
                # the consent was withdrawn or the number removed since the push was routed
                _mark([row], DeliveryState.PERMANENT_FAILURE, now, "no consent or number for text messages")
                failed.append(row)
            elif row.state == DeliveryState.SENDING and not backend.deduplicates:
                if row.updated_at <= now - SENDING_LOST_AFTER:
                    _mark([row], DeliveryState.PERMANENT_FAILURE, now, "outcome unknown: stopped while sending")
                    failed.append(row)
            elif row.state == DeliveryState.TEMPORARY_FAILURE and row.updated_at + retry_after(row.attempts) > now:
                continue  # not yet
            else:
                claimed.append(row)
        Delivery.objects.filter(pk__in=[row.pk for row in claimed]).update(
            state=DeliveryState.SENDING, attempts=F("attempts") + 1, updated_at=now
        )
    report.count(report.failed, DeliveryChannel.SMS, len(failed))
    # Outcomes are written a few at a time (one commit each batch): a worker killed in between leaves
    # those rows in `sending`, to be sent again under the same id, which the gateway drops. A gateway
    # that does not drop duplicates gets each outcome written the moment it is known.
    write_every = SMS_OUTCOMES_PER_COMMIT if backend.deduplicates else 1
    outcomes: list[Delivery] = []
    url = inbox_url()
    for row in claimed:
        attempts = row.attempts + 1
        person = reach[row.push.citizen_id]
        row.last_error = ""
        try:
            text = sms_text(push=row.push, language=recipient_language(person.recipient_id), url=url)
            row.external_id = backend.send(message_id=f"portal-{row.pk}", phone=person.phone, text=text)[:100]
            row.state = DeliveryState.DELIVERED
            report.count(report.delivered, DeliveryChannel.SMS)
        except TemporaryFailure as error:
            if attempts >= SMS_MAX_ATTEMPTS:
                row.state, row.last_error = (
                    DeliveryState.PERMANENT_FAILURE,
                    f"gave up after {attempts} attempts: {error}",
                )
                failed.append(row)
            else:
                row.state, row.last_error = DeliveryState.TEMPORARY_FAILURE, str(error)
                wait = int(retry_after(attempts).total_seconds())
                report.retry_in = min(report.retry_in or wait, wait)
                report.retry_push_ids.add(row.push_id)
            report.count(report.failed, DeliveryChannel.SMS)
        except PermanentFailure as error:
            row.state, row.last_error = DeliveryState.PERMANENT_FAILURE, str(error)
            failed.append(row)
            report.count(report.failed, DeliveryChannel.SMS)
        row.last_error, row.updated_at = row.last_error[:300], timezone.now()
        outcomes.append(row)
        if len(outcomes) >= write_every:
            _outcomes_write(outcomes)
    _outcomes_write(outcomes)
    return failed


def _outcomes_write(rows: list[Delivery]) -> None:
    if rows:
        Delivery.objects.bulk_update(rows, ["state", "external_id", "last_error", "updated_at"])
        rows.clear()


def _route_on(failed: list[Delivery], reach: dict[int, Reach]) -> int:
    """Give each push whose channel failed for good its next channel; returns the rows written."""
    if not failed:
        return 0
    existing: dict[int, set[str]] = {}
    for push_id, channel in Delivery.objects.filter(push__in=[row.push_id for row in failed]).values_list(
        "push_id", "channel"
    ):
        existing.setdefault(push_id, set()).add(channel)
    rows = []
    to_counter = counter_pushes({row.push for row in failed})
    for row in failed:
        person = reach.get(row.push.citizen_id)
        following = (
            next_channel(person, failed=row.channel, existing=existing[row.push_id], counter=row.push_id in to_counter)
            if person
            else None
        )
        if following:
            rows.append(Delivery(push_id=row.push_id, channel=following))
            existing[row.push_id].add(following)
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _deliver_open(
    push_ids: Sequence[int], now: datetime.datetime, report: DeliveryReport, reach: dict[int, Reach]
) -> None:
    """Deliver the open rows of these pushes. `reach`: what the routing read, completed here as needed."""
    # A failure writes the next channel's row, which this same run then delivers: at most one round per channel.
    for _round in range(3):
        rows = list(
            Delivery.objects.filter(push_id__in=list(push_ids), state__in=OPEN_STATES).select_related(
                "push", "push__citizen"
            )
        )
        if not rows:
            return
        unknown = {row.push.citizen_id for row in rows if row.channel != DeliveryChannel.INBOX} - set(reach)
        if unknown:
            reach = {**reach, **reach_for(unknown, now=now)}
        by_channel: dict[str, list[Delivery]] = {}
        for row in rows:
            by_channel.setdefault(row.channel, []).append(row)
        failed: list[Delivery] = []
        if by_channel.get(DeliveryChannel.INBOX):
            failed += _inbox_deliver(by_channel[DeliveryChannel.INBOX], now, report)
        if by_channel.get(DeliveryChannel.WEBSOCKET):
            _nudge(by_channel[DeliveryChannel.WEBSOCKET], now, report)
        if by_channel.get(DeliveryChannel.COUNTER):
            _counter_deliver(by_channel[DeliveryChannel.COUNTER], reach, now, report)
        if by_channel.get(DeliveryChannel.SMS):
            failed += _sms_deliver(by_channel[DeliveryChannel.SMS], reach, now, report)
        if not failed:
            return
        missing = {row.push.citizen_id for row in failed} - set(reach)
        if missing:
            reach = {**reach, **reach_for(missing, now=now)}
        if not _route_on(failed, reach):
            return


def pushes_deliver(*, push_ids: Sequence[int]) -> DeliveryReport:
    """Deliver these pushes as far as they may go now: route those that are due, then each open
    delivery. Safe to run twice, and at the same time in several workers."""
    now = timezone.now()
    report = DeliveryReport()
    reach = _gate_and_route(push_ids, now, report)
    _deliver_open(push_ids, now, report, reach)
    return report


def push_deliver(*, push_id: int) -> DeliveryReport:
    return pushes_deliver(push_ids=[push_id])
