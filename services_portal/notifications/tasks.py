"""Celery tasks of the push outbox: thin, idempotent, ids in and out.

Beat runs `dispatch` every minute (deferred, lost, stalled and unread pushes). The services queue these
tasks by name (services_portal.core.tasks), as this module imports them.
"""

from celery import shared_task

from profiles.models import Citizen
from services_portal.notifications.services.delivery import pushes_deliver
from services_portal.notifications.services.dispatch import pushes_due, unread_escalate
from services_portal.notifications.services.identity import identity_notice_send
from services_portal.notifications.services.push import DELIVERY_CHUNK
from services_portal.notifications.services.triggers import fanout_dispatch, fanouts_lost, new_service_pushes_create


@shared_task(acks_late=True)
def deliver_pushes(push_ids: list[int]) -> dict:
    """Deliver these pushes as far as they may go now. Safe to run twice, or in two workers at once."""
    report = pushes_deliver(push_ids=push_ids)
    if report.retry_in is not None:
        # temporary failures: try those pushes again after the backoff (the dispatcher would, too)
        deliver_pushes.apply_async((sorted(report.retry_push_ids),), countdown=report.retry_in)
    return report.as_dict()


@shared_task
def dispatch() -> int:
    """What in the outbox needs a run now: queue it in chunks, essential first. Returns the pushes queued."""
    for fanout_id in fanouts_lost():
        fan_out.delay(fanout_id)
    push_ids = list(dict.fromkeys([*unread_escalate(), *pushes_due()]))
    for start in range(0, len(push_ids), DELIVERY_CHUNK):
        deliver_pushes.delay(push_ids[start : start + DELIVERY_CHUNK])
    return len(push_ids)


@shared_task(acks_late=True)
def fan_out(fanout_id: int) -> int:
    """A new service for life-event groups: queue its chunks of people."""
    return fanout_dispatch(fanout_id=fanout_id)


@shared_task(acks_late=True)
def fan_out_chunk(fanout_id: int, citizen_ids: list[int]) -> int:
    """Push the new service to the group members among these people."""
    return new_service_pushes_create(fanout_id=fanout_id, citizen_ids=citizen_ids)


@shared_task
def identity_notice_deliver(citizen_id: int, kind: str) -> int | None:
    """Tell a person someone tried to use their identity (services/identity.py)."""
    citizen = Citizen.objects.filter(pk=citizen_id).first()
    notification = identity_notice_send(citizen=citizen, kind=kind) if citizen is not None else None
    return notification.pk if notification is not None else None
