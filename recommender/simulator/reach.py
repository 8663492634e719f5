"""The behaviour of being reached: who holds a phone the portal knows, who opens the inbox when, which text
messages arrive, and what counter staff manage in a day when they work the outreach list.

It works on a simulated population already in the database (`population_simulate`): what it needs of each
person is read back from the rows the portal holds (the birth date fact, web and app use), so it sees what
the portal would see. Every figure is in `rates` with its source or "assumption". The draws are pure
functions of a numpy generator, so the same seed gives the same behaviour; the benchmark
(tests/bench/bench_reach.py) drives the portal's own services with them.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count

from profiles.models import Citizen, FactValue, Role, User
from recommender.models import Interaction, InteractionChannel
from recommender.simulator import rates
from services_portal.core.sms import ConsoleBackend, PermanentFailure

HOUR = datetime.timedelta(hours=1)
ACCOUNT_PREFIX = "simulator-person-"


def _band(table: Mapping[int, float], age: np.ndarray) -> np.ndarray:
    """The value of each age's band in a table keyed by the bands' upper ages."""
    uppers = np.array(sorted(table))
    values = np.array([table[key] for key in sorted(table)])
    return values[np.minimum(np.searchsorted(uppers, age, side="left"), len(uppers) - 1)]


@dataclass
class People:
    """What being reached depends on, one entry per simulated person, in id order."""

    ids: np.ndarray
    region_code: np.ndarray
    age: np.ndarray
    online: np.ndarray  # used the web or the app within PUSH_OFFLINE_AFTER_DAYS, as routing sees it
    activity: np.ndarray  # web and app interactions in the whole simulated window
    phone: np.ndarray  # the portal holds a phone number
    dormant: np.ndarray  # an online user who does not open the portal for weeks

    def __len__(self) -> int:
        return len(self.ids)


# -- pure draws (tested in tests/recommender/test_simulator_reach.py) -----------------------------


def phone_known_probability(age: np.ndarray, online: np.ndarray) -> np.ndarray:
    offline = rates.PHONE_KNOWN_OFFLINE.value * _band(rates.PHONE_KNOWN_OFFLINE_AGE_FACTORS, age)
    return np.clip(np.where(online, rates.PHONE_KNOWN_ONLINE.value, offline), 0.0, 1.0)


def inbox_open_probability(
    age: np.ndarray, activity: np.ndarray, online: np.ndarray, dormant: np.ndarray
) -> np.ndarray:
    """Each person's chance of opening the portal (and its inbox) on a given day: 1 - exp(-rate), the rate
    scaled by age and by the person's own use relative to the median online user."""
    used = activity[online & (activity > 0)]
    median = float(np.median(used)) if len(used) else 1.0
    relative = np.clip(activity / max(median, 1.0), 0.3, 3.0)
    rate = -np.log(1 - rates.INBOX_OPEN_DAILY.value) * relative * _band(rates.INBOX_OPEN_AGE_FACTORS, age)
    return np.where(online & ~dormant, 1 - np.exp(-rate), 0.0)


def inbox_opens_draw(
    rng: np.random.Generator, people: People, *, day: datetime.datetime
) -> tuple[np.ndarray, np.ndarray]:
    """Who opens the inbox on the day starting at `day` (local midnight), and when: (person rows, moments)."""
    chance = inbox_open_probability(people.age, people.activity, people.online, people.dormant)
    rows = np.flatnonzero(rng.random(len(people)) < chance)
    first, last = rates.INBOX_OPEN_HOURS
    hours = first + rng.random(len(rows)) * (last - first)
    return rows, np.array([day + datetime.timedelta(hours=float(h)) for h in hours], dtype=object)


def sms_undeliverable(phone: str) -> bool:
    """Whether a number is out of service: fixed per number (a hash), SMS_UNDELIVERABLE of them."""
    digest = int.from_bytes(hashlib.blake2b(phone.encode(), digest_size=8).digest(), "big")
    return digest / 2**64 < rates.SMS_UNDELIVERABLE.value


@dataclass(frozen=True)
class Contact:
    """One outreach task worked on a day: what came of it, and the staff time it took (in phone calls)."""

    task_id: int
    outcome: str  # an OutreachOutcome value
    cost: float


def contact_draw(rng: np.random.Generator, *, has_phone: bool, visit_only: bool) -> tuple[str, float]:
    """What one contact attempt comes to: a call first when a phone is known (and the task is not a follow-up
    after no one answered), then a visit when the call is not answered."""
    cost = 0.0
    if has_phone and not visit_only:
        cost += 1.0
        if rng.random() < rates.OUTREACH_PHONE_ANSWERED.value:
            return ("declined" if rng.random() < rates.OUTREACH_DECLINED.value else "reached_by_phone"), cost
    cost += rates.OUTREACH_VISIT_COST.value
    if rng.random() < rates.OUTREACH_FOUND_AT_HOME.value:
        return ("declined" if rng.random() < rates.OUTREACH_DECLINED.value else "visited"), cost
    return "unreachable", cost


def counter_capacity(people: People, *, scale: float = 1.0) -> dict[str, float]:
    """Outreach contacts per working day in each county (OUTREACH_CONTACTS_PER_1000 of its adults)."""
    codes, counts = np.unique(people.region_code, return_counts=True)
    per_adult = rates.OUTREACH_CONTACTS_PER_1000.value / 1000 * scale
    return {str(code): float(count) * per_adult for code, count in zip(codes, counts, strict=True)}


def outreach_day_plan(
    rng: np.random.Generator,
    tasks: Sequence[tuple[int, str, bool, bool]],
    *,
    budget: dict[str, float],
) -> list[Contact]:
    """The contacts counter staff make in a day: `tasks` as (id, county, phone known, a follow-up after no one
    was found) in the list's order (most urgent first); each county works down its list while it has time
    left (`budget`, in phone calls, changed in place: a visit begun is finished, the overrun comes off the
    next day)."""
    contacts = []
    for task_id, region_code, has_phone, follow_up in tasks:
        if budget.get(region_code, 0.0) <= 0:
            continue
        outcome, cost = contact_draw(rng, has_phone=has_phone, visit_only=follow_up)
        budget[region_code] -= cost
        contacts.append(Contact(task_id, outcome, cost))
    return contacts


# -- reading the population and giving it what being reached needs --------------------------------


def people_read(*, now: datetime.datetime, seed: int) -> People:
    """The simulated people as the portal holds them (not erased), with their drawn phone and dormancy."""
    rows = list(Citizen.objects.filter(erased_at__isnull=True).order_by("pk").values_list("pk", "region_code", "phone"))
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    index = {pk: i for i, pk in enumerate(ids.tolist())}
    born = np.full(len(ids), np.datetime64("1986-01-01"), dtype="datetime64[D]")
    for citizen_id, value in FactValue.objects.filter(key="birth_date", superseded_at__isnull=True).values_list(
        "citizen_id", "value"
    ):
        if citizen_id in index and isinstance(value, str):
            born[index[citizen_id]] = np.datetime64(value[:10])
    age = ((np.datetime64(now.date()) - born).astype(np.int64) / 365.2425).astype(np.int64)
    since = now - datetime.timedelta(days=settings.PUSH_OFFLINE_AFTER_DAYS)
    web = [InteractionChannel.WEB, InteractionChannel.APP]
    online = np.zeros(len(ids), dtype=bool)
    for citizen_id in (
        Interaction.objects.filter(channel__in=web, occurred_at__gte=since, occurred_at__lte=now)
        .order_by()
        .values_list("citizen_id", flat=True)
        .distinct()
    ):
        if citizen_id in index:
            online[index[citizen_id]] = True
    activity = np.zeros(len(ids))
    counts = Interaction.objects.filter(channel__in=web, occurred_at__lte=now).order_by().values("citizen_id")
    for citizen_id, n in counts.annotate(n=Count("pk")).values_list("citizen_id", "n"):
        if citizen_id in index:
            activity[index[citizen_id]] = n
    rng = np.random.default_rng([seed, 8])
    return People(
        ids=ids,
        region_code=np.array([row[1] for row in rows]),
        age=age,
        online=online,
        activity=activity,
        phone=np.array([bool(row[2]) for row in rows], dtype=bool),
        dormant=online & (rng.random(len(ids)) < rates.INBOX_DORMANT.value),
    )


@transaction.atomic
def reachability_give(people: People, *, seed: int) -> tuple[int, int]:
    """What the simulator leaves out and reaching needs: a phone number on file (PHONE_KNOWN_*), and an
    account for each person who uses the web or the app. Returns (phones, accounts) written."""
    rng = np.random.default_rng([seed, 7])
    phone = rng.random(len(people)) < phone_known_probability(people.age, people.online)
    with_phone = people.ids[phone].tolist()
    for start in range(0, len(with_phone), 20_000):
        chunk = with_phone[start : start + 20_000]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # never a test number of the file backend (…0000, …0001, …9999)
                cursor.execute(
                    "UPDATE profiles_citizen SET phone = '139' || lpad(id::text, 7, '0') || '5' WHERE id = ANY(%s)",
                    [chunk],
                )
        else:
            Citizen.objects.bulk_update(
                [Citizen(pk=pk, phone=f"139{pk:07d}5") for pk in chunk], ["phone"], batch_size=2000
            )
    people.phone = phone
    online = people.ids[people.online].tolist()
    User.objects.bulk_create(
        [User(username=f"{ACCOUNT_PREFIX}{pk}", password=make_password(None), role=Role.CITIZEN) for pk in online],
        batch_size=5000,
        ignore_conflicts=True,
    )
    users = dict(User.objects.filter(username__startswith=ACCOUNT_PREFIX).values_list("username", "pk"))
    Citizen.objects.bulk_update(
        [Citizen(pk=pk, user_id=users[f"{ACCOUNT_PREFIX}{pk}"]) for pk in online], ["user"], batch_size=5000
    )
    return len(with_phone), len(online)


def inbox_reads_apply(citizen_ids: Sequence[int], moments: Sequence[datetime.datetime]) -> int:
    """Each person opening their inbox at their moment reads what is in it by then (notification_mark_read,
    done in bulk: read_at is the moment). Returns the notifications read."""
    if not citizen_ids:
        return 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE notifications_notification n SET read_at = v.at "
                "FROM unnest(%s::int8[], %s::timestamptz[]) AS v(citizen_id, at) "
                "WHERE n.citizen_id = v.citizen_id AND n.read_at IS NULL AND n.created_at <= v.at",
                [list(citizen_ids), list(moments)],
            )
            return cursor.rowcount
    from services_portal.notifications.models import Notification

    return sum(
        Notification.objects.filter(citizen_id=pk, read_at__isnull=True, created_at__lte=at).update(read_at=at)
        for pk, at in zip(citizen_ids, moments, strict=True)
    )


class SimulatedSmsBackend(ConsoleBackend):
    """The console backend (to the file SIMULATOR_SMS_LOG, else nowhere) with SMS_UNDELIVERABLE of the numbers
    out of service: a permanent failure, which routing takes on to the next channel."""

    def __init__(self, **options: object) -> None:
        path = os.environ.get("SIMULATOR_SMS_LOG") or os.devnull
        super().__init__(stream=open(path, "a", encoding="utf-8"), **options)  # noqa: SIM115 - kept for the process

    def send(self, *, message_id: str, phone: str, text: str) -> str:
        if sms_undeliverable(phone):
            raise PermanentFailure("number out of service (simulated)")
        return super().send(message_id=message_id, phone=phone, text=text)
