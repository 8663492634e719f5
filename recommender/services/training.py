"""Training a model into the registry, and swapping serving to it only when it is no worse."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from recommender.artifact import Artifact, ArtifactBroken, checksum_of
from recommender.evaluation.report import Evaluation, evaluation_summary
from recommender.evaluation.run import (
    HoldOut,
    clearly_worse,
    evaluation_build,
    holdout_build,
    hybrid_ndcg,
    hybrid_ndcg_per_person,
)
from recommender.features import CatalogIndex, catalog_index
from recommender.models import ModelStatus, RecommenderModel
from recommender.training import Timings, TrainingParameters, artifact_fit
from services_portal.core.errors import PortalError

logger = logging.getLogger(__name__)


class NotEnoughData(PortalError):
    pass


@dataclass
class TrainingOutcome:
    model: RecommenderModel
    evaluation: Evaluation
    served: bool


def artifact_load(model: RecommenderModel) -> Artifact:
    """The model's artifact, checked against its checksum; ArtifactBroken when it cannot be used."""
    if not model.artifact:
        raise ArtifactBroken(f"model v{model.version} has no artifact")
    try:
        with model.artifact.open("rb") as handle:
            content = handle.read()
    except OSError as error:
        raise ArtifactBroken(f"model v{model.version}'s artifact cannot be opened: {error}") from error
    return Artifact.from_bytes(content, checksum=model.checksum)


def _serving_ndcg_on(holdout: HoldOut, k: int, index: CatalogIndex) -> np.ndarray | None:
    """The serving model's per-person NDCG on the new hold-out, when it can be measured fairly: same
    catalog, and it never saw the hold-out (its own data ends before the new cut)."""
    active = RecommenderModel.objects.filter(status=ModelStatus.ACTIVE).first()
    if active is None or active.window_end > holdout.cut:
        return None
    try:
        artifact = artifact_load(active)
    except ArtifactBroken:
        logger.warning("serving model v%s cannot be read; the new model replaces it", active.version)
        return None
    if artifact.item_codes != list(index.codes):
        return None
    return hybrid_ndcg_per_person(evaluation_build(holdout, artifact, index, k=k, description={}))


@dataclass
class _Fitted:
    holdout: HoldOut
    artifact: Artifact
    index: CatalogIndex
    description: dict[str, str]
    timings: Timings


def _fit(now: datetime.datetime, parameters: TrainingParameters, version: int | None = None) -> _Fitted:
    index = catalog_index()
    holdout = holdout_build(now=now, parameters=parameters, index=index)
    if not (holdout.learners.positive_count > 0).any():
        raise NotEnoughData(
            "not_enough_data", _("There are no interactions to learn from before %(cut)s.") % {"cut": holdout.cut}
        )
    artifact, timings = artifact_fit(holdout.learners, index, parameters)
    description = {
        "model version": str(version) if version else "not registered (evaluation only)",
        "training data": f"{holdout.window_start:%Y-%m-%d %H:%M} to {holdout.cut:%Y-%m-%d %H:%M}",
        "hold-out": f"{holdout.cut:%Y-%m-%d %H:%M} to {holdout.now:%Y-%m-%d %H:%M}",
        "people who allow personalisation and were active": str(len(holdout.learners)),
        "positive interactions before the cut": str(holdout.interaction_count),
        "services": str(len(index)),
        "parameters": ", ".join(f"{key}={value}" for key, value in parameters.as_dict().items()),
        "ALS fit (s)": f"{timings.als_seconds:.1f}",
        "LightFM fit (s)": f"{timings.lightfm_seconds:.1f}",
    }
    return _Fitted(holdout, artifact, index, description, timings)


def model_evaluate(*, now: datetime.datetime | None = None, parameters: TrainingParameters | None = None) -> Evaluation:
    """Fit on the window before the hold-out and evaluate every method on it, registering nothing."""
    parameters = parameters or TrainingParameters()
    fitted = _fit(now or timezone.now(), parameters)
    return evaluation_build(
        fitted.holdout, fitted.artifact, fitted.index, k=parameters.k, description=fitted.description
    )


def model_train(
    *, now: datetime.datetime | None = None, parameters: TrainingParameters | None = None, activate: bool = True
) -> TrainingOutcome:
    """Train on the window before the hold-out, evaluate on the hold-out against the baselines, store
    the artifact in the registry, and serve it if it does at least as well as the model serving now.
    People who do not allow personalisation are not in the data at all."""
    now = now or timezone.now()
    parameters = parameters or TrainingParameters()
    version = (RecommenderModel.objects.aggregate(Max("version"))["version__max"] or 0) + 1
    fitted = _fit(now, parameters, version)
    holdout, artifact, index, timings = fitted.holdout, fitted.artifact, fitted.index, fitted.timings
    evaluation = evaluation_build(holdout, artifact, index, k=parameters.k, description=fitted.description)
    summary = evaluation_summary(evaluation)
    score = hybrid_ndcg(evaluation)
    serving = _serving_ndcg_on(holdout, parameters.k, index)
    worse, difference, standard_error = (
        clearly_worse(hybrid_ndcg_per_person(evaluation), serving) if serving is not None else (False, 0.0, 0.0)
    )
    content = artifact.to_bytes()
    model = RecommenderModel(
        version=version,
        window_start=holdout.window_start,
        window_end=holdout.cut,
        holdout_end=holdout.now,
        parameters=parameters.as_dict(),
        metrics={
            f"ndcg@{parameters.k}": score,
            "serving_model": None
            if serving is None
            else {
                f"ndcg@{parameters.k}": float(np.nanmean(serving)) if (~np.isnan(serving)).any() else 0.0,
                "paired_difference": difference,
                "standard_error": standard_error,
            },
            "als_seconds": timings.als_seconds,
            "lightfm_seconds": timings.lightfm_seconds,
            "summary": summary,
        },
        people_count=len(holdout.learners),
        interaction_count=holdout.interaction_count,
        checksum=checksum_of(content),
    )
    model.artifact.save(f"model-v{version}.npz", ContentFile(content), save=False)
    model.save()
    served = False
    if activate:
        if worse:
            model.status = ModelStatus.REJECTED
            model.note = (
                f"NDCG@{parameters.k} is below the serving model's on the same people by {-difference:.4f} "
                f"(standard error {standard_error:.4f})"
            )
            model.save(update_fields=["status", "note"])
        else:
            model_activate(model_id=model.pk)
            served = True
    model.refresh_from_db()
    return TrainingOutcome(model=model, evaluation=evaluation, served=served)


@transaction.atomic
def model_activate(*, model_id: int) -> RecommenderModel:
    """Serve this model: the one serving now retires in the same transaction, so requests see one or
    the other, never none. Refuses a model whose artifact cannot be read."""
    model = RecommenderModel.objects.select_for_update().get(pk=model_id)
    try:
        artifact_load(model)
    except ArtifactBroken as error:
        raise PortalError("artifact_broken", str(error)) from None
    RecommenderModel.objects.select_for_update().filter(status=ModelStatus.ACTIVE).exclude(pk=model.pk).update(
        status=ModelStatus.RETIRED
    )
    model.status = ModelStatus.ACTIVE
    model.activated_at = timezone.now()
    model.note = ""
    model.save(update_fields=["status", "activated_at", "note"])
    return model
