"""Batch scoring: the serving model's ranked candidates for a chunk of people, stored for the
"for you" page. Tasks call this one chunk at a time, so one worker or many run the same code."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from profiles.models import Citizen
from recommender.explanations import Source
from recommender.features import catalog_index, of_citizens, people_load, personalised_ids
from recommender.models import SCORED_SOURCES, ModelStatus, RecommenderModel, ScoredList
from recommender.scoring import blend_parts, candidates, source_scores, top_candidates
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
    citizens = list(of_citizens(Citizen.objects.all(), citizen_ids, column="id"))
    allowed = sorted(personalised_ids(citizen_ids, citizens=citizens))
    chosen = set(allowed)
    people = people_load(
        allowed, index=index, on=on or timezone.localdate(), citizens=[c for c in citizens if c.pk in chosen]
    )
    parts = blend_parts(source_scores(artifact, people, index), people, artifact.blend)
    total = np.where(candidates(people), sum(parts.values()), -np.inf)
    positions, kept = top_candidates(total, STORED_PER_PERSON)
    # (people, k, sources): each source's share of each kept item; a source that said nothing adds 0.
    shares = np.zeros((*positions.shape, len(SCORED_SOURCES)), dtype=np.float32)
    for s, source in enumerate(SCORED_SOURCES):
        if Source(source) in parts:
            shares[:, :, s] = np.take_along_axis(np.asarray(parts[Source(source)]), positions, axis=1)
    lists = [
        (int(citizen_id), *ScoredList.encode(positions[row, kept[row]], shares[row, kept[row]]))
        for row, citizen_id in enumerate(people.ids.tolist())
    ]
    with transaction.atomic():
        ScoredList.objects.filter(citizen_id__in=sorted(set(citizen_ids) - set(allowed))).delete()
        _lists_write(lists, model_id=model.pk, scored_at=timezone.now())
    return len(lists)


def _lists_write(lists: list[tuple[int, bytes, bytes]], *, model_id: int, scored_at: datetime.datetime) -> None:
    """Store (citizen id, services, shares) rows, replacing each person's list. On PostgreSQL the rows
    are staged with COPY and merged in one statement; elsewhere (SQLite in development) bulk_create."""
    if connection.vendor != "postgresql":
        ScoredList.objects.bulk_create(
            [
                ScoredList(
                    citizen_id=citizen_id, model_id=model_id, services=services, shares=shares, scored_at=scored_at
                )
                for citizen_id, services, shares in lists
            ],
            update_conflicts=True,
            unique_fields=["citizen"],
            update_fields=["model", "services", "shares", "scored_at"],
        )
        return
    table = ScoredList._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(
            "CREATE TEMPORARY TABLE scored_list_stage (citizen_id bigint, services bytea, shares bytea) ON COMMIT DROP"
        )
        with raw.copy("COPY scored_list_stage (citizen_id, services, shares) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "bytea", "bytea"])
            for row in lists:
                copy.write_row(row)
        raw.execute(
            f"INSERT INTO {table} (citizen_id, model_id, services, shares, scored_at) "  # noqa: S608 - our own table name
            "SELECT citizen_id, %s, services, shares, %s FROM scored_list_stage "
            "ON CONFLICT (citizen_id) DO UPDATE SET model_id = EXCLUDED.model_id, services = EXCLUDED.services, "
            "shares = EXCLUDED.shares, scored_at = EXCLUDED.scored_at",
            [model_id, scored_at],
        )
        raw.execute("DROP TABLE scored_list_stage")
