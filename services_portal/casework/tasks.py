"""Celery tasks of casework: thin, idempotent, ids in and out."""

from celery import shared_task


@shared_task(acks_late=True)
def detect_for_citizens(citizen_ids: list[int]) -> int:
    """Open proactive-benefit cases for these people where they now qualify. Safe to run twice."""
    from services_portal.casework.services import cases_detect

    return len(cases_detect(citizen_ids=citizen_ids))
