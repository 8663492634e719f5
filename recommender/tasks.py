"""Celery tasks of the recommender: thin, idempotent, ids in and out."""

import logging

from celery import shared_task
from django.conf import settings

from profiles.purposes import Purpose
from profiles.selectors import citizen_regions_with_consent
from recommender.features import personalised_ids
from recommender.models import ModelStatus, RecommenderModel
from recommender.services.scoring import scores_store
from recommender.services.sweep import SWEEP_CHUNK, sweep_people, sweep_pushes_create
from recommender.services.training import NotEnoughData, model_train
from services_portal.core.tasks import chunks_by_region

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def train(activate: bool = True) -> int:
    """Train, evaluate and (when no worse) serve a new model; scheduled on beat and run on demand."""
    try:
        outcome = model_train(activate=activate)
    except NotEnoughData as error:
        logger.warning("no model trained: %s", error.message)
        return 0
    if outcome.served:
        score_population.delay()
    return outcome.model.version


@shared_task(acks_late=True)
def score_chunk(model_id: int, citizen_ids: list[int]) -> int:
    return scores_store(model_id=model_id, citizen_ids=citizen_ids)


@shared_task
def sweep() -> int:
    """Beat: push each person their top recommendation, as chunks that any number of workers share.
    Returns how many people the chunks hold."""
    people = 0
    for chunk in chunks_by_region(sweep_people(), SWEEP_CHUNK):
        sweep_chunk.delay(chunk)
        people += len(chunk)
    return people


@shared_task(acks_late=True)
def sweep_chunk(citizen_ids: list[int]) -> int:
    """Push each of these people their top recommendation not pushed yet."""
    return sweep_pushes_create(citizen_ids=citizen_ids)


@shared_task
def score_population() -> int:
    """Score everyone who allows personalisation with the serving model, as chunks any number of
    workers share. Scoring a chunk twice stores the same list twice: no harm."""
    model = RecommenderModel.objects.filter(status=ModelStatus.ACTIVE).first()
    if model is None:
        return 0
    people = 0
    for chunk in chunks_by_region(
        citizen_regions_with_consent(Purpose.PERSONALISATION), settings.RECOMMENDER_SCORE_CHUNK
    ):
        # those who switched personalisation off are left out chunk by chunk
        allowed = sorted(personalised_ids(chunk))
        if allowed:
            score_chunk.delay(model.pk, allowed)
            people += len(allowed)
    return people
