"""What starts a push: a birth from a feed (the newborn bundle), a decision on a case, a new service
published for a life-event group, and the scheduled sweep of recommendations."""

from __future__ import annotations

import copy
import datetime

import pytest
from django.utils import timezone

from profiles.models import ConsentChannel, FactSource, User
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from profiles.services.facts import fact_record
from recommender.tasks import sweep
from services_portal.casework.models import Case
from services_portal.casework.services import case_reject
from services_portal.catalog.models import Bundle, ServiceItem
from services_portal.catalog.services import catalog_import
from services_portal.counter.models import OutreachTask
from services_portal.feeds.services import feed_batch_ingest
from services_portal.notifications.models import Delivery, Fanout, Notification, NotificationKind, Push, Trigger
from services_portal.notifications.tasks import dispatch
from tests.factories import birth_row
from tests.notifications.push_helpers import at, person

pytestmark = pytest.mark.usefixtures("catalog")

NEWBORN_BUNDLE = [
    "gx-birth-medical-certificate",
    "gx-newborn-hukou",
    "gx-newborn-medical-insurance",
    "gx-child-vaccination-booking",
    "gx-childcare-subsidy",
    "gx-maternity-allowance",
]


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.SMS_BACKEND = "services_portal.core.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.PUSH_DAILY_LIMIT = 3
    settings.PUSH_QUIET_HOURS = "21:00-08:00"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(at(23, 10), tick=False)
    return time_machine


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def allow(citizen, *purposes: Purpose, online: bool = True) -> None:
    for purpose in purposes:
        consent_grant(citizen=citizen, purpose=purpose, channel=ConsentChannel.WEB)
    if online:
        User.objects.filter(pk=citizen.user_id).update(last_login=timezone.now())


def born(days_ago: int) -> str:
    return (timezone.localdate() - datetime.timedelta(days=days_ago)).isoformat()


def pushed(citizen, trigger: str = Trigger.LIFE_EVENT) -> list[tuple[str, str]]:
    """(service, idempotency key) of the person's pushes by this trigger, in service order."""
    return sorted(Push.objects.filter(citizen=citizen, trigger=trigger).values_list("service__code", "idempotency_key"))


# -- a birth from a feed ---------------------------------------------------------------------------------


def test_a_birth_from_the_feed_pushes_the_newborn_bundle_once(clock, committed, health_feed, parent):
    # given a parent who allows personalisation and reads the portal inbox
    allow(parent, Purpose.PERSONALISATION, Purpose.NOTIFY_INBOX)
    row = birth_row(parent, days_ago=20)

    # when the health department delivers the birth
    committed(lambda: feed_batch_ingest(account=health_feed, batch_id="H-1", rows=[row]))

    # then each service of the birth bundle is pushed once, keyed by the day the event started
    assert Bundle.objects.get(code="birth").services.count() == len(NEWBORN_BUNDLE)
    assert pushed(parent) == sorted(
        (code, f"life_event:{parent.pk}:{code}:newborn_parent:{born(20)}") for code in NEWBORN_BUNDLE
    )
    # and three reach the inbox today (the daily limit), the others wait for tomorrow morning
    assert Notification.objects.filter(citizen=parent, kind=NotificationKind.SERVICE_FOR_YOU).count() == 3
    assert set(Push.objects.filter(citizen=parent, routed_at__isnull=True).values_list("not_before", flat=True)) == {
        at(24, 8)
    }

    # when the department delivers the batch again, and the same birth in a batch of its own
    committed(lambda: feed_batch_ingest(account=health_feed, batch_id="H-1", rows=[row]))
    committed(lambda: feed_batch_ingest(account=health_feed, batch_id="H-2", rows=[row]))

    # then nothing more is pushed
    assert Push.objects.filter(citizen=parent).count() == len(NEWBORN_BUNDLE)
    assert Notification.objects.filter(citizen=parent).count() == 3

    # and the next morning the rest arrive
    clock.move_to(at(24, 8, 1))
    dispatch()
    assert Notification.objects.filter(citizen=parent).count() == len(NEWBORN_BUNDLE)


def test_a_second_child_starts_the_event_anew(clock, committed, health_feed, parent):
    # given a parent pushed the bundle for a child born last year
    allow(parent, Purpose.PERSONALISATION, Purpose.NOTIFY_INBOX)
    first = birth_row(parent, days_ago=300)
    committed(lambda: feed_batch_ingest(account=health_feed, batch_id="H-1", rows=[first]))
    assert len(pushed(parent)) == len(NEWBORN_BUNDLE)

    # when a second child is born
    both = {**first, "value": [born(300), born(5)], "observed_at": born(5)}
    committed(lambda: feed_batch_ingest(account=health_feed, batch_id="H-2", rows=[both]))

    # then the bundle is pushed again for the new birth (only what the parent may qualify for)
    new = [key for _, key in pushed(parent) if key.endswith(born(5))]
    assert len(new) == len(NEWBORN_BUNDLE)


def test_no_life_event_push_without_personalisation(clock, committed, health_feed, parent):
    # given a parent who allows data matching but not personalisation
    allow(parent, Purpose.NOTIFY_INBOX)
    # when the birth arrives
    committed(lambda: feed_batch_ingest(account=health_feed, batch_id="H-1", rows=[birth_row(parent)]))
    # then the proactive case is opened, but nothing is pushed from the profile
    assert Case.objects.filter(citizen=parent).exists()
    assert pushed(parent) == []


def test_a_refused_batch_pushes_nothing(clock, committed, health_feed, parent):
    # given a batch whose only row is rejected (a fact this department may not deliver)
    allow(parent, Purpose.PERSONALISATION, Purpose.NOTIFY_INBOX)
    row = {**birth_row(parent), "fact": "disability_level", "value": 1}
    committed(lambda: feed_batch_ingest(account=health_feed, batch_id="H-1", rows=[row]))
    assert Push.objects.filter(citizen=parent).count() == 0


# -- a decision on a case ----------------------------------------------------------------------------------


def test_a_case_decision_is_a_push_whose_inbox_row_is_written_with_the_decision(
    clock, committed, django_capture_on_commit_callbacks, health_feed, parent, caseworker
):
    # given an open case for a parent who does not use the portal and agreed to no channel
    committed(lambda: feed_batch_ingest(account=health_feed, batch_id="H-1", rows=[birth_row(parent)]))
    case = Case.objects.get(citizen=parent, service__code="gx-childcare-subsidy")

    # when the caseworker rejects it
    with django_capture_on_commit_callbacks(execute=False) as queued:
        case_reject(case_id=case.pk, actor=caseworker, reason_code="data_wrong", version=1)

    # then the inbox row is there with the decision, before anything else runs
    push = Push.objects.get(citizen=parent, trigger=Trigger.CASE_DECISION)
    assert push.idempotency_key == f"case_decision:{parent.pk}:gx-childcare-subsidy:case:{case.pk}:rejected:2"
    assert push.essential is True
    notification = Notification.objects.get(citizen=parent)
    assert (notification.kind, notification.link) == (NotificationKind.CASE_DECISION, f"/me/cases/{case.pk}/")
    assert notification.title_en == "Not approved: National childcare subsidy"
    assert notification.idempotency_key == push.idempotency_key

    # when what the decision queued runs (after commit)
    for callback in queued:
        callback()

    # then the counter of the parent's district reaches out, essential first
    task = OutreachTask.objects.get(citizen=parent)
    assert (task.push_id, task.essential, task.reason, task.region_code) == (push.pk, True, "not_online", "450103")
    assert dict(Delivery.objects.filter(push=push).values_list("channel", "state")) == {
        "inbox": "delivered",
        "websocket": "delivered",
        "counter": "delivered",
    }
    assert Notification.objects.filter(citizen=parent).count() == 1


# -- a new service for a group -----------------------------------------------------------------------------


def aged(citizen, years: int) -> None:
    value = (timezone.localdate() - datetime.timedelta(days=365 * years + 30)).isoformat()
    fact_record(citizen=citizen, key="birth_date", value=value, source=FactSource.SELF_DECLARED)


def new_service_document(catalog_data, *, published: bool = True) -> dict:
    """The seed catalog with one more service, for people aged 60 or over (the elderly group)."""
    document = copy.deepcopy(catalog_data)
    row = copy.deepcopy(next(s for s in document["services"] if s["code"] == "gx-elderly-preferential-card"))
    row.update(
        code="gx-elderly-digital-skills",
        name={"zh-hans": "老年人数字技能培训", "en": "Digital skills for older people"},
        published=published,
        examples=[],
    )
    document["services"].append(row)
    return document


def test_a_new_service_for_a_group_is_pushed_to_the_people_in_it(clock, committed, catalog_data):
    # given an older and a younger person who allow personalisation, and an older one who does not
    elder, young, private = person(consents=[Purpose.NOTIFY_INBOX]), person(), person()
    for citizen in (elder, young):
        allow(citizen, Purpose.PERSONALISATION)
    for citizen, years in ((elder, 70), (young, 30), (private, 70)):
        aged(citizen, years)

    # when a catalog editor publishes a new service for the elderly
    committed(lambda: catalog_import(data=new_service_document(catalog_data)))

    # then the older person who allows personalisation is pushed it, and told in the inbox
    service = ServiceItem.objects.get(code="gx-elderly-digital-skills")
    assert list(Push.objects.filter(trigger=Trigger.NEW_SERVICE).values_list("citizen_id", "service_id")) == [
        (elder.pk, service.pk)
    ]
    assert Notification.objects.get(citizen=elder).title_en == "New: Digital skills for older people"
    assert Fanout.objects.get(service=service).dispatched_at is not None

    # when the catalog is imported again
    committed(lambda: catalog_import(data=new_service_document(catalog_data)))
    # then nothing more is pushed
    assert Push.objects.filter(trigger=Trigger.NEW_SERVICE).count() == 1


def test_a_service_is_pushed_when_it_is_published_not_before(clock, committed, catalog_data):
    # given an older person, and a new service imported unpublished
    elder = person(consents=[Purpose.NOTIFY_INBOX])
    allow(elder, Purpose.PERSONALISATION)
    aged(elder, 70)
    committed(lambda: catalog_import(data=new_service_document(catalog_data, published=False)))
    assert Push.objects.filter(trigger=Trigger.NEW_SERVICE).count() == 0
    # when it is published
    committed(lambda: catalog_import(data=new_service_document(catalog_data, published=True)))
    # then it is pushed
    assert Push.objects.filter(trigger=Trigger.NEW_SERVICE, citizen=elder).count() == 1


def test_a_fan_out_whose_task_was_lost_is_queued_again_by_the_dispatcher(clock, catalog_data):
    # given an older person, and a new service published whose fan-out task never reached the queue
    elder = person(consents=[Purpose.NOTIFY_INBOX])
    allow(elder, Purpose.PERSONALISATION)
    aged(elder, 70)
    catalog_import(data=new_service_document(catalog_data))  # in the test's transaction: nothing runs after
    assert Push.objects.filter(trigger=Trigger.NEW_SERVICE).count() == 0
    # when the dispatcher runs five minutes later
    clock.move_to(at(23, 10, 6))
    dispatch()
    # then the service is pushed
    assert Push.objects.filter(trigger=Trigger.NEW_SERVICE, citizen=elder).count() == 1


# -- the sweep ---------------------------------------------------------------------------------------------


def test_the_sweep_pushes_each_person_their_top_eligible_recommendation_not_yet_pushed(clock, committed):
    # given a 70-year-old who allows personalisation, and someone who does not
    elder, private = person(consents=[Purpose.NOTIFY_INBOX]), person(consents=[Purpose.NOTIFY_INBOX])
    allow(elder, Purpose.PERSONALISATION)
    for citizen in (elder, private):
        aged(citizen, 70)

    # when the sweep runs
    committed(sweep)

    # then the elder is pushed one service they qualify for, from their life event; the other nothing
    [(first, _)] = pushed(elder, Trigger.SWEEP)
    assert ServiceItem.objects.get(code=first).life_events.filter(code="elderly").exists()
    assert pushed(private, Trigger.SWEEP) == []
    assert Notification.objects.filter(citizen=elder).count() == 1

    # when it runs again the same week, nothing; a week later, the next one
    committed(sweep)
    assert len(pushed(elder, Trigger.SWEEP)) == 1
    clock.move_to(at(30, 10, 1))
    committed(sweep)
    codes = [code for code, _ in pushed(elder, Trigger.SWEEP)]
    assert len(codes) == 2 and len(set(codes)) == 2
