"""The public algorithm page (算法公示, /algorithm/): what the recommender uses and does not use, how it
ranks, the serving model's version, data window and per-group metrics from its evaluation in the registry,
and the reach figures per group; and the auditor's copy of that model's full evaluation report.

Everything here reads. Figures that leave the portal are held to the small-cell rule of the reach figures
(services_portal.reach.selectors): a group of fewer than REACH_SMALL_CELL people shows as "<10" and its
metrics are hidden.
"""

from __future__ import annotations

import datetime
import io
import json
import pathlib
import tempfile
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from profiles.facts.registry import FACTS, Sensitivity
from recommender.evaluation.report import summary_report_write
from recommender.evaluation.run import HYBRID
from recommender.features import AGE_BANDS, UNKNOWN, catalog_index
from recommender.models import INTERACTION_WEIGHTS, InteractionKind, ModelStatus, RecommenderModel
from recommender.scoring import DEFAULT_BLEND, MAX_PER_DEPARTMENT
from services_portal.reach import selectors as reach
from services_portal.reference import regions

METRICS = ("precision", "recall", "ndcg")
# The evaluation names its groups in English (recommender.evaluation.run); the page says them in the reader's language.
DIMENSION_LABELS: dict[str, Promise] = {
    "age band": _("Age group"),
    "region": _("City they live in"),
    "online/offline": _("How they use the portal"),
    "disability": _("Whether they have a disability"),
}
GROUP_LABELS: dict[str, Promise] = {
    UNKNOWN: _("Not known"),
    "online": _("Online"),
    "offline (counter only)": _("Offline (service counter only)"),
    "disabled": _("Has a disability"),
    "not disabled": _("Has no disability"),
}
# Baselines the hybrid is compared with, as the page names them.
BASELINE_LABELS: dict[str, Promise] = {
    "popularity": _("The most used services (no personal data)"),
    "eligible + popular in region": _("Services you qualify for, most used in your region first"),
    "rules only": _("Eligibility rules and life events only"),
}
SOURCE_LABELS: dict[str, Promise] = {
    "rules": _("Eligibility rules and life events"),
    "als": _("What people with similar activity used (collaborative filtering, ALS)"),
    "lightfm": _("What people with similar traits used (LightFM)"),
    "popularity": _("What is used most in your region"),
}
INTERACTION_LABELS: dict[str, Promise] = {
    InteractionKind.VIEW: _("viewing a service"),
    InteractionKind.SAVE: _("saving it"),
    InteractionKind.APPLY: _("applying for it"),
    InteractionKind.COMPLETE: _("completing it"),
}
MODEL_FEATURES: tuple[Promise, ...] = (
    _("the life events you are in (a child born, retirement, a disability ...), worked out from your facts"),
    _("your age band (18-29, 30-44, 45-59, 60-74, 75 and over)"),
    _("the city you live in (not your address)"),
    _("whether your household registration is urban or rural"),
    _("whether you use the portal online or go to a service counter"),
)


@dataclass(frozen=True)
class FactUse:
    label: str
    sensitive: bool


@dataclass(frozen=True)
class GroupMetrics:
    """One group's hold-out metrics as shown: counts held to the small-cell rule, metrics hidden with them."""

    label: str
    evaluated: str
    precision: str
    recall: str
    ndcg: str


@dataclass(frozen=True)
class Dimension:
    label: str
    groups: list[GroupMetrics]
    gap: str  # the hybrid's NDCG gap between its best and worst large group, or "–"


@dataclass(frozen=True)
class ServingModel:
    version: int
    activated_at: datetime.datetime | None
    window_start: datetime.datetime
    window_end: datetime.datetime
    holdout_end: datetime.datetime
    people_count: int
    interaction_count: int
    k: int
    overall: GroupMetrics | None
    cold_start: GroupMetrics | None
    baselines: list[tuple[str, str]]  # (label, NDCG shown)
    dimensions: list[Dimension]


@dataclass(frozen=True)
class Transparency:
    rule_facts: list[FactUse]
    identity_facts: list[str]
    model_features: list[str]
    interactions: list[tuple[str, float]]
    blend: list[tuple[str, float]]
    max_per_department: int
    model: ServingModel | None
    reach_day: datetime.date | None
    reach_groups: list[dict[str, str]] = field(default_factory=list)
    reach_within_days: int = 7
    small_cell: int = 10


def serving_model() -> RecommenderModel | None:
    return RecommenderModel.objects.filter(status=ModelStatus.ACTIVE).first()


def _number(value: Any) -> str:
    return "–" if value is None else f"{float(value):.3f}"


def _group_metrics(label: str, means: dict[str, Any]) -> GroupMetrics:
    evaluated = int(means.get("evaluated") or 0)
    hidden = reach.is_suppressed(evaluated)
    return GroupMetrics(
        label=label,
        evaluated=reach.cell_shown(evaluated),
        **{metric: "–" if hidden else _number(means.get(metric)) for metric in METRICS},
    )


def _group_label(dimension: str, label: str, cities: dict[str, str]) -> str:
    if label in GROUP_LABELS:
        return str(GROUP_LABELS[label])
    if dimension == "region":
        return cities.get(label, label)
    return label


def _group_order(dimension: str, label: str) -> tuple[int, str]:
    """Groups in a reader's order (the registry's JSON may keep its keys in any order)."""
    if label == UNKNOWN:
        return (99, label)
    if dimension == "age band":
        bands = [band for band, _low, _high in AGE_BANDS]
        return (bands.index(label) if label in bands else 50, label)
    return (0, label)


def _dimensions(hybrid: dict[str, Any]) -> list[Dimension]:
    cities = {region.name_en: region.name for region in regions.all_regions() if region.level == "city"}
    dimensions = []
    for dimension, result in hybrid.get("groups", {}).items():
        groups = sorted(result.get("groups", {}).items(), key=lambda item: _group_order(dimension, item[0]))
        gap = (result.get("largest_gap") or {}).get("ndcg")
        dimensions.append(
            Dimension(
                label=str(DIMENSION_LABELS.get(dimension, dimension)),
                groups=[_group_metrics(_group_label(dimension, label, cities), means) for label, means in groups],
                gap="–" if gap is None else _number(gap.get("gap")),
            )
        )
    return dimensions


def serving_model_read(model: RecommenderModel) -> ServingModel:
    summary = model.metrics.get("summary") or {}
    methods = summary.get("methods") or {}
    hybrid = methods.get(HYBRID) or {}
    return ServingModel(
        version=model.version,
        activated_at=model.activated_at,
        window_start=model.window_start,
        window_end=model.window_end,
        holdout_end=model.holdout_end,
        people_count=model.people_count,
        interaction_count=model.interaction_count,
        k=int(summary.get("k") or model.parameters.get("k") or 10),
        overall=_group_metrics(str(_("Everyone evaluated")), hybrid["overall"]) if "overall" in hybrid else None,
        cold_start=_group_metrics(str(_("People with little history")), hybrid["cold_start"])
        if "cold_start" in hybrid
        else None,
        baselines=[
            (str(label), _number((methods[name].get("overall") or {}).get("ndcg")))
            for name, label in BASELINE_LABELS.items()
            if name in methods
        ],
        dimensions=_dimensions(hybrid),
    )


def _rule_facts() -> list[FactUse]:
    """The facts the published eligibility criteria and life events read, in the registry's order."""
    index = catalog_index()
    read: set[str] = set()
    for rules in index.rules:
        for criterion in rules.criteria:
            read.update(criterion.compiled.needs)
    for rule in index.life_event_rules:
        read.update(rule.compiled.needs)
    return [
        FactUse(label=str(fact.label), sensitive=fact.sensitivity == Sensitivity.SENSITIVE)
        for key, fact in FACTS.items()
        if key in read and not fact.identity
    ]


def transparency_read() -> Transparency:
    model = serving_model()
    day = reach.reach_figures_day()
    return Transparency(
        rule_facts=_rule_facts(),
        identity_facts=[str(fact.label) for fact in FACTS.values() if fact.identity],
        model_features=[str(feature) for feature in MODEL_FEATURES],
        interactions=[(str(INTERACTION_LABELS[kind]), weight) for kind, weight in INTERACTION_WEIGHTS.items()],
        blend=[(str(SOURCE_LABELS[source.value]), weight) for source, weight in DEFAULT_BLEND.items()],
        max_per_department=MAX_PER_DEPARTMENT,
        model=serving_model_read(model) if model else None,
        reach_day=day,
        reach_groups=[figure.shown() for figure in reach.reach_group_figures(essential_only=True)] if day else [],
        reach_within_days=int(settings.REACH_WITHIN_DAYS),
        small_cell=reach.small_cell(),
    )


def _registry_entry(model: RecommenderModel) -> dict[str, Any]:
    return {
        "version": model.version,
        "status": model.status,
        "checksum_sha256": model.checksum,
        "window_start": model.window_start.isoformat(),
        "window_end": model.window_end.isoformat(),
        "holdout_end": model.holdout_end.isoformat(),
        "activated_at": model.activated_at.isoformat() if model.activated_at else None,
        "people_count": model.people_count,
        "interaction_count": model.interaction_count,
        "parameters": model.parameters,
        "metrics": {key: value for key, value in model.metrics.items() if key != "summary"},
        "note": model.note,
    }


def evaluation_report_archive(model: RecommenderModel) -> bytes:
    """The model's full evaluation, as its training wrote it, in one zip: report.md with its charts and
    summary.json (every method, every group, no small-cell suppression: auditors only), and model.json,
    the registry's entry (version, checksum, data window, parameters)."""
    summary = model.metrics.get("summary")
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        directory = pathlib.Path(scratch)
        (directory / "model.json").write_text(
            json.dumps(_registry_entry(model), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        if summary:
            methods = summary.get("methods") or {}
            # the hybrid first: the report's narrative follows its first method
            ordered = {**({HYBRID: methods[HYBRID]} if HYBRID in methods else {}), **methods}
            summary_report_write({**summary, "methods": ordered}, directory)
        for path in sorted(directory.iterdir()):
            archive.write(path, arcname=f"model-v{model.version}-evaluation/{path.name}")
    return buffer.getvalue()
