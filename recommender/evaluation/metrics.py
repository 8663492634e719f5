"""Ranking quality of a score matrix against what people did in the hold-out window.

Pure numpy: the caller builds the score matrix (one row per person, one column per service) and the matrix
of held-out interactions; nothing here touches the database. Work is done on blocks of users so that
100,000 people × 76 services stays within a few tens of megabytes.

Conventions, the same for every method so that they can be compared:
- An item whose score is not finite (-inf for a filtered item; NaN and +inf are treated the same way) is never
  recommended, so it can never be a hit.
- Items with equal scores are ranked by item index, lowest first: the ranking is deterministic.
- A user with no held-out item cannot be judged: their precision, recall and NDCG are NaN.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse

# Rows processed at a time: a block of 8,192 users × 76 items needs about 5 MB per float64 matrix.
USERS_PER_BLOCK = 8192


def top_k(scores: np.ndarray, *, k: int) -> np.ndarray:
    """The k best items for each user, best first: an (n_users, k) integer array of item indices.

    Only finite scores are ranked; ties go to the lower item index. Where a user has fewer than k finite
    scores the row is padded with -1.
    """
    scores = _scores_checked(scores, k=k)
    ranked = np.full((scores.shape[0], k), -1, dtype=np.intp)
    for start, stop in _blocks(scores.shape[0]):
        ranked[start:stop] = _top_k_block(scores[start:stop], k=k)
    return ranked


def ranking_metrics(
    scores: np.ndarray, relevant: scipy.sparse.sparray | scipy.sparse.spmatrix | np.ndarray, *, k: int
) -> dict[str, np.ndarray]:
    """Per-user precision@k, recall@k and NDCG@k with binary relevance.

    scores: (n_users, n_items) floats; a non-finite score (-inf) marks an item that must not be recommended.
    relevant: (n_users, n_items) boolean or 0/1, dense or sparse: the items each user took in the hold-out.

    - precision@k: hits in the top k divided by k, even when fewer than k items could be recommended.
    - recall@k: hits in the top k divided by the number of relevant items (not by min(k, relevant)), so a
      user with more than k relevant items cannot reach 1. A relevant item the method filtered out counts
      as a miss.
    - NDCG@k: DCG = sum over the top k of hit / log2(rank + 1), rank counted from 1, divided by the DCG of
      an ideal list that puts min(k, relevant) hits first.

    Returns {"precision", "recall", "ndcg"}, each a float64 array of shape (n_users,); NaN for users with
    no relevant item.
    """
    scores = _scores_checked(scores, k=k)
    if relevant.shape != scores.shape:
        raise ValueError(f"relevant has shape {relevant.shape}, scores {scores.shape}: they must match")
    if scipy.sparse.issparse(relevant):
        relevant = scipy.sparse.csr_array(relevant)
    n_users = scores.shape[0]
    # discount[r] is 1 / log2(r + 2) for the item at 0-based rank r; ideal[n] is the DCG of n hits in a row.
    discount = 1.0 / np.log2(np.arange(k) + 2.0)
    ideal = np.concatenate(([0.0], np.cumsum(discount)))
    metrics = {name: np.empty(n_users, dtype=np.float64) for name in ("precision", "recall", "ndcg")}
    for start, stop in _blocks(n_users):
        block = relevant[start:stop]
        relevant_block = np.asarray(block) != 0 if isinstance(block, np.ndarray) else block.toarray() != 0
        ranked = _top_k_block(scores[start:stop], k=k)
        recommended = ranked >= 0
        rows = np.arange(stop - start)[:, np.newaxis]
        hits = relevant_block[rows, np.where(recommended, ranked, 0)] & recommended
        hit_count = hits.sum(axis=1)
        relevant_count = relevant_block.sum(axis=1)
        judged = relevant_count > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            metrics["precision"][start:stop] = np.where(judged, hit_count / k, np.nan)
            metrics["recall"][start:stop] = np.where(judged, hit_count / relevant_count, np.nan)
            dcg = hits @ discount
            metrics["ndcg"][start:stop] = np.where(judged, dcg / ideal[np.minimum(relevant_count, k)], np.nan)
    return metrics


def catalog_coverage(scores: np.ndarray, *, k: int) -> float:
    """The share of the catalog's items that appear in at least one user's top k (0.0 for an empty catalog)."""
    shown = catalog_shown(scores, k=k)
    return float(shown.sum() / len(shown)) if len(shown) else 0.0


def catalog_shown(scores: np.ndarray, *, k: int) -> np.ndarray:
    """(items,) bool: the items in at least one user's top k; chunks of users combine with `|`."""
    scores = _scores_checked(scores, k=k)
    shown = np.zeros(scores.shape[1], dtype=bool)
    for start, stop in _blocks(scores.shape[0]):
        ranked = _top_k_block(scores[start:stop], k=k)
        shown[ranked[ranked >= 0]] = True
    return shown


def _scores_checked(scores: np.ndarray, *, k: int) -> np.ndarray:
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(f"scores must be a (users, items) matrix, not of shape {scores.shape}")
    return scores


def _blocks(n_users: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n_users, USERS_PER_BLOCK):
        yield start, min(start + USERS_PER_BLOCK, n_users)


def _top_k_block(scores: np.ndarray, *, k: int) -> np.ndarray:
    """top_k for one block of users (see top_k)."""
    n_users, n_items = scores.shape
    ranked = np.full((n_users, k), -1, dtype=np.intp)
    if n_users == 0 or n_items == 0:
        return ranked
    finite = np.isfinite(scores)
    candidate = np.where(finite, scores, -np.inf).astype(np.float64, copy=False)
    # The k-th best score of each row (np.partition, linear time). Every item above it is in the top k; the
    # items equal to it fill the remaining places lowest index first, which argpartition alone would not
    # guarantee.
    kth = min(k, n_items)
    threshold = -np.partition(-candidate, kth - 1, axis=1)[:, kth - 1 : kth]
    above = candidate > threshold
    at_threshold = (candidate == threshold) & finite
    places_left = kth - above.sum(axis=1, keepdims=True)
    chosen = above | (at_threshold & (np.cumsum(at_threshold, axis=1) <= places_left))
    # Rows with fewer than k finite scores have -inf as threshold: all their finite items are chosen.
    chosen &= finite
    # Lay the chosen items out in index order, then sort those k by score; a stable sort keeps ties by index.
    rows, items = np.nonzero(chosen)
    places = np.cumsum(chosen, axis=1)[rows, items] - 1
    ranked[rows, places] = items
    ranked_scores = np.where(ranked >= 0, candidate[np.arange(n_users)[:, np.newaxis], np.maximum(ranked, 0)], -np.inf)
    order = np.argsort(-ranked_scores, axis=1, kind="stable")
    return np.take_along_axis(ranked, order, axis=1)
