"""Celery tasks of casework: thin, idempotent, ids in and out."""

from celery import shared_task
from django.utils import timezone

from profiles.purposes import Purpose
from profiles.selectors import citizen_regions_with_consent
from services_portal.casework.services import benefits_reassess, cases_detect
from services_portal.casework.services.reassessment import benefit_holders_by_region
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
    reassess_sweep.delay()
    return people


@shared_task(acks_late=True)
def reassess_for_citizens(citizen_ids: list[int]) -> int:
    """Re-assess these people's benefits in force (动态认定): the review cases opened. Safe to run twice."""
    return len(benefits_reassess(on=timezone.localdate(), citizen_ids=citizen_ids).opened)


@shared_task
def reassess_sweep() -> int:
    """The holders of benefits in force, as chunks by region for the workers to re-assess (run by the
    daily detection sweep). Returns how many people the chunks hold."""
    people = 0
    for chunk in chunks_by_region(benefit_holders_by_region(on=timezone.localdate()), SWEEP_CHUNK):
        reassess_for_citizens.delay(chunk)
        people += len(chunk)
    return people
