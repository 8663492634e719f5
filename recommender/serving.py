"""What serving reads once per process: the model serving now, swapped when the registry's active model
changes, and the published catalog as the "for you" list shows it, rebuilt when the catalog's version
(read from the database on each request, so that every process sees a change) moves.

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
from recommender.features import CatalogIndex, catalog_index
from recommender.models import ModelStatus, RecommenderModel
from recommender.scoring import als_model
from recommender.services.training import artifact_load
from services_portal.catalog.models import Department, LifeEvent, ServiceItem
from services_portal.catalog.rules import catalog_version, life_events_compiled, published_services
from services_portal.eligibility.life_events import LifeEventRule

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
            als = als_model(artifact)
            # One person at a time: implicit's default spreads each small solve over every core, which
            # under load costs tens of milliseconds of waiting for threads instead of microseconds.
            als.num_threads = 1
            served = Served(model, artifact, als)
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


@dataclass(frozen=True)
class ServedCatalog:
    """The published catalog at one version: the models' index and the rows the reasons name."""

    version: str
    index: CatalogIndex
    services: dict[str, ServiceItem]  # by code, with department and category
    departments: tuple[Department, ...]
    life_events: tuple[tuple[LifeEvent, LifeEventRule], ...]

    def department_names(self) -> dict[str, str]:
        """Department codes (as facts record them) to their names in the active language."""
        return {department.code: department.name for department in self.departments}

    def life_event_names(self) -> dict[str, str]:
        """Life event codes to their names in the active language."""
        return {event.code: event.name for event, _rule in self.life_events}


_catalog_lock = threading.Lock()
_catalog_cache: dict[str, Any] = {"served": None}


def served_catalog() -> ServedCatalog:
    """The published catalog, read from the database only when its version moved since this process
    last read it: per request, one small query."""
    version = catalog_version()
    with _catalog_lock:
        cached = _catalog_cache["served"]
        if isinstance(cached, ServedCatalog) and cached.version == version:
            return cached
        served = ServedCatalog(
            version=version,
            index=catalog_index(version=version),
            services=published_services(version=version),
            departments=tuple(Department.objects.all()),
            life_events=life_events_compiled(version=version),
        )
        _catalog_cache["served"] = served
        return served
