"""Celery tasks of casework: thin, idempotent, ids in and out."""

from celery import shared_task

from profiles.purposes import Purpose
from profiles.selectors import citizen_regions_with_consent
from services_portal.casework.services import cases_detect
from services_portal.core.tasks import chunks_by_region

SWEEP_CHUNK = 2000


@shared_task(acks_late=True)
def detect_for_citizens(citizen_ids: list[int]) -> int:
    """Open proactive-benefit cases for these people where they now qualify. Safe to run twice."""
    return len(cases_detect(citizen_ids=citizen_ids))


@shared_task
def detect_sweep() -> int:
    """The scheduled sweep of the whole population, as chunks by region that any number of workers
    share. Returns how many people the chunks hold."""
    people = 0
    for chunk in chunks_by_region(citizen_regions_with_consent(Purpose.PROACTIVE_BENEFITS), SWEEP_CHUNK):
        detect_for_citizens.delay(chunk)
        people += len(chunk)
    return people
