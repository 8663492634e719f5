"""The model serving now, loaded once per process and swapped when the registry's active model changes.

A missing or corrupt artifact is logged and the portal serves the rules, never an error page.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from implicit.cpu.als import AlternatingLeastSquares

from recommender.artifact import Artifact, ArtifactBroken
from recommender.models import ModelStatus, RecommenderModel
from recommender.scoring import als_model
from recommender.services.training import artifact_load

logger = logging.getLogger(__name__)

# A broken artifact is tried again after this long, not on every request.
RETRY_BROKEN_SECONDS = 60.0


@dataclass(frozen=True)
class Served:
    model: RecommenderModel | None
    artifact: Artifact | None
    als: AlternatingLeastSquares | None
    broken: bool = False


_lock = threading.Lock()
_cache: dict[str, Any] = {"key": None, "served": None, "failed_at": 0.0}


def served_model() -> Served:
    """The active model and its loaded artifact; no artifact when there is no model or it is broken."""
    model = (
        RecommenderModel.objects.filter(status=ModelStatus.ACTIVE).only("pk", "version", "artifact", "checksum").first()
    )
    if model is None:
        return Served(None, None, None)
    key = (model.pk, model.checksum)
    with _lock:
        cached = _cache["served"]
        fresh = (
            not getattr(cached, "broken", True) or time.monotonic() - float(_cache["failed_at"]) < RETRY_BROKEN_SECONDS
        )
        if _cache["key"] == key and isinstance(cached, Served) and fresh:
            return cached
        try:
            artifact = artifact_load(model)
            served = Served(model, artifact, als_model(artifact))
        except ArtifactBroken as error:
            logger.error("recommender model v%s is not usable, serving rules only: %s", model.version, error)
            served = Served(model, None, None, broken=True)
            _cache["failed_at"] = time.monotonic()
        _cache["key"], _cache["served"] = key, served
        return served


def served_forget() -> None:
    """Drop what this process loaded (tests, and after an artifact is replaced on disk)."""
    with _lock:
        _cache.update(key=None, served=None, failed_at=0.0)
