"""Batch scoring: the serving model's ranked candidates for a chunk of people, stored for the
"for you" page. Tasks call this one chunk at a time, so one worker or many run the same code."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence

import numpy as np
from django.db import transaction
from django.utils import timezone

from recommender.features import catalog_index, people_load, personalised_ids
from recommender.models import ModelStatus, RecommenderModel, ScoredList
from recommender.scoring import blend_parts, candidates, source_scores
from recommender.services.training import artifact_load

logger = logging.getLogger(__name__)

# More than a page shows: dismissals and new facts between two runs still leave enough.
STORED_PER_PERSON = 30


def scores_store(*, model_id: int, citizen_ids: Sequence[int], on: datetime.date | None = None) -> int:
    """Score these people with the model and store each one's top candidates with each source's share.
    People who no longer allow personalisation lose their stored list. Returns how many were stored."""
    model = RecommenderModel.objects.get(pk=model_id)
    if model.status != ModelStatus.ACTIVE:
        logger.info("model v%s is no longer serving; chunk of %d people skipped", model.version, len(citizen_ids))
        return 0
    artifact = artifact_load(model)
    index = catalog_index()
    if artifact.item_codes != list(index.codes):
        logger.warning("the catalog changed since model v%s was trained; train a new model", model.version)
        return 0
    allowed = sorted(personalised_ids(citizen_ids))
    people = people_load(allowed, index=index, on=on or timezone.localdate())
    parts = blend_parts(source_scores(artifact, people, index), people, artifact.blend)
    total = np.where(candidates(people), sum(parts.values()), -np.inf)
    now = timezone.now()
    rows = []
    for row, citizen_id in enumerate(people.ids):
        order = [j for j in np.argsort(-total[row], kind="stable")[:STORED_PER_PERSON] if np.isfinite(total[row, j])]
        items = [
            {
                "service": index.codes[j],
                "score": round(float(total[row, j]), 6),
                "sources": {str(source): round(float(share[row, j]), 6) for source, share in parts.items()},
            }
            for j in order
        ]
        rows.append(ScoredList(citizen_id=int(citizen_id), model=model, items=items, scored_at=now))
    with transaction.atomic():
        ScoredList.objects.filter(citizen_id__in=set(citizen_ids) - set(allowed)).delete()
        ScoredList.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["citizen"], update_fields=["model", "items", "scored_at"]
        )
    return len(rows)
