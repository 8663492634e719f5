"""The routing plan: which channels bring a push to its person, in what order.

    inbox (with a live nudge) ──not read in time──> text message ──failed──> counter outreach

- The inbox, with a live nudge to open pages, for people who granted NOTIFY_INBOX and use the portal
  (an account, and web or app use or a sign-in within PUSH_OFFLINE_AFTER_DAYS).
- A text message, for people who granted NOTIFY_SMS and gave a number: at once when the inbox does
  not reach them; otherwise when the inbox row is still unread after PUSH_UNREAD_ESCALATE_HOURS.
- A counter outreach task for staff of the person's area, at once when the person does not use the
  portal or granted no digital channel (they chose the counter, or nothing at all); and as the last
  step when the channels before it failed for good. Only for a push about a service where reaching out
  helps (ServiceItem.outreach: essential, proactive, time-limited benefits), or about no service (case
  news, a failed payment): a certificate one asks for (不动产登记, 无犯罪记录证明) never goes to the counter.

Consents and reach are read when the push is routed (and again when it escalates), so a consent
withdrawn before then is honoured. A ward's pushes reach their guardian, whose consents hold.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from profiles.models import Citizen, User
from profiles.purposes import Purpose
from profiles.selectors import consent_holders, consent_in_force_by_purpose
from services_portal.catalog.models import ServiceItem
from services_portal.counter.models import OutreachReason
from services_portal.notifications import hooks
from services_portal.notifications.models import Delivery, DeliveryChannel, Push

# The order a push falls through when a channel fails for good. The live nudge rides with the inbox.
FALLBACK_ORDER = (DeliveryChannel.INBOX, DeliveryChannel.SMS, DeliveryChannel.COUNTER)


@dataclass(frozen=True)
class Reach:
    """How a person can be reached now."""

    citizen_id: int
    recipient_id: int  # whose inbox and phone: the person, or a ward's guardian
    erased: bool
    online: bool
    has_account: bool
    inbox_consent: bool
    sms_consent: bool
    counter_consent: bool
    phone: str
    region_code: str

    @property
    def inbox(self) -> bool:
        return self.has_account and self.online and self.inbox_consent and not self.erased

    @property
    def sms(self) -> bool:
        return self.sms_consent and bool(self.phone) and not self.erased

    @property
    def counter_at_once(self) -> bool:
        return not self.erased and (not self.online or not (self.inbox or self.sms))

    @property
    def outreach_reason(self) -> str:
        if not self.online:
            return OutreachReason.NOT_ONLINE
        if self.counter_consent and not (self.inbox_consent or self.sms_consent):
            return OutreachReason.CHOSE_COUNTER
        return OutreachReason.NO_CHANNEL_CONSENT


CHANNEL_PURPOSES = (Purpose.NOTIFY_INBOX, Purpose.NOTIFY_SMS, Purpose.NOTIFY_COUNTER)


def reach_for(citizen_ids: Iterable[int], *, now: datetime.datetime | None = None) -> dict[int, Reach]:
    """Each person's reach, in a handful of queries however many people."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=settings.PUSH_OFFLINE_AFTER_DAYS)
    fields = ("pk", "guardian_id", "user_id", "phone", "region_code", "erased_at")
    people = {row[0]: row for row in Citizen.objects.filter(pk__in=list(citizen_ids)).values_list(*fields, named=True)}
    guardians = {row[1] for row in people.values() if row[1] and row[1] not in people}
    people.update({row[0]: row for row in Citizen.objects.filter(pk__in=guardians).values_list(*fields, named=True)})
    recipients = consent_holders(people.values())
    holders = set(recipients.values())
    consents = consent_in_force_by_purpose(people.values(), CHANNEL_PURPOSES)
    inbox, sms, counter = (consents[purpose] for purpose in CHANNEL_PURPOSES)
    user_ids = {people[holder][2] for holder in holders if people[holder][2]}
    signed_in = set(User.objects.filter(pk__in=user_ids, last_login__gte=since).values_list("pk", flat=True))
    used: set[int] = set().union(*hooks.used_online_since.collect(holders, since))
    reach = {}
    for pk in citizen_ids:
        if pk not in people:
            continue
        holder = recipients[pk]
        _, _, user_id, phone, _, erased_at = people[holder]
        reach[pk] = Reach(
            citizen_id=pk,
            recipient_id=holder,
            erased=bool(people[pk][5] or erased_at),
            online=holder in used or user_id in signed_in,
            has_account=user_id is not None,
            inbox_consent=pk in inbox,
            sms_consent=pk in sms,
            counter_consent=pk in counter,
            phone=phone,
            region_code=people[pk][4],
        )
    return reach


def counter_pushes(pushes: Iterable[Push]) -> set[int]:
    """The pushes (by id) that may end at the counter: about a service with outreach, or about none."""
    pushes = list(pushes)
    outreach = set(
        ServiceItem.objects.filter(
            pk__in={push.service_id for push in pushes if push.service_id is not None}, outreach=True
        ).values_list("pk", flat=True)
    )
    return {push.pk for push in pushes if push.service_id is None or push.service_id in outreach}


def first_channels(reach: Reach, *, inbox_written: bool = False, counter: bool = True) -> list[str]:
    """The channels a push goes to when it is routed. `inbox_written`: its inbox row was written when
    it was created (a case decision), so the nudge goes with it. `counter`: the push may end at the
    counter (counter_pushes)."""
    if reach.erased:
        return []
    channels: list[str] = []
    if reach.inbox or inbox_written:
        channels += [DeliveryChannel.INBOX, DeliveryChannel.WEBSOCKET]
    if reach.sms and not reach.inbox:
        channels.append(DeliveryChannel.SMS)
    if reach.counter_at_once and counter:
        channels.append(DeliveryChannel.COUNTER)
    return channels


def next_channel(reach: Reach, *, failed: str, existing: Iterable[str], counter: bool = True) -> str | None:
    """Where a push goes when `failed` failed for good: the next channel of the plan it has not tried.
    The counter is always the last resort (where the push may end there, `counter`); the nudge only ever
    rides with the inbox."""
    if failed not in FALLBACK_ORDER or reach.erased:
        return None
    tried = set(existing)
    for channel in FALLBACK_ORDER[FALLBACK_ORDER.index(failed) + 1 :]:
        if channel in tried:
            continue
        if channel == DeliveryChannel.SMS and not reach.sms:
            continue
        if channel == DeliveryChannel.COUNTER and not counter:
            continue
        return channel
    return None


def pushes_route(pushes: list[Push], reach: Mapping[int, Reach], *, now: datetime.datetime) -> int:
    """Write each push's first delivery rows (pending) and stamp it routed. Safe to run twice: there
    is one delivery per push and channel. Runs in the caller's transaction; returns the rows written."""
    existing: dict[int, set[str]] = {}
    for push_id, channel in Delivery.objects.filter(push__in=pushes).values_list("push_id", "channel"):
        existing.setdefault(push_id, set()).add(channel)
    rows = []
    to_counter = counter_pushes(pushes)
    for push in pushes:
        person = reach.get(push.citizen_id)
        if person is None:
            continue
        had = existing.get(push.pk, set())
        inbox_written = DeliveryChannel.INBOX in had
        for channel in first_channels(person, inbox_written=inbox_written, counter=push.pk in to_counter):
            if channel not in had:
                rows.append(Delivery(push=push, channel=channel))
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    Push.objects.filter(pk__in=[push.pk for push in pushes]).update(routed_at=now)
    return len(rows)


def push_route(push: Push) -> list[Delivery]:
    """Route one push now (see `pushes_route`); returns its delivery rows."""
    now = timezone.now()
    pushes_route([push], reach_for([push.citizen_id], now=now), now=now)
    push.routed_at = now
    return list(push.deliveries.order_by("pk"))
