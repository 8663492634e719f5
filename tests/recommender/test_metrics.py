"""Ranking metrics on matrices small enough to compute by hand, and on one large enough to need blocks."""

import math

import numpy as np
import pytest
import scipy.sparse

from recommender.evaluation import metrics
from recommender.evaluation.metrics import catalog_coverage, ranking_metrics, top_k

INF = np.inf


def test_a_perfect_ranking_scores_one():
    # given: the two relevant items are ranked first
    scores = np.array([[3.0, 2.0, 1.0, 0.0]])
    relevant = np.array([[True, True, False, False]])

    # when
    result = ranking_metrics(scores, relevant, k=2)

    # then
    assert result["precision"].tolist() == [1.0]
    assert result["recall"].tolist() == [1.0]
    assert result["ndcg"].tolist() == [1.0]


def test_a_hit_at_rank_two_is_discounted_by_log2_of_three():
    # given: the only relevant item is second
    scores = np.array([[3.0, 2.0, 1.0]])
    relevant = np.array([[False, True, False]])

    # when
    result = ranking_metrics(scores, relevant, k=2)

    # then
    assert result["precision"].tolist() == [0.5]
    assert result["recall"].tolist() == [1.0]
    assert result["ndcg"][0] == pytest.approx(1 / math.log2(3))


def test_recall_divides_by_every_relevant_item_and_ndcg_by_the_ideal_top_k():
    # given: three relevant items, k = 2, one hit at rank 1
    scores = np.array([[5.0, 4.0, 3.0, 2.0, 1.0]])
    relevant = np.array([[1, 0, 1, 1, 0]])

    # when
    result = ranking_metrics(scores, relevant, k=2)

    # then: recall 1/3 (not 1/2); ideal DCG counts min(k, 3) = 2 hits
    assert result["precision"].tolist() == [0.5]
    assert result["recall"][0] == pytest.approx(1 / 3)
    assert result["ndcg"][0] == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_a_filtered_item_is_never_recommended_nor_counted_as_a_hit():
    # given: item 0 is relevant but filtered out; item 3 is relevant and third
    scores = np.array([[-INF, 2.0, 1.0, 0.0]])
    relevant = np.array([[True, False, False, True]])

    # when
    result = ranking_metrics(scores, relevant, k=3)

    # then: one hit at rank 3, out of two relevant items
    assert top_k(scores, k=3).tolist() == [[1, 2, 3]]
    assert result["precision"][0] == pytest.approx(1 / 3)
    assert result["recall"][0] == pytest.approx(1 / 2)
    assert result["ndcg"][0] == pytest.approx((1 / math.log2(4)) / (1 + 1 / math.log2(3)))


def test_precision_still_divides_by_k_when_fewer_items_can_be_recommended():
    # given: only one finite score, and it is relevant
    scores = np.array([[-INF, 7.0, -INF]])
    relevant = np.array([[False, True, False]])

    # when
    result = ranking_metrics(scores, relevant, k=2)

    # then
    assert result["precision"].tolist() == [0.5]
    assert result["recall"].tolist() == [1.0]
    assert result["ndcg"].tolist() == [1.0]


def test_ties_go_to_the_lower_item_index():
    # given: every score equal; the relevant item has index 2
    scores = np.ones((1, 4))
    relevant = np.array([[False, False, True, False]])

    # when
    at_two = ranking_metrics(scores, relevant, k=2)
    at_three = ranking_metrics(scores, relevant, k=3)

    # then: items 0 and 1 take the first places, item 2 comes third
    assert top_k(scores, k=3).tolist() == [[0, 1, 2]]
    assert at_two["ndcg"].tolist() == [0.0]
    assert at_three["ndcg"][0] == pytest.approx(1 / math.log2(4))


def test_ties_at_the_cut_keep_the_lower_indices_and_order_by_score():
    # given: one clear winner, then four items tied for the remaining two places
    scores = np.array([[1.0, 1.0, 5.0, 1.0, 1.0, 0.0]])

    # when
    ranked = top_k(scores, k=3)

    # then
    assert ranked.tolist() == [[2, 0, 1]]


def test_users_without_relevant_items_get_nan_and_leave_the_others_alone():
    # given: user 0 has nothing held out, user 1 has a hit at rank 1
    scores = np.array([[1.0, 0.0], [1.0, 0.0]])
    relevant = np.array([[False, False], [True, False]])

    # when
    result = ranking_metrics(scores, relevant, k=1)

    # then
    for name in ("precision", "recall", "ndcg"):
        assert math.isnan(result[name][0])
        assert result[name][1] == 1.0


def test_sparse_and_dense_relevance_give_the_same_metrics():
    # given
    rng = np.random.default_rng(3)
    scores = rng.random((40, 12))
    relevant = rng.random((40, 12)) < 0.2

    # when
    dense = ranking_metrics(scores, relevant, k=4)
    sparse = ranking_metrics(scores, scipy.sparse.csr_array(relevant), k=4)

    # then
    for name in ("precision", "recall", "ndcg"):
        np.testing.assert_array_equal(dense[name], sparse[name])


def test_top_k_pads_with_minus_one_when_fewer_scores_are_finite():
    # given: row 0 has two finite scores (NaN and +inf count as filtered), row 1 none
    scores = np.array([[0.5, -INF, np.nan, 0.9, INF], [-INF, -INF, -INF, -INF, -INF]])

    # when
    ranked = top_k(scores, k=3)

    # then
    assert ranked.tolist() == [[3, 0, -1], [-1, -1, -1]]


def test_top_k_longer_than_the_catalog():
    # given
    scores = np.array([[0.1, 0.3]])

    # when
    ranked = top_k(scores, k=4)

    # then
    assert ranked.tolist() == [[1, 0, -1, -1]]


def test_catalog_coverage_counts_items_in_anyones_top_k():
    # given: 5 items; the top 1 of the three users are items 2, 2 and 0
    scores = np.array(
        [
            [0.1, 0.2, 0.9, 0.0, 0.0],
            [0.1, 0.2, 0.9, 0.0, 0.0],
            [0.9, -INF, 0.1, 0.0, 0.0],
        ]
    )

    # when
    coverage_top_one = catalog_coverage(scores, k=1)
    coverage_top_two = catalog_coverage(scores, k=2)

    # then: with k = 2 item 1 (users 0 and 1) and item 2 (user 2) join
    assert coverage_top_one == pytest.approx(2 / 5)
    assert coverage_top_two == pytest.approx(3 / 5)


def test_a_k_below_one_or_mismatched_shapes_are_refused():
    # given
    scores = np.zeros((2, 3))

    # when / then
    with pytest.raises(ValueError, match="k must be at least 1"):
        ranking_metrics(scores, np.zeros((2, 3)), k=0)
    with pytest.raises(ValueError, match="must match"):
        ranking_metrics(scores, np.zeros((2, 4)), k=1)


def _reference(scores_row: np.ndarray, relevant_row: np.ndarray, k: int) -> tuple[float, float, float]:
    """One user, the slow and obvious way."""
    ranked = sorted((i for i in range(len(scores_row)) if np.isfinite(scores_row[i])), key=lambda i: -scores_row[i])
    hits = [bool(relevant_row[i]) for i in ranked[:k]]
    relevant_count = int(relevant_row.sum())
    dcg = sum(hit / math.log2(rank + 2) for rank, hit in enumerate(hits))
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(k, relevant_count)))
    return sum(hits) / k, sum(hits) / relevant_count, dcg / ideal


def test_many_users_are_scored_in_blocks_with_the_same_results():
    # given: more users than one block holds, a fifth of the scores filtered
    rng = np.random.default_rng(6)
    n_users, n_items, k = 20_000, 76, 10
    scores = rng.random((n_users, n_items))
    scores[rng.random((n_users, n_items)) < 0.2] = -INF
    held_out = rng.random((n_users, n_items)) < 0.05
    held_out[0, 0] = True  # the first user has at least one held-out item
    relevant = scipy.sparse.csr_array(held_out)

    # when
    result = ranking_metrics(scores, relevant, k=k)

    # then: users at the start and on both sides of a block boundary agree with the slow reference
    assert result["ndcg"].shape == (n_users,)
    boundary = metrics.USERS_PER_BLOCK
    dense = held_out
    for user in [0, 1, 2, boundary - 1, boundary, boundary + 1, n_users - 1]:
        if not dense[user].any():
            assert math.isnan(result["ndcg"][user])
            continue
        precision, recall, ndcg = _reference(scores[user], dense[user], k)
        assert result["precision"][user] == pytest.approx(precision)
        assert result["recall"][user] == pytest.approx(recall)
        assert result["ndcg"][user] == pytest.approx(ndcg)
    judged = ~np.isnan(result["ndcg"])
    assert judged.sum() == (dense.sum(axis=1) > 0).sum()
    assert np.all((result["ndcg"][judged] >= 0) & (result["ndcg"][judged] <= 1))
