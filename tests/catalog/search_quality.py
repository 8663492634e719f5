"""The citizen query set (data/search_queries.yaml) and how a search is scored on it: shared by the recall
test and tests/bench/bench_search.py."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

QUERIES_FILE = Path(__file__).resolve().parent / "data" / "search_queries.yaml"
CUTOFF = 5


@dataclass(frozen=True)
class CitizenQuery:
    q: str
    kind: str
    expected: frozenset[str]


def citizen_queries() -> list[CitizenQuery]:
    return [
        CitizenQuery(q=str(row["q"]), kind=row["kind"], expected=frozenset(row["expected"]))
        for row in yaml.safe_load(QUERIES_FILE.read_text(encoding="utf-8"))
    ]


def recall_at(found: list[str], expected: frozenset[str], cutoff: int = CUTOFF) -> float:
    """The share of the expected services among the first `cutoff` found, out of as many as fit there (a query
    expecting seven services scores 1.0 when the first five are all among them)."""
    return len(set(found[:cutoff]) & expected) / min(len(expected), cutoff)


def reciprocal_rank(found: list[str], expected: frozenset[str]) -> float:
    return next((1 / rank for rank, code in enumerate(found, start=1) if code in expected), 0.0)


@dataclass(frozen=True)
class Scores:
    recall: float
    mrr: float
    count: int
    misses: list[tuple[CitizenQuery, list[str]]]
    """The queries below full recall, with what the search found first."""


def scores_of(search: Callable[[str], list[str]], queries: Iterable[CitizenQuery]) -> Scores:
    recalls, ranks, misses = [], [], []
    for query in queries:
        found = search(query.q)
        recalls.append(recall_at(found, query.expected))
        ranks.append(reciprocal_rank(found, query.expected))
        if recalls[-1] < 1:
            misses.append((query, found[:CUTOFF]))
    return Scores(recall=statistics.fmean(recalls), mrr=statistics.fmean(ranks), count=len(recalls), misses=misses)
