"""The evaluation's summary (numbers for machines) and its report (Markdown and charts for people).

The caller runs each method on the same hold-out, turns its scores into per-user metrics with
`metrics.ranking_metrics`, and hands them over as an `Evaluation` together with the groups of people to
compare. Nothing here reads the database or the clock, so the same evaluation always gives the same files.
"""

from __future__ import annotations

import json
import math
import pathlib
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

METRICS = ("precision", "recall", "ndcg")
METRIC_NAMES = {"precision": "Precision", "recall": "Recall", "ndcg": "NDCG"}
# Groups with fewer evaluated people than this are shown but left out of the largest gap: with a handful of
# people one lucky or unlucky person moves the average more than any real difference between groups.
MIN_GROUP_SIZE = 20

# PNG metadata carries matplotlib's version under "Software"; without it the same numbers give the same bytes.
PNG_METADATA: dict[str, str | None] = {"Software": None}
CHART_DPI = 100
SMALL_GROUP_HATCH = "//"


@dataclass
class MethodResult:
    name: str  # "hybrid", "popularity", "rules only", "ALS only", "LightFM only"
    per_user: dict[str, np.ndarray]  # from metrics.ranking_metrics: NaN for users with nothing held out
    coverage: float  # from metrics.catalog_coverage


@dataclass
class Evaluation:
    k: int
    methods: list[MethodResult]
    # group dimension -> {group label: boolean mask over users}, e.g. {"age band": {"18-29": mask, ...}}
    groups: dict[str, dict[str, np.ndarray]]
    cold_start: np.ndarray  # boolean mask: fewer than `cold_start_interactions` training interactions
    description: dict[str, str]  # facts about the run: data window, hold-out window, people, model version...
    cold_start_interactions: int = 3


def evaluation_summary(evaluation: Evaluation, *, min_group_size: int = MIN_GROUP_SIZE) -> dict[str, Any]:
    """The evaluation's numbers, JSON-serialisable, in the methods' and groups' order.

    Means ignore users without a held-out item (NaN); a mean over nobody is None. For each method and group
    dimension, "largest_gap" holds per metric the difference between the best and the worst group among
    the groups with at least `min_group_size` evaluated users, or None when fewer than two groups qualify.
    """
    judged = _judged_users(evaluation)
    summary: dict[str, Any] = {
        "k": evaluation.k,
        "min_group_size": min_group_size,
        "cold_start_interactions": evaluation.cold_start_interactions,
        "description": dict(evaluation.description),
        "users": {
            "total": int(judged.size),
            "evaluated": int(judged.sum()),
            "cold_start": int(evaluation.cold_start.sum()),
            "cold_start_evaluated": int((judged & evaluation.cold_start).sum()),
        },
        "methods": {},
    }
    everyone = np.ones(judged.size, dtype=bool)
    for method in evaluation.methods:
        groups_summary = {}
        for dimension, masks in evaluation.groups.items():
            per_group = {label: _means(method, mask, judged) for label, mask in masks.items()}
            groups_summary[dimension] = {
                "groups": per_group,
                "largest_gap": {metric: _largest_gap(per_group, metric, min_group_size) for metric in METRICS},
            }
        summary["methods"][method.name] = {
            "coverage": float(method.coverage),
            "overall": _means(method, everyone, judged),
            "cold_start": _means(method, evaluation.cold_start, judged),
            "groups": groups_summary,
        }
    return summary


def report_write(
    evaluation: Evaluation, directory: pathlib.Path, *, min_group_size: int = MIN_GROUP_SIZE
) -> pathlib.Path:
    """Write report.md, summary.json and the charts into `directory` (created if missing); return report.md.

    Charts: overall.png (every metric and coverage, one bar per method) and, per group dimension and
    metric, a grouped bar chart with the groups on the x axis and one bar per method.
    """
    return summary_report_write(evaluation_summary(evaluation, min_group_size=min_group_size), directory)


def summary_report_write(summary: dict[str, Any], directory: pathlib.Path) -> pathlib.Path:
    """The same files from a stored summary (RecommenderModel.metrics["summary"]): an auditor's copy of
    the serving model's evaluation, drawn again from the registry."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    charts = _charts_write(summary, directory)
    report = directory / "report.md"
    report.write_text(_markdown(summary, charts), encoding="utf-8")
    (directory / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )
    return report


# Numbers


def _judged_users(evaluation: Evaluation) -> np.ndarray:
    """Users with something held out: the same users for every method, or the methods were not judged alike."""
    if evaluation.k < 1:
        raise ValueError(f"k must be at least 1, not {evaluation.k}")
    if not evaluation.methods:
        raise ValueError("An evaluation needs at least one method.")
    names = [method.name for method in evaluation.methods]
    if len(set(names)) != len(names):
        raise ValueError(f"Method names must be unique: {names}")
    cold_start = _mask_checked(evaluation.cold_start, "cold_start", None)
    n_users = cold_start.size
    for dimension, masks in evaluation.groups.items():
        for label, mask in masks.items():
            _mask_checked(mask, f"group {dimension!r} / {label!r}", n_users)
    judged = None
    for method in evaluation.methods:
        missing = [metric for metric in METRICS if metric not in method.per_user]
        if missing:
            raise ValueError(f"Method {method.name!r} has no {', '.join(missing)}.")
        for metric in METRICS:
            if np.shape(method.per_user[metric]) != (n_users,):
                raise ValueError(f"Method {method.name!r}: {metric} must have shape ({n_users},).")
        method_judged = ~np.isnan(np.asarray(method.per_user["precision"], dtype=np.float64))
        if judged is None:
            judged = method_judged
        elif not np.array_equal(judged, method_judged):
            raise ValueError(f"Method {method.name!r} was judged on other users than {names[0]!r}.")
    assert judged is not None  # there is at least one method (checked above)
    return judged


def _mask_checked(mask: np.ndarray, name: str, n_users: int | None) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.dtype != bool or mask.ndim != 1:
        raise ValueError(f"{name} must be a one-dimensional boolean mask over users.")
    if n_users is not None and mask.size != n_users:
        raise ValueError(f"{name} covers {mask.size} users, not {n_users}.")
    return mask


def _means(method: MethodResult, mask: np.ndarray, judged: np.ndarray) -> dict[str, Any]:
    selected = mask & judged
    evaluated = int(selected.sum())
    means: dict[str, Any] = {"users": int(mask.sum()), "evaluated": evaluated}
    for metric in METRICS:
        means[metric] = float(np.mean(np.asarray(method.per_user[metric])[selected])) if evaluated else None
    return means


def _largest_gap(per_group: dict[str, dict[str, Any]], metric: str, min_group_size: int) -> dict[str, Any] | None:
    counted = [
        (label, means[metric])
        for label, means in per_group.items()
        if means["evaluated"] >= min_group_size and means[metric] is not None
    ]
    if len(counted) < 2:
        return None
    # max/min keep the first of equal values: the order the groups were given in decides ties.
    best = max(counted, key=lambda group: group[1])
    worst = min(counted, key=lambda group: group[1])
    return {
        "gap": best[1] - worst[1],
        "best": best[0],
        "best_value": best[1],
        "worst": worst[0],
        "worst_value": worst[1],
        "groups_counted": len(counted),
    }


# Charts


def _charts_write(summary: dict[str, Any], directory: pathlib.Path) -> dict[str, Any]:
    """Draw every chart; return the file names: {"overall": name, "groups": {dimension: {metric: name}}}."""
    k = summary["k"]
    methods = list(summary["methods"])
    overall_name = "overall.png"
    categories = [_metric_label(metric, k) for metric in METRICS] + ["Catalog coverage"]
    values = {
        name: [result["overall"][metric] for metric in METRICS] + [result["coverage"]]
        for name, result in summary["methods"].items()
    }
    _bar_chart_write(
        directory / overall_name,
        title=f"All people evaluated ({summary['users']['evaluated']:,})",
        categories=categories,
        values=values,
        small=[False] * len(categories),
        y_label="Score (0 to 1, higher is better)",
        labelled=True,
        min_group_size=summary["min_group_size"],
    )
    names: dict[str, Any] = {"overall": overall_name, "groups": {}}
    used_slugs: set[str] = set()
    first = summary["methods"][methods[0]]
    for position, dimension in enumerate(first["groups"]):
        slug = _slug(dimension) or f"dimension-{position + 1}"
        if slug in used_slugs:
            slug = f"{slug}-{position + 1}"
        used_slugs.add(slug)
        groups = first["groups"][dimension]["groups"]
        small = [means["evaluated"] < summary["min_group_size"] for means in groups.values()]
        categories = [
            f"{label}\n{means['evaluated']:,} people{' (small)' if is_small else ''}"
            for (label, means), is_small in zip(groups.items(), small, strict=True)
        ]
        names["groups"][dimension] = {}
        for metric in METRICS:
            file_name = f"{metric}-by-{slug}.png"
            _bar_chart_write(
                directory / file_name,
                title=f"{_metric_label(metric, k)} by {dimension}",
                categories=categories,
                values={
                    name: [means[metric] for means in result["groups"][dimension]["groups"].values()]
                    for name, result in summary["methods"].items()
                },
                small=small,
                y_label=f"{_metric_label(metric, k)} (higher is better)",
                labelled=False,
                min_group_size=summary["min_group_size"],
            )
            names["groups"][dimension][metric] = file_name
    return names


def _bar_chart_write(
    path: pathlib.Path,
    *,
    title: str,
    categories: list[str],
    values: dict[str, list[float | None]],
    small: list[bool],
    y_label: str,
    labelled: bool,
    min_group_size: int,
) -> None:
    """A grouped bar chart: categories on the x axis, one bar per method; bars of small groups hatched."""
    # A Figure without pyplot: no global state, no GUI backend, nothing left open after saving.
    # Wide enough for a readable bar per method and a tick label per category, whatever their number.
    width_inches = max(6.0, (0.35 * len(values) + 0.6) * len(categories) + 2.0)
    figure = Figure(figsize=(width_inches, 4.5), dpi=CHART_DPI, layout="constrained")
    axes = figure.add_subplot()
    positions = np.arange(len(categories))
    width = 0.8 / len(values)
    for index, (method, method_values) in enumerate(values.items()):
        heights = [np.nan if value is None else value for value in method_values]
        bars = axes.bar(positions + (index - (len(values) - 1) / 2) * width, heights, width, label=method)
        for bar, is_small in zip(bars, small, strict=True):
            if is_small:
                bar.set_hatch(SMALL_GROUP_HATCH)
                bar.set_alpha(0.5)
        if labelled:
            axes.bar_label(bars, fmt="%.3f", fontsize=7, padding=2)
    axes.set_xticks(positions, categories, fontsize=8)
    axes.set_ylabel(y_label)
    axes.set_ylim(bottom=0)
    axes.margins(y=0.15)
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    handles, _labels = axes.get_legend_handles_labels()
    if any(small):
        note = f"Fewer than {min_group_size} people:\nnot counted in the largest gap"
        handles.append(Patch(facecolor="white", edgecolor="black", hatch=SMALL_GROUP_HATCH, label=note))
    axes.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.savefig(path, format="png", metadata=PNG_METADATA)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# Markdown


def _markdown(summary: dict[str, Any], charts: dict[str, Any]) -> str:
    k = summary["k"]
    users = summary["users"]
    methods = summary["methods"]
    min_group_size = summary["min_group_size"]
    metric_labels = [_metric_label(metric, k) for metric in METRICS]
    lines = [
        "# How well the recommendations match what people did",
        "",
        "This report measures how well each recommendation method would have predicted the services people "
        "actually went on to use. It uses a time-based hold-out: each method learned only from interactions "
        f"before a cut-off date, recommended {k} services to each person, and was then judged against what "
        "that person did after the cut-off, which the methods never saw. "
        f"Methods compared: {', '.join(_cell(name) for name in methods)}.",
        "",
        f"- **{_metric_label('precision', k)}**: of the {k} services recommended to a person, the share they went "
        "on to use.",
        f"- **{_metric_label('recall', k)}**: of the services a person went on to use, the share that were among "
        f"the {k} recommended (a person who used more than {k} services cannot reach 1).",
        f"- **{_metric_label('ndcg', k)}**: like recall, but a service near the top of the list counts more than "
        "one further down; 1 means everything the person used was at the very top of their list.",
        "- **Catalog coverage**: the share of all services recommended to at least one person; low coverage "
        "means a method shows the same few services to everyone.",
        f"- **Cold start**: people with fewer than {summary['cold_start_interactions']} interactions before the "
        "cut-off, about whom a method knows little.",
        "",
        "Every number is between 0 and 1, and higher is better. Each is an average over the people evaluated: "
        "the people who used at least one service after the cut-off. People with no activity after the "
        f"cut-off cannot be judged and are left out: {users['evaluated']:,} of {users['total']:,} people were "
        "evaluated.",
        "",
        "## How to read this",
        "",
        f"- Groups with fewer than {min_group_size} people evaluated are shown, marked *(small)* in the tables "
        "and hatched in the charts, but are not counted in the largest gap: in a small group one person more or "
        "less moves the average more than any real difference between groups would.",
        "- The largest gap is the difference between the best and the worst of the counted groups. A gap shows "
        "where a method serves one group less well than another; it does not say why. Groups differ in which "
        "services apply to them, so some gap is expected even from a fair method.",
        "- Small differences between methods or groups may be chance, the more so the fewer people a group has.",
        "",
    ]
    if summary["description"]:
        lines += ["## About this run", "", "| | |", "|---|---|"]
        lines += [f"| {_cell(key)} | {_cell(value)} |" for key, value in summary["description"].items()]
        lines.append("")

    lines += [
        "## Overall",
        "",
        "| Method | " + " | ".join(metric_labels) + " | Catalog coverage | People evaluated |",
        "|---" + "|---:" * (len(METRICS) + 2) + "|",
    ]
    for name, result in methods.items():
        overall = result["overall"]
        values = " | ".join(_number(overall[metric]) for metric in METRICS)
        lines.append(f"| {_cell(name)} | {values} | {_number(result['coverage'])} | {overall['evaluated']:,} |")
    lines += ["", f"![Every metric for each method, all people evaluated]({charts['overall']})", ""]

    lines += [
        "## People with little history (cold start)",
        "",
        f"People with fewer than {summary['cold_start_interactions']} interactions before the cut-off: "
        f"{users['cold_start']:,}, of whom {users['cold_start_evaluated']:,} were evaluated.",
        "",
    ]
    if users["cold_start_evaluated"]:
        lines += [
            "| Method | " + " | ".join(metric_labels) + " | People evaluated |",
            "|---" + "|---:" * (len(METRICS) + 1) + "|",
        ]
        for name, result in methods.items():
            cold = result["cold_start"]
            values = " | ".join(_number(cold[metric]) for metric in METRICS)
            lines.append(f"| {_cell(name)} | {values} | {cold['evaluated']:,} |")
        lines.append("")

    first_name = next(iter(methods))
    for dimension, chart_names in charts["groups"].items():
        lines += [f"## By {_cell(dimension)}", ""]
        ndcg_gap = methods[first_name]["groups"][dimension]["largest_gap"]["ndcg"]
        if ndcg_gap is not None:
            lines += [
                f"For {_cell(first_name)}, {_metric_label('ndcg', k)} is highest for {_cell(ndcg_gap['best'])} "
                f"({_number(ndcg_gap['best_value'])}) and lowest for {_cell(ndcg_gap['worst'])} "
                f"({_number(ndcg_gap['worst_value'])}): a gap of {_number(ndcg_gap['gap'])}.",
                "",
            ]
        lines += [
            f"### Largest gap between groups by {_cell(dimension)}",
            "",
            f"Among groups with at least {min_group_size} people evaluated.",
            "",
            "| Method | " + " | ".join(metric_labels) + " |",
            "|---" + "|---" * len(METRICS) + "|",
        ]
        for name, result in methods.items():
            gaps = result["groups"][dimension]["largest_gap"]
            lines.append(f"| {_cell(name)} | " + " | ".join(_gap_cell(gaps[metric]) for metric in METRICS) + " |")
        lines.append("")
        for metric, label in zip(METRICS, metric_labels, strict=True):
            groups = methods[first_name]["groups"][dimension]["groups"]
            lines += [
                f"### {label} by {_cell(dimension)}",
                "",
                f"| {_cell(dimension).capitalize()} | People evaluated | "
                + " | ".join(_cell(name) for name in methods)
                + " |",
                "|---" + "|---:" * (len(methods) + 1) + "|",
            ]
            for group_label, means in groups.items():
                is_small = means["evaluated"] < min_group_size
                values = " | ".join(
                    _number(result["groups"][dimension]["groups"][group_label][metric]) for result in methods.values()
                )
                marker = " *(small)*" if is_small else ""
                lines.append(f"| {_cell(group_label)}{marker} | {means['evaluated']:,} | {values} |")
            lines += ["", f"![{label} by {_cell(dimension)}, one bar per method]({chart_names[metric]})", ""]
    return "\n".join(lines)


def _metric_label(metric: str, k: int) -> str:
    return f"{METRIC_NAMES[metric]}@{k}"


def _number(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.3f}"


def _gap_cell(gap: dict[str, Any] | None) -> str:
    if gap is None:
        return "– (fewer than two groups large enough)"
    return f"{_number(gap['gap'])} (best: {_cell(gap['best'])}, worst: {_cell(gap['worst'])})"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell or sentence: pipes escaped, line breaks flattened."""
    return str(text).replace("|", r"\|").replace("\n", " ")
