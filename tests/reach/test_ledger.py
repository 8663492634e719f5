"""The reach ledger: who is eligible for what since when, and when and how they were reached, applied,
were decided and got it, read from the rows the other apps write."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from profiles import hooks
from profiles.models import ConsentChannel, Role, User
from profiles.purposes import Purpose
from profiles.services.accounts import citizen_erase
from profiles.services.consent import consent_grant
from services_portal.casework.models import Case, CaseOrigin, CaseState
from services_portal.counter.models import OutreachOutcome, OutreachTask
from services_portal.counter.services import outreach_outcome_record
from services_portal.notifications.models import Delivery, DeliveryChannel, DeliveryState, Push, Trigger
from services_portal.notifications.services import notification_mark_read, push_create
from services_portal.reach import groups
from services_portal.reach.models import ReachChannel, ReachEntry
from services_portal.reach.services.ledger import reach_events_apply, reach_ledger_refresh
from tests.factories import StaffFactory
from tests.reach.conftest import ELDERLY_ALLOWANCE, PREFERENTIAL_CARD, facts_give, person_make

pytestmark = pytest.mark.usefixtures("catalog")

DAY = datetime.timedelta(days=1)


def entry(citizen, code: str) -> ReachEntry:
    return ReachEntry.objects.get(citizen=citizen, service__code=code)


def codes(citizen) -> set[str]:
    return set(ReachEntry.objects.filter(citizen=citizen).values_list("service__code", flat=True))


def bit(code: str) -> int:
    return groups.VULNERABLE[code][0]


# -- eligibility ---------------------------------------------------------------------------------------


def test_an_eligible_person_gets_a_row_per_service_with_their_region_and_groups(elder, young, now):
    # given an 86-year-old in Nanning who has not used the portal, and a 30-year-old

    # when the ledger is refreshed
    report = reach_ledger_refresh(now=now)

    # then the elder has a row for each service they are eligible for, from now, in their county
    assert {ELDERLY_ALLOWANCE, PREFERENTIAL_CARD} <= codes(elder)
    assert ELDERLY_ALLOWANCE not in codes(young) and PREFERENTIAL_CARD not in codes(young)
    row = entry(elder, ELDERLY_ALLOWANCE)
    assert (row.eligible_at, row.eligible_until, row.region_code) == (now, None, "450103")
    # in the groups 60+, 80+, offline and the life event "elderly"; not disabled or low income
    elderly_event = groups.life_event_bits(["disabled", "elderly", "graduate", "job_seeker", "low_income"])["elderly"]
    expected = bit(groups.ELDERLY_60) | bit(groups.ELDERLY_80) | bit(groups.OFFLINE)
    assert row.groups & expected == expected
    assert row.groups & (bit(groups.DISABLED) | bit(groups.LOW_INCOME)) == 0
    assert row.groups >= elderly_event
    assert report.people == 2
    assert report.created == report.eligible == ReachEntry.objects.count()
    assert report.ended == 0


def test_groups_say_who_is_disabled_low_income_and_online(now):
    # given a 40-year-old with a disability (sensitive, under consent) and low income, who signed in today
    citizen = person_make(name="陈明", birth_date=datetime.date(1986, 3, 1), hukou_region_code="450103")
    consent_grant(citizen=citizen, purpose=Purpose.SENSITIVE_FACTS, channel=ConsentChannel.WEB)
    facts_give(citizen, department="disabled_federation", disability_level=2)
    facts_give(citizen, region_code="450103", hukou_type="urban")
    facts_give(citizen, department="civil_affairs", household_income_monthly_per_capita=300)
    User.objects.filter(pk=citizen.user_id).update(last_login=timezone.now())

    # when the ledger is refreshed
    reach_ledger_refresh(now=now)

    # then the groups carry disabled and low income, and not offline or elderly
    row = entry(citizen, "gx-disabled-living-subsidy")
    assert row.groups & bit(groups.DISABLED)
    assert row.groups & bit(groups.LOW_INCOME)
    assert not row.groups & (bit(groups.OFFLINE) | bit(groups.ELDERLY_60))


def test_refreshing_again_keeps_when_they_became_eligible(elder, now):
    # given a refreshed ledger
    reach_ledger_refresh(now=now)
    before = {row.pk: row.eligible_at for row in ReachEntry.objects.filter(citizen=elder)}

    # when it is refreshed again a day later
    report = reach_ledger_refresh(now=now + DAY)

    # then nothing is made or ended, and the rows keep their eligible_at
    assert (report.created, report.ended) == (0, 0)
    assert report.eligible == len(before)
    assert {row.pk: row.eligible_at for row in ReachEntry.objects.filter(citizen=elder)} == before


def test_a_row_ends_when_the_person_is_no_longer_eligible_and_opens_again_when_they_are(elder, now):
    # given an elder in the ledger
    reach_ledger_refresh(now=now)

    # when their hukou moves out of Guangxi
    facts_give(elder, hukou_region_code="110101")
    report = reach_ledger_refresh(now=now + DAY)

    # then the allowance's row ends (it stays, for the figures of its time); the card's does not
    assert entry(elder, ELDERLY_ALLOWANCE).eligible_until == now + DAY
    assert entry(elder, PREFERENTIAL_CARD).eligible_until is None
    assert report.ended == 1

    # when it moves back, the allowance having reached her in the first episode
    ReachEntry.objects.filter(pk=entry(elder, ELDERLY_ALLOWANCE).pk).update(
        reached_at=now, reached_channel=ReachChannel.SMS, escalation_step=1, escalated_at=now
    )
    facts_give(elder, hukou_region_code="450103")
    report = reach_ledger_refresh(now=now + 2 * DAY)

    # then the same row is open again as a new episode: eligible from now, to be reached again
    row = entry(elder, ELDERLY_ALLOWANCE)
    assert (row.eligible_at, row.eligible_until) == (now + 2 * DAY, None)
    assert (row.reached_at, row.reached_channel, row.escalation_step, row.escalated_at) == (None, "", 0, None)
    assert report.created == 0


def test_an_unknown_fact_is_not_eligible_for_the_ledger(now):
    # given an 86-year-old whose hukou is not known: the allowance is only "maybe"
    citizen = person_make(birth_date=datetime.date(1940, 5, 1))

    # when the ledger is refreshed
    reach_ledger_refresh(now=now)

    # then there is no row for the allowance, and one for the card (age alone)
    assert ELDERLY_ALLOWANCE not in codes(citizen)
    assert PREFERENTIAL_CARD in codes(citizen)


def test_only_the_people_given_are_refreshed_and_chunks_give_the_same_rows(elder, young, now):
    # given a third person
    other = person_make(
        region_code="450102", name="黄爷爷", birth_date=datetime.date(1938, 1, 2), hukou_region_code="450102"
    )

    # when only the elder is refreshed
    reach_ledger_refresh(now=now, citizen_ids=[elder.pk])

    # then only the elder has rows
    assert set(ReachEntry.objects.values_list("citizen_id", flat=True)) == {elder.pk}

    # when everyone is refreshed one person per chunk
    report = reach_ledger_refresh(now=now, chunk=1)

    # then the rows are those of a single chunk
    one_chunk = set(ReachEntry.objects.values_list("citizen_id", "service_id", "groups", "region_code"))
    ReachEntry.objects.all().delete()
    reach_ledger_refresh(now=now)
    assert set(ReachEntry.objects.values_list("citizen_id", "service_id", "groups", "region_code")) == one_chunk
    assert report.people == 3
    assert entry(other, ELDERLY_ALLOWANCE).region_code == "450102"


def test_closing_the_account_deletes_the_persons_rows_and_the_ledger_makes_none_again(elder, young, now):
    # given an elder in the ledger
    reach_ledger_refresh(now=now)

    # when they close their account
    citizen_erase(citizen=elder)
    reach_ledger_refresh(now=now + DAY)

    # then their rows are gone, and the pseudonymous record gets none
    assert not ReachEntry.objects.filter(citizen=elder).exists()


def test_new_facts_from_a_feed_refresh_the_ledger_of_those_people(elder):
    # when profiles' hook asks the apps to reassess the people a batch changed
    hooks.on_people_reassess.collect([elder.pk])

    # then their ledger is made, and the step opens nothing
    assert ELDERLY_ALLOWANCE in codes(elder)


# -- the steps after eligibility --------------------------------------------------------------------------


@pytest.fixture
def clock(time_machine):
    """The clock stands still at 1 December 2026, 10:00 UTC, until moved."""
    start = datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC)
    time_machine.move_to(start, tick=False)
    return time_machine


@pytest.fixture
def listed(clock, elder):
    """The elder, in the ledger since the clock's start."""
    reach_ledger_refresh(now=timezone.now())
    return entry(elder, ELDERLY_ALLOWANCE)


def later(clock, hours: float) -> datetime.datetime:
    clock.shift(datetime.timedelta(hours=hours))
    return timezone.now()


def allowance_push(citizen, key: str = "k", *, inbox: bool = False) -> Push:
    from services_portal.catalog.models import ServiceItem

    pushed = push_create(
        citizen=citizen,
        service=ServiceItem.objects.get(code=ELDERLY_ALLOWANCE),
        trigger=Trigger.SWEEP,
        key=key,
        title="t",
        body="b",
        inbox_at_once=inbox,
    )
    assert pushed is not None
    return pushed


def outreach(citizen, outcome: str, at: datetime.datetime | None) -> OutreachTask:
    return OutreachTask.objects.create(
        citizen=citizen,
        service=entry(citizen, ELDERLY_ALLOWANCE).service,
        region_code="450103",
        outcome=outcome,
        outcome_at=at,
    )


def case_open(citizen, origin: str, state: str = CaseState.IN_REVIEW, period: str = "2026") -> Case:
    return Case.objects.create(
        citizen=citizen,
        service=entry(citizen, ELDERLY_ALLOWANCE).service,
        origin=origin,
        period=period,
        region_code="450103",
        state=state,
    )


def test_reading_the_inbox_message_reaches_them(listed, elder, clock):
    # given a message about the allowance, read three hours later
    allowance_push(elder, inbox=True)
    read_at = later(clock, 3)
    notification_mark_read(citizen=elder, notification_id=elder.notifications.get().pk)

    # when the events are applied
    reach_events_apply()

    # then the entry is reached in the inbox, when it was read
    row = entry(elder, ELDERLY_ALLOWANCE)
    assert (row.reached_at, row.reached_channel) == (read_at, ReachChannel.INBOX)


def test_a_text_message_delivered_reaches_them(listed, elder, clock):
    # given a text message about the allowance, delivered an hour later
    pushed = allowance_push(elder)
    delivered_at = later(clock, 1)
    Delivery.objects.create(push=pushed, channel=DeliveryChannel.SMS, state=DeliveryState.DELIVERED)

    # when the events are applied
    reach_events_apply(citizen_ids=[elder.pk])

    # then the entry is reached by text message
    row = entry(elder, ELDERLY_ALLOWANCE)
    assert (row.reached_at, row.reached_channel) == (delivered_at, ReachChannel.SMS)


@pytest.mark.parametrize(
    ("outcome", "channel"),
    [(OutreachOutcome.REACHED_BY_PHONE, ReachChannel.COUNTER_PHONE), (OutreachOutcome.VISITED, ReachChannel.VISIT)],
)
def test_a_call_or_visit_by_counter_staff_reaches_them(listed, elder, clock, outcome, channel):
    # given counter staff recorded a call (or visit) two days later
    done_at = later(clock, 48)
    outreach(elder, outcome, done_at)

    # when the events are applied
    reach_events_apply()

    # then the entry is reached that way
    row = entry(elder, ELDERLY_ALLOWANCE)
    assert (row.reached_at, row.reached_channel) == (done_at, channel)


def test_an_outcome_recorded_at_the_counter_reaches_them_once_it_commits(
    listed, elder, clock, django_capture_on_commit_callbacks
):
    # given an outreach task for the elder's allowance
    task = outreach(elder, OutreachOutcome.OPEN, None)
    staff = StaffFactory(username="qingxiu-counter", role=Role.COUNTER_STAFF, region_scope="450103")
    called_at = later(clock, 5)

    # when counter staff record that they reached her by phone
    with django_capture_on_commit_callbacks(execute=True):
        outreach_outcome_record(task=task, staff=staff, outcome=OutreachOutcome.REACHED_BY_PHONE)

    # then her ledger says so at once, without waiting for the hourly run
    row = entry(elder, ELDERLY_ALLOWANCE)
    assert (row.reached_at, row.reached_channel) == (called_at, ReachChannel.COUNTER_PHONE)


def test_the_hourly_run_reads_only_the_people_with_events_since(listed, elder, clock):
    # given a call to the elder two hours ago, and another elder reached long before but not yet read
    called_at = later(clock, 48)
    outreach(elder, OutreachOutcome.REACHED_BY_PHONE, called_at)
    other = person_make(name="黄爷爷", birth_date=datetime.date(1938, 1, 2), hukou_region_code="450103")
    reach_ledger_refresh(now=timezone.now(), citizen_ids=[other.pk])
    outreach(other, OutreachOutcome.VISITED, called_at - datetime.timedelta(days=1))
    later(clock, 2)

    # when the events of the last three hours are applied
    reach_events_apply(since=timezone.now() - datetime.timedelta(hours=3))

    # then the elder is reached; the other waits for the daily refresh, which reads everyone
    assert entry(elder, ELDERLY_ALLOWANCE).reached_channel == ReachChannel.COUNTER_PHONE
    assert entry(other, ELDERLY_ALLOWANCE).reached_at is None
    reach_events_apply()
    assert entry(other, ELDERLY_ALLOWANCE).reached_channel == ReachChannel.VISIT


def test_declined_or_unreachable_is_not_reached(listed, elder, clock):
    # given the counter could not reach them, and they declined another call
    outreach(elder, OutreachOutcome.UNREACHABLE, later(clock, 1))
    outreach(elder, OutreachOutcome.DECLINED, later(clock, 1))

    # when the events are applied
    reach_events_apply()

    # then they are not reached
    assert entry(elder, ELDERLY_ALLOWANCE).reached_at is None


def test_the_earliest_event_wins_whatever_the_order_found(listed, elder, clock):
    # given a visit after a text message, and an inbox read after both
    pushed = allowance_push(elder, inbox=True)
    sms_at = later(clock, 1)
    Delivery.objects.create(push=pushed, channel=DeliveryChannel.SMS, state=DeliveryState.DELIVERED)
    outreach(elder, OutreachOutcome.VISITED, later(clock, 1))
    later(clock, 1)
    notification_mark_read(citizen=elder, notification_id=elder.notifications.get().pk)

    # when the events are applied, twice
    filled = reach_events_apply()
    again = reach_events_apply()

    # then the text message reached them first, and the second run changes nothing
    row = entry(elder, ELDERLY_ALLOWANCE)
    assert (row.reached_at, row.reached_channel) == (sms_at, ReachChannel.SMS)
    assert filled >= 1
    assert again == 0


def test_an_application_before_any_message_counts_as_applied(listed, elder, clock):
    # given they applied online, and a text message was delivered later
    applied_at = later(clock, 2)
    case = case_open(elder, CaseOrigin.ONLINE)
    later(clock, 2)
    Delivery.objects.create(push=allowance_push(elder), channel=DeliveryChannel.SMS, state=DeliveryState.DELIVERED)
    decided_at = later(clock, 24)
    Case.objects.filter(pk=case.pk).update(state=CaseState.APPROVED, decided_at=decided_at)
    delivered_at = later(clock, 24)
    Case.objects.filter(pk=case.pk).update(state=CaseState.DELIVERED, delivered_at=delivered_at)

    # when the events are applied
    reach_events_apply()

    # then the entry was reached by applying, and carries the case's times
    row = entry(elder, ELDERLY_ALLOWANCE)
    assert (row.reached_at, row.reached_channel) == (applied_at, ReachChannel.APPLIED)
    assert (row.applied_at, row.decided_at, row.delivered_at) == (applied_at, decided_at, delivered_at)


def test_a_proactive_case_counts_as_a_case_opened(listed, elder, clock):
    # given data matching opened a case for them
    opened_at = later(clock, 5)
    case_open(elder, CaseOrigin.PROACTIVE)

    # when the events are applied
    reach_events_apply()

    # then they were reached by the case, which is also their application
    row = entry(elder, ELDERLY_ALLOWANCE)
    assert (row.reached_at, row.reached_channel, row.applied_at) == (opened_at, ReachChannel.CASE_OPENED, opened_at)


def test_old_events_do_not_count_but_a_live_case_does(clock, elder):
    # given a text message about the allowance delivered a month before they became eligible, and a case
    # rejected then
    Delivery.objects.create(push=allowance_push(elder), channel=DeliveryChannel.SMS, state=DeliveryState.DELIVERED)
    clock.shift(datetime.timedelta(days=30))
    reach_ledger_refresh(now=timezone.now())
    clock.shift(-datetime.timedelta(days=29))
    case_open(elder, CaseOrigin.ONLINE, state=CaseState.REJECTED)
    clock.shift(datetime.timedelta(days=29))

    # when the events are applied
    reach_events_apply()

    # then the entry is not reached
    assert entry(elder, ELDERLY_ALLOWANCE).reached_at is None

    # when a case of last year is still in force (delivered)
    clock.shift(-datetime.timedelta(days=300))
    case = case_open(elder, CaseOrigin.COUNTER, state=CaseState.DELIVERED, period="2025")
    clock.shift(datetime.timedelta(days=300))
    reach_events_apply()

    # then they have the service: applied, at the time of that case
    row = entry(elder, ELDERLY_ALLOWANCE)
    assert (row.reached_channel, row.applied_at) == (ReachChannel.APPLIED, case.opened_at)


def test_events_of_other_services_and_people_do_not_count(listed, elder, young, clock):
    # given a text message to someone else about the allowance, and a visit to the elder about another service
    Delivery.objects.create(push=allowance_push(young), channel=DeliveryChannel.SMS, state=DeliveryState.DELIVERED)
    OutreachTask.objects.create(
        citizen=elder,
        service=entry(elder, PREFERENTIAL_CARD).service,
        region_code="450103",
        outcome=OutreachOutcome.VISITED,
        outcome_at=later(clock, 1),
    )

    # when the events are applied
    reach_events_apply()

    # then the elder's allowance entry is not reached; the card's is, by the visit
    assert entry(elder, ELDERLY_ALLOWANCE).reached_at is None
    assert entry(elder, PREFERENTIAL_CARD).reached_channel == ReachChannel.VISIT
