"""Running an evaluation: a time-based hold-out, every method scored on it, and the groups to compare.

Trained on what people did before the cut, each method is judged on what they saved, applied for or
completed after it. All methods see the same people, the same facts and the same filters.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from scipy import sparse

from recommender.artifact import Artifact
from recommender.evaluation.metrics import catalog_shown, ranking_metrics
from recommender.evaluation.report import Evaluation, MethodResult
from recommender.features import (
    AGE_BANDS,
    OFFLINE,
    ONLINE,
    UNKNOWN,
    CatalogIndex,
    People,
    interaction_matrices,
    people_load,
    personalised_ids,
)
from recommender.models import Interaction, InteractionKind
from recommender.scoring import (
    blend,
    candidates,
    non_personalised,
    rank,
    ranked_scores,
    source_scores,
)
from recommender.training import Learners, TrainingParameters
from services_portal.reference import regions

HOLDOUT_KINDS = (InteractionKind.SAVE, InteractionKind.APPLY, InteractionKind.COMPLETE)
COLD_START_BELOW = 3
HYBRID = "hybrid"


@dataclass
class HoldOut:
    """Who is in the window, what fitting needs of them, and what they did after the cut. People are
    described again chunk by chunk when they are evaluated, so memory follows the chunk, not everyone."""

    ids: np.ndarray  # (people,) citizen ids, in order
    learners: Learners  # described with their interactions before the cut
    relevant: sparse.csr_array  # (people, items) bool: saved, applied or completed after the cut
    window_start: datetime.datetime
    cut: datetime.datetime
    now: datetime.datetime
    chunk: int

    @property
    def interaction_count(self) -> int:
        return int(self.learners.positive_count.sum())

    def people_chunks(self, rows: np.ndarray, index: CatalogIndex) -> Iterator[tuple[np.ndarray, People]]:
        """These rows' people, described as before the cut, a chunk at a time."""
        # At least one chunk, perhaps empty: with nobody to evaluate the methods still report, empty.
        for start in range(0, max(len(rows), 1), self.chunk):
            part = rows[start : start + self.chunk]
            people = people_load(
                self.ids[part].tolist(), index=index, on=self.now.date(), since=self.window_start, until=self.cut
            )
            # Someone erased since the hold-out was read is left out, rows still matching people.
            yield part[np.isin(self.ids[part], people.ids)], people


def holdout_build(
    *, now: datetime.datetime, parameters: TrainingParameters, index: CatalogIndex, chunk: int | None = None
) -> HoldOut:
    """Everyone who allows personalisation and did something in the window, split in time at the cut,
    read a chunk of people at a time."""
    chunk = chunk or settings.RECOMMENDER_SCORE_CHUNK
    window_start = now - datetime.timedelta(days=parameters.window_days)
    cut = now - datetime.timedelta(days=parameters.holdout_days)
    active = Interaction.objects.filter(occurred_at__gte=window_start, occurred_at__lt=now)
    ids = sorted(personalised_ids(active.values_list("citizen_id", flat=True).distinct()))
    learners, relevant, kept = [], [], []
    for start in range(0, len(ids), chunk):
        people = people_load(ids[start : start + chunk], index=index, on=now.date(), since=window_start, until=cut)
        later, *_rest = interaction_matrices(people.ids, index, since=cut, until=now, kinds=HOLDOUT_KINDS)
        learners.append(Learners.of(people, index))
        relevant.append(sparse.csr_array((later > 0).astype(bool).multiply(~people.done.toarray())))
        kept.append(people.ids)
    return HoldOut(
        ids=np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64),
        learners=Learners.concatenate(learners, index),
        relevant=sparse.csr_array(sparse.vstack(relevant, format="csr"))
        if relevant
        else sparse.csr_array((0, len(index)), dtype=bool),
        window_start=window_start,
        cut=cut,
        now=now,
        chunk=chunk,
    )


def _masked(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    return np.where(allowed & ~np.isnan(scores), scores, -np.inf)


def methods_score(artifact: Artifact, people: People, index: CatalogIndex, *, k: int) -> dict[str, np.ndarray]:
    """Each method's scores over (people, items); -inf where it would not recommend."""
    sources = source_scores(artifact, people, index)
    allowed = candidates(people)
    not_done = ~people.done.toarray() & ~people.negative.toarray()
    hybrid = rank(blend(sources, people, artifact.blend), people, index, k=k)
    return {
        HYBRID: ranked_scores(hybrid, len(index)),
        "ALS only": _masked(sources.als, allowed),
        "LightFM only": _masked(sources.lightfm, allowed),
        "rules only": _masked(sources.rules, allowed),
        "popularity": _masked(np.broadcast_to(artifact.popularity[-1], sources.rules.shape), not_done),
        "eligible + popular in region": non_personalised(sources, people),
    }


def _traits(people: People) -> dict[str, np.ndarray]:
    """What the groups and the cold-start mark are made of, one short value a person."""
    return {
        "bands": np.array(people.age_band, dtype="U8"),
        "prefectures": np.array(people.prefecture, dtype="U8"),
        "habits": np.array(people.channel_habit, dtype="U8"),
        "disabled": np.array(people.disabled, dtype="U8"),
        "positive_count": np.asarray(people.positive_count),
    }


def _groups(
    *, bands: np.ndarray, prefectures: np.ndarray, habits: np.ndarray, disabled: np.ndarray, **_other: np.ndarray
) -> dict[str, dict[str, np.ndarray]]:
    city_names = {}
    for code in sorted(set(prefectures.tolist()) - {UNKNOWN}):
        region = regions.get(code + "00")
        city_names[code] = region.name_en if region else code
    return {
        "age band": {label: bands == label for label, _low, _high in AGE_BANDS} | {UNKNOWN: bands == UNKNOWN},
        "region": {city_names[code]: prefectures == code for code in city_names} | {UNKNOWN: prefectures == UNKNOWN},
        "online/offline": {"online": habits == ONLINE, "offline (counter only)": habits == OFFLINE},
        "disability": {"disabled": disabled == "yes", "not disabled": disabled == "no", UNKNOWN: disabled == UNKNOWN},
    }


def evaluation_build(
    holdout: HoldOut, artifact: Artifact, index: CatalogIndex, *, k: int, description: dict
) -> Evaluation:
    """Score every method on the hold-out's people who did something after the cut, a chunk of people
    at a time: of each chunk only the per-person metrics and what groups people are in are kept."""
    evaluated = np.flatnonzero(np.asarray(holdout.relevant.sum(axis=1)).ravel() > 0)
    per_user: dict[str, dict[str, list[np.ndarray]]] = {}
    shown: dict[str, np.ndarray] = {}
    traits: dict[str, list[np.ndarray]] = {}
    for rows, people in holdout.people_chunks(evaluated, index):
        relevant = holdout.relevant[rows]
        for name, scores in methods_score(artifact, people, index, k=k).items():
            for metric, values in ranking_metrics(scores, relevant, k=k).items():
                per_user.setdefault(name, {}).setdefault(metric, []).append(values)
            shown[name] = shown.get(name, np.zeros(len(index), dtype=bool)) | catalog_shown(scores, k=k)
        for trait, values in _traits(people).items():
            traits.setdefault(trait, []).append(values)
    methods = [
        MethodResult(
            name=name,
            per_user={metric: np.concatenate(parts) for metric, parts in metrics.items()},
            coverage=float(shown[name].sum() / len(index)) if len(index) else 0.0,
        )
        for name, metrics in per_user.items()
    ]
    everyone = {trait: np.concatenate(parts) for trait, parts in traits.items()}
    groups = {
        dimension: {label: mask for label, mask in values.items() if mask.any()}
        for dimension, values in _groups(**everyone).items()
    }
    return Evaluation(
        k=k,
        methods=methods,
        groups=groups,
        cold_start=everyone["positive_count"] < COLD_START_BELOW,
        cold_start_interactions=COLD_START_BELOW,
        description=description,
    )


def hybrid_ndcg_per_person(evaluation: Evaluation) -> np.ndarray:
    return next(method.per_user["ndcg"] for method in evaluation.methods if method.name == HYBRID)


def hybrid_ndcg(evaluation: Evaluation) -> float:
    """The hybrid's mean NDCG@k; 0 when nobody did anything after the cut."""
    ndcg = hybrid_ndcg_per_person(evaluation)
    judged = ndcg[~np.isnan(ndcg)]
    return float(judged.mean()) if len(judged) else 0.0


def clearly_worse(new: np.ndarray, serving: np.ndarray) -> tuple[bool, float, float]:
    """Whether the new model is worse than the serving one beyond chance, on the same people: the mean
    of the paired differences is more than two standard errors below zero. Returns it with the mean
    difference and its standard error. Two fits on the same data differ a little by chance alone."""
    judged = ~np.isnan(new) & ~np.isnan(serving)
    differences = new[judged] - serving[judged]
    if len(differences) < 2:
        return False, 0.0, 0.0
    mean = float(differences.mean())
    standard_error = float(differences.std(ddof=1) / np.sqrt(len(differences)))
    return mean < -2 * standard_error, mean, standard_error
