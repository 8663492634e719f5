"""Celery tasks of department feeds: thin, idempotent, ids in and out. The services queue them by name
(services_portal.core.tasks), as this module imports them."""

from celery import shared_task

from services_portal.core.tasks import enqueue
from services_portal.feeds.services import feed_batch_detect, feed_batches_undetected


@shared_task(acks_late=True)
def detect_batch(batch_pk: int) -> int:
    """Casework detection for the people this batch changed. Safe to run twice."""
    return feed_batch_detect(batch_pk=batch_pk)


@shared_task
def detect_pending() -> int:
    """Beat: queue detection again for the batches whose task was lost. Returns how many were queued."""
    pending = feed_batches_undetected()
    for batch_pk in pending:
        enqueue(detect_batch, batch_pk)
    return len(pending)
