"""The evaluation's summary and the report a person reads: numbers worked out by hand on seven people."""

import json
import math
import re

import numpy as np
import pytest

from recommender.evaluation.report import Evaluation, MethodResult, evaluation_summary, report_write

NAN = math.nan
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _mask(*users: int, size: int = 7) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[list(users)] = True
    return mask


def _per_user(values: list[float]) -> dict[str, np.ndarray]:
    precision = np.array(values)
    return {"precision": precision, "recall": precision / 2, "ndcg": precision * 0.8}


@pytest.fixture
def evaluation() -> Evaluation:
    # User 4 had nothing after the cut-off (NaN). Region "C" has one person evaluated: small when groups
    # need 2; its hybrid precision (0.9) is the highest of all but must not count in the gap.
    return Evaluation(
        k=5,
        methods=[
            MethodResult("hybrid", _per_user([0.5, 0.3, 0.1, 0.2, NAN, 0.9, 0.7]), coverage=0.75),
            MethodResult("popularity", _per_user([0.2, 0.2, 0.2, 0.2, NAN, 0.2, 0.2]), coverage=0.125),
        ],
        groups={
            "region": {"A": _mask(0, 1), "B": _mask(2, 3, 4), "C": _mask(5), "D": _mask(6)},
            "online/offline": {"online": _mask(0, 1, 2, 3), "offline": _mask(4, 5, 6)},
        },
        cold_start=_mask(0, 4, 5),
        description={"Hold-out": "interactions after 2026-01-01", "Model version": "test-1"},
    )


def test_summary_means_ignore_people_without_a_hold_out(evaluation):
    # when
    summary = evaluation_summary(evaluation, min_group_size=2)

    # then: hybrid over the six evaluated people: 2.7 / 6; cold start: users 0 and 5 (user 4 has no hold-out)
    hybrid = summary["methods"]["hybrid"]
    assert summary["users"] == {"total": 7, "evaluated": 6, "cold_start": 3, "cold_start_evaluated": 2}
    assert hybrid["overall"]["evaluated"] == 6
    assert hybrid["overall"]["precision"] == pytest.approx(0.45)
    assert hybrid["overall"]["recall"] == pytest.approx(0.225)
    assert hybrid["overall"]["ndcg"] == pytest.approx(0.36)
    assert hybrid["cold_start"]["precision"] == pytest.approx(0.7)
    assert hybrid["cold_start"]["users"] == 3
    assert hybrid["cold_start"]["evaluated"] == 2
    assert hybrid["coverage"] == 0.75


def test_summary_per_group_means_and_counts(evaluation):
    # when
    summary = evaluation_summary(evaluation, min_group_size=2)

    # then
    region = summary["methods"]["hybrid"]["groups"]["region"]["groups"]
    assert region["A"]["precision"] == pytest.approx(0.4)
    assert region["B"] == {
        "users": 3,
        "evaluated": 2,
        "precision": pytest.approx(0.15),
        "recall": pytest.approx(0.075),
        "ndcg": pytest.approx(0.12),
    }
    assert region["C"]["evaluated"] == 1


def test_the_largest_gap_leaves_out_small_groups(evaluation):
    # when
    summary = evaluation_summary(evaluation, min_group_size=2)

    # then: C (0.9) and D (0.7) have one person each; the gap is between A (0.4) and B (0.15)
    gap = summary["methods"]["hybrid"]["groups"]["region"]["largest_gap"]["precision"]
    assert gap["best"] == "A"
    assert gap["worst"] == "B"
    assert gap["gap"] == pytest.approx(0.25)
    assert gap["best_value"] == pytest.approx(0.4)
    assert gap["worst_value"] == pytest.approx(0.15)
    assert gap["groups_counted"] == 2
    # online: users 0-3 (0.275); offline: users 5 and 6 (0.8)
    channel_gap = summary["methods"]["hybrid"]["groups"]["online/offline"]["largest_gap"]["ndcg"]
    assert (channel_gap["best"], channel_gap["worst"]) == ("offline", "online")
    assert channel_gap["gap"] == pytest.approx((0.8 - 0.275) * 0.8)


def test_no_gap_without_two_groups_large_enough(evaluation):
    # when: the default minimum of 20 people is more than any group here has
    summary = evaluation_summary(evaluation)

    # then
    assert summary["min_group_size"] == 20
    for method in summary["methods"].values():
        for dimension in method["groups"].values():
            assert dimension["largest_gap"] == {"precision": None, "recall": None, "ndcg": None}


def test_equal_groups_have_a_gap_of_zero(evaluation):
    # when
    summary = evaluation_summary(evaluation, min_group_size=2)

    # then: popularity scores everyone 0.2
    gap = summary["methods"]["popularity"]["groups"]["region"]["largest_gap"]["precision"]
    assert gap["gap"] == pytest.approx(0.0)


def test_the_summary_is_plain_json(evaluation):
    # given: a group nobody was evaluated in has no mean
    evaluation.groups["disability"] = {"none": _mask(0, 1, 2, 3, 5, 6), "level 1": _mask(4)}

    # when
    summary = evaluation_summary(evaluation, min_group_size=2)

    # then
    assert summary["methods"]["hybrid"]["groups"]["disability"]["groups"]["level 1"]["precision"] is None
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary


def test_methods_judged_on_different_people_are_refused(evaluation):
    # given: a method with a metric for user 4, who had nothing held out
    evaluation.methods.append(MethodResult("rules only", _per_user([0.1] * 7), coverage=0.5))

    # when / then
    with pytest.raises(ValueError, match="judged on other users"):
        evaluation_summary(evaluation)


def test_a_mask_of_the_wrong_length_is_refused(evaluation):
    # given
    evaluation.groups["region"]["E"] = np.zeros(8, dtype=bool)

    # when / then
    with pytest.raises(ValueError, match="covers 8 users, not 7"):
        evaluation_summary(evaluation)


def test_the_report_has_the_tables_and_every_chart_it_links(evaluation, tmp_path):
    # when
    path = report_write(evaluation, tmp_path / "report", min_group_size=2)

    # then: the tables, with three decimals
    markdown = path.read_text(encoding="utf-8")
    assert path.name == "report.md"
    assert "time-based hold-out" in markdown
    assert "| Method | Precision@5 | Recall@5 | NDCG@5 | Catalog coverage | People evaluated |" in markdown
    assert "| hybrid | 0.450 | 0.225 | 0.360 | 0.750 | 6 |" in markdown
    assert "| popularity | 0.200 | 0.100 | 0.160 | 0.125 | 6 |" in markdown
    assert "## People with little history (cold start)" in markdown
    assert "| hybrid | 0.700 | 0.350 | 0.560 | 2 |" in markdown
    assert "## By region" in markdown
    assert "| A | 2 | 0.400 | 0.200 |" in markdown
    assert "| C *(small)* | 1 | 0.900 | 0.200 |" in markdown
    assert "0.250 (best: A, worst: B)" in markdown
    assert "| Hold-out | interactions after 2026-01-01 |" in markdown
    assert "fewer than 2 people evaluated are shown" in markdown
    # then: one chart overall and one per metric and group dimension, each a PNG next to the report
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert len(links) == 1 + 3 * 2
    assert "overall.png" in links
    assert "ndcg-by-online-offline.png" in links
    for link in links:
        chart = path.parent / link
        assert chart.read_bytes().startswith(PNG_SIGNATURE), link
    assert json.loads((path.parent / "summary.json").read_text(encoding="utf-8"))["k"] == 5


def test_the_same_evaluation_writes_the_same_files(evaluation, tmp_path):
    # when
    first = report_write(evaluation, tmp_path / "first").parent
    second = report_write(evaluation, tmp_path / "second").parent

    # then: no timestamps or versions in the PNGs
    names = sorted(file.name for file in first.iterdir())
    assert names == sorted(file.name for file in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
