"""Celery tasks of casework: thin, idempotent, ids in and out."""

from celery import shared_task

from profiles.purposes import Purpose
from profiles.selectors import citizen_ids_with_consent
from services_portal.casework.services import cases_detect

SWEEP_CHUNK = 2000


@shared_task(acks_late=True)
def detect_for_citizens(citizen_ids: list[int]) -> int:
    """Open proactive-benefit cases for these people where they now qualify. Safe to run twice."""
    return len(cases_detect(citizen_ids=citizen_ids))


@shared_task
def detect_sweep() -> int:
    """The scheduled sweep of the whole population, as chunks that any number of workers share."""
    ids = citizen_ids_with_consent(Purpose.PROACTIVE_BENEFITS)
    for start in range(0, len(ids), SWEEP_CHUNK):
        detect_for_citizens.delay(ids[start : start + SWEEP_CHUNK])
    return len(ids)
