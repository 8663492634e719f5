"""Scoring: each candidate source gives every person a score per service; the blend mixes them; the
ranking filters, keeps departments diverse and never lets popular items push out essential assistance.

All of it works on arrays for a batch of people, so one person on the "for you" page, a chunk of a
batch-scoring task and a whole evaluation run the same code.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from implicit.cpu.als import AlternatingLeastSquares
from scipy import sparse

from recommender.artifact import Artifact
from recommender.explanations import Source
from recommender.features import ELIGIBLE, MAYBE, NOT_ELIGIBLE, CatalogIndex, People, user_feature_matrix

# Rules: a service of one of the person's life events comes first, then those they fully qualify for.
LIFE_EVENT_SCORE, ELIGIBLE_SCORE, MAYBE_SCORE = 1.0, 0.5, 0.2
DEFAULT_BLEND = {Source.RULES: 0.6, Source.ALS: 1.0, Source.LIGHTFM: 1.0, Source.POPULARITY: 0.1}
# ALS learns a person from their own interactions; with one or two it knows little.
ALS_FULL_TRUST_AT = 5
MAX_PER_DEPARTMENT = 3


@dataclass
class SourceScores:
    """(people, items) scores per source; NaN where a source has nothing to say about a person."""

    rules: np.ndarray
    als: np.ndarray
    lightfm: np.ndarray
    popularity: np.ndarray

    def of(self, source: Source) -> np.ndarray:
        return getattr(self, source.value)


def life_event_matches(people: People, index: CatalogIndex) -> np.ndarray:
    """(people, items) bool: the service serves one of the person's life events."""
    events = sorted(set().union(*index.life_events)) if len(index) else []
    if not events:
        return np.zeros((len(people), len(index)), dtype=bool)
    column = {code: e for e, code in enumerate(events)}
    # Both sides as 0/1 matrices over the life events: a product says whether they share one.
    person_rows = [(i, column[tag]) for i, tags in enumerate(people.tags) for tag in tags if tag in column]
    item_rows = [(column[event], j) for j, served in enumerate(index.life_events) for event in served]
    in_event = np.zeros((len(people), len(events)), dtype=np.float32)
    if person_rows:
        in_event[tuple(np.array(person_rows).T)] = 1.0
    serves = np.zeros((len(events), len(index)), dtype=np.float32)
    serves[tuple(np.array(item_rows).T)] = 1.0
    return (in_event @ serves) > 0


def rules_scores(people: People, index: CatalogIndex) -> np.ndarray:
    scores = np.where(people.eligibility == ELIGIBLE, ELIGIBLE_SCORE, 0.0)
    scores = np.where(people.eligibility == MAYBE, MAYBE_SCORE, scores)
    return scores + np.where(
        life_event_matches(people, index) & (people.eligibility != NOT_ELIGIBLE), LIFE_EVENT_SCORE, 0
    )


def als_model(artifact: Artifact) -> AlternatingLeastSquares:
    """An ALS model holding the artifact's item factors: enough to score and explain any person."""
    factors = artifact.als_item_factors
    model = AlternatingLeastSquares(
        factors=factors.shape[1], regularization=artifact.als_regularization, alpha=artifact.als_alpha
    )
    model.item_factors = factors
    return model


def als_scores(artifact: Artifact, people: People, model: AlternatingLeastSquares | None = None) -> np.ndarray:
    """Each person's factors worked out afresh from their own interactions, times the item factors."""
    model = model or als_model(artifact)
    scores = np.full((len(people), len(artifact.item_codes)), np.nan, dtype=np.float32)
    active = np.flatnonzero(people.positive_count > 0)
    if len(active):
        user_factors = model.recalculate_user(active, sparse.csr_matrix(people.positives[active]))
        scores[active] = np.atleast_2d(user_factors) @ artifact.als_item_factors.T
    return scores


def lightfm_scores(artifact: Artifact, people: People) -> np.ndarray:
    """LightFM's score from the person's features alone: it needs no interaction to say something."""
    features = user_feature_matrix(people, artifact.lightfm_user_features)
    user_embeddings = features @ artifact.lightfm_user_embeddings
    return (user_embeddings @ artifact.lightfm_item_embeddings.T + artifact.lightfm_item_biases).astype(np.float32)


def popularity_scores(artifact: Artifact, people: People) -> np.ndarray:
    row = {code: i for i, code in enumerate(artifact.popularity_prefectures)}
    province = len(artifact.popularity_prefectures)
    rows = [row.get(prefecture, province) for prefecture in people.prefecture]
    return artifact.popularity[rows].astype(np.float32)


def source_scores(
    artifact: Artifact | None, people: People, index: CatalogIndex, *, als: AlternatingLeastSquares | None = None
) -> SourceScores:
    """Every source's scores; without a model only the rules speak. `als`: the artifact's ALS model already
    loaded (the served one, which solves on one thread)."""
    nothing = np.full((len(people), len(index)), np.nan, dtype=np.float32)
    rules = rules_scores(people, index)
    if artifact is None:
        return SourceScores(rules=rules, als=nothing, lightfm=nothing, popularity=nothing)
    return SourceScores(
        rules=rules,
        als=als_scores(artifact, people, als),
        lightfm=lightfm_scores(artifact, people),
        popularity=popularity_scores(artifact, people),
    )


def candidates(people: People) -> np.ndarray:
    """(people, items) bool: what may be recommended: not ineligible, not done, not dismissed, and no
    case for it under way or granted for this period."""
    allowed = (people.eligibility != NOT_ELIGIBLE) & ~people.done.toarray() & ~people.negative.toarray()
    if people.under_way is not None:
        allowed &= ~people.under_way.toarray()
    return allowed


def _rescaled(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Scores squeezed into 0..1 per person over the allowed items, so sources on other scales can mix."""
    masked = np.where(allowed, scores, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a person with no allowed item: all-NaN row
        low = np.nanmin(masked, axis=1, keepdims=True)
        high = np.nanmax(masked, axis=1, keepdims=True)
    spread = np.where(high - low > 0, high - low, 1.0)
    return np.nan_to_num((masked - low) / spread, nan=0.0)


def blend_parts(scores: SourceScores, people: People, weights: dict[str, float]) -> dict[Source, np.ndarray]:
    """Each source's share of the personalised score: its weight times its rescaled score; ALS counts
    for less for people with few interactions. Zero where a source has nothing to say."""
    allowed = candidates(people)
    trust = np.minimum(people.positive_count, ALS_FULL_TRUST_AT) / ALS_FULL_TRUST_AT
    parts = {Source.RULES: weights.get(Source.RULES, 0.0) * scores.rules}
    for source, per_person in ((Source.ALS, trust[:, None]), (Source.LIGHTFM, 1.0), (Source.POPULARITY, 1.0)):
        values = scores.of(source)
        if weights.get(source) and not np.isnan(values).all():
            parts[source] = weights[source] * per_person * _rescaled(values, allowed & ~np.isnan(values))
    return parts


def blend(scores: SourceScores, people: People, weights: dict[str, float]) -> np.ndarray:
    """The personalised score: the sum of the sources' shares; -inf for what is filtered out."""
    total = sum(blend_parts(scores, people, weights).values())
    return np.where(candidates(people), total, -np.inf)


def non_personalised(scores: SourceScores, people: People) -> np.ndarray:
    """Eligibility and popularity in the person's region; nothing learnt from the person is used."""
    allowed = candidates(people)
    eligible_first = np.where(people.eligibility == ELIGIBLE, 1.0, 0.0)
    popularity = np.nan_to_num(scores.popularity, nan=0.0)
    return np.where(allowed, eligible_first + popularity, -np.inf)


def rank(
    scores: np.ndarray, people: People, index: CatalogIndex, *, k: int, max_per_department: int = MAX_PER_DEPARTMENT
) -> np.ndarray:
    """(people, k) item positions, -1 where fewer remain: best first, at most `max_per_department` of one
    department while others are left, and every essential service the person fully qualifies for kept."""
    order = np.argsort(-scores, axis=1, kind="stable")
    finite = np.isfinite(scores)
    # Open to everyone is not qualifying: the guard keeps what the person's situation earns them.
    essential = index.essential[None, :] & ~index.open_to_everyone[None, :] & (people.eligibility == ELIGIBLE) & finite
    result = np.full((len(people), k), -1, dtype=np.int64)
    departments = index.departments
    for row in range(len(people)):
        ranked = [j for j in order[row] if finite[row, j]]
        chosen: list[int] = []
        held_back: list[int] = []
        per_department: dict[str, int] = {}
        for j in ranked:
            if len(chosen) == k:
                break
            if per_department.get(departments[j], 0) >= max_per_department:
                held_back.append(j)
                continue
            chosen.append(j)
            per_department[departments[j]] = per_department.get(departments[j], 0) + 1
        chosen += held_back[: k - len(chosen)]
        missing = [int(j) for j in np.flatnonzero(essential[row]) if j not in chosen]
        for j in missing[:k]:
            # The guard takes the place of the lowest-ranked item that is not itself essential.
            replaceable = [p for p in range(len(chosen) - 1, -1, -1) if not essential[row, chosen[p]]]
            if len(chosen) < k:
                chosen.append(j)
            elif replaceable:
                chosen[replaceable[0]] = j
        chosen.sort(key=lambda j: -scores[row, j])
        result[row, : len(chosen)] = chosen
    return result


def top_candidates(total: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each person's best `k` items by score, best first, ties in item order, as (people, k) positions
    and a (people, k) mask of those that are candidates at all (a finite score)."""
    order = np.argsort(-total, axis=1, kind="stable")[:, :k]
    return order, np.isfinite(np.take_along_axis(total, order, axis=1))


def ranked_scores(positions: np.ndarray, n_items: int) -> np.ndarray:
    """Turn ranked positions back into a score matrix (first = highest) for the metrics; -inf elsewhere."""
    scores = np.full((positions.shape[0], n_items), -np.inf)
    k = positions.shape[1]
    rows, columns = np.nonzero(positions >= 0)
    scores[rows, positions[rows, columns]] = k - columns
    return scores
