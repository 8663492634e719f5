"""Running an evaluation: a time-based hold-out, every method scored on it, and the groups to compare.

Trained on what people did before the cut, each method is judged on what they saved, applied for or
completed after it. All methods see the same people, the same facts and the same filters.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from recommender.artifact import Artifact
from recommender.evaluation.metrics import catalog_coverage, ranking_metrics
from recommender.evaluation.report import Evaluation, MethodResult
from recommender.features import (
    AGE_BANDS,
    OFFLINE,
    ONLINE,
    UNKNOWN,
    CatalogIndex,
    People,
    interaction_matrices,
    people_load_chunked,
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
from recommender.training import TrainingParameters
from services_portal.reference import regions

HOLDOUT_KINDS = (InteractionKind.SAVE, InteractionKind.APPLY, InteractionKind.COMPLETE)
COLD_START_BELOW = 3
HYBRID = "hybrid"


@dataclass
class HoldOut:
    people: People  # described with their interactions before the cut
    relevant: sparse.csr_array  # (people, items) bool: saved, applied or completed after the cut
    window_start: datetime.datetime
    cut: datetime.datetime
    now: datetime.datetime

    @property
    def interaction_count(self) -> int:
        return int(self.people.positive_count.sum())


def holdout_build(*, now: datetime.datetime, parameters: TrainingParameters, index: CatalogIndex) -> HoldOut:
    """Everyone who allows personalisation and did something in the window, split in time at the cut."""
    window_start = now - datetime.timedelta(days=parameters.window_days)
    cut = now - datetime.timedelta(days=parameters.holdout_days)
    active = Interaction.objects.filter(occurred_at__gte=window_start, occurred_at__lt=now)
    ids = sorted(personalised_ids(active.values_list("citizen_id", flat=True).distinct()))
    people = people_load_chunked(ids, index=index, on=now.date(), since=window_start, until=cut)
    later, *_rest = interaction_matrices(people.ids, index, since=cut, until=now, kinds=HOLDOUT_KINDS)
    relevant = (later > 0).astype(bool).multiply(~people.done.toarray()).tocsr()
    return HoldOut(people=people, relevant=sparse.csr_array(relevant), window_start=window_start, cut=cut, now=now)


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


def groups_of(people: People) -> dict[str, dict[str, np.ndarray]]:
    bands = np.array(people.age_band)
    prefectures = np.array(people.prefecture)
    habits = np.array(people.channel_habit)
    disabled = np.array(people.disabled)
    city_names = {}
    for code in sorted(set(people.prefecture) - {UNKNOWN}):
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
    """Score every method on the hold-out's people who did something after the cut."""
    evaluated = np.flatnonzero(np.asarray(holdout.relevant.sum(axis=1)).ravel() > 0)
    people = holdout.people.subset(evaluated)
    relevant = holdout.relevant[evaluated]
    methods = []
    for name, scores in methods_score(artifact, people, index, k=k).items():
        methods.append(
            MethodResult(
                name=name,
                per_user=ranking_metrics(scores, relevant, k=k),
                coverage=catalog_coverage(scores, k=k),
            )
        )
    groups = {
        dimension: {label: mask for label, mask in values.items() if mask.any()}
        for dimension, values in groups_of(people).items()
    }
    return Evaluation(
        k=k,
        methods=methods,
        groups=groups,
        cold_start=people.positive_count < COLD_START_BELOW,
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
