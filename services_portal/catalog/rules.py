"""The published catalog's rules, compiled with the eligibility engine and cached per process.

Every cache here is keyed by `catalog_version()`, read from the database (one small query) each time a
caller asks: a change made through any process is seen by every other on its next request.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from django.db import connection

from services_portal.catalog.models import Category, Criterion, Department, LifeEvent, ServiceItem
from services_portal.eligibility.engine import CriterionRule, ServiceRules, expression_compile
from services_portal.eligibility.life_events import LifeEventRule


def service_rules_build(service: Any) -> ServiceRules:
    """Compile a ServiceItem's criteria (prefetched as `criteria`) into ServiceRules."""
    return ServiceRules(
        code=service.code,
        criteria=tuple(
            CriterionRule(c.key, c.label_zh, c.label_en, expression_compile(c.expression))
            for c in service.criteria.all()
        ),
    )


def _catalog_version_sql() -> str:
    """One statement over the catalog's small tables: what serving caches changes only if a row here does."""
    quote = connection.ops.quote_name
    service, criterion, life_event, service_events, department, category = (
        quote(model._meta.db_table)
        for model in (ServiceItem, Criterion, LifeEvent, ServiceItem.life_events.through, Department, Category)
    )
    # Table names come from the models, nothing from outside. Criteria edited in place save their service
    # too (admin, import), which moves its updated_at.
    parts = [
        f"SELECT 'services', COUNT(*), CAST(MAX(updated_at) AS VARCHAR(64)) FROM {service} WHERE is_published",  # noqa: S608
        f"SELECT 'all services', COUNT(*), CAST(MAX(updated_at) AS VARCHAR(64)) FROM {service}",  # noqa: S608
        f"SELECT 'criteria', COUNT(*), CAST(MAX(id) AS VARCHAR(64)) FROM {criterion}",  # noqa: S608
        f"SELECT 'service life events', COUNT(*), CAST(MAX(id) AS VARCHAR(64)) FROM {service_events}",  # noqa: S608
        f"SELECT 'life event ' || code, 0, name_zh || '|' || name_en || '|' || expression FROM {life_event}",  # noqa: S608
        f"SELECT 'department ' || code, 0, name_zh || '|' || name_en FROM {department}",  # noqa: S608
        f"SELECT 'category ' || code, 0, name_zh || '|' || name_en FROM {category}",  # noqa: S608
    ]
    return " UNION ALL ".join(parts)


def catalog_version() -> str:
    """A short digest of the catalog as serving sees it (published services, criteria, life events, and
    the names of departments and categories), read in one query: the key of every per-process cache of
    the catalog (compiled rules, the recommender's catalog index, the screener's services)."""
    with connection.cursor() as cursor:
        cursor.execute(_catalog_version_sql())
        rows = sorted(tuple(str(value) for value in row) for row in cursor.fetchall())
    return hashlib.blake2b(repr(rows).encode(), digest_size=12).hexdigest()


_rules_lock = threading.Lock()
_rules_cache: dict[str, Any] = {"version": None, "rules": ()}


def catalog_rules(*, version: str | None = None) -> tuple[ServiceRules, ...]:
    """The published catalog's rules, rebuilt in this process only when the catalog changed. `version`
    (from `catalog_version`), when the caller has just read it, saves reading it again."""
    version = version or catalog_version()
    with _rules_lock:
        if _rules_cache["version"] != version:
            services = ServiceItem.objects.filter(is_published=True).order_by("code").prefetch_related("criteria")
            _rules_cache["rules"] = tuple(service_rules_build(service) for service in services)
            _rules_cache["version"] = version
        return _rules_cache["rules"]


_services_lock = threading.Lock()
_services_cache: dict[str, Any] = {"version": None, "services": {}}


def published_services(*, version: str | None = None) -> dict[str, ServiceItem]:
    """The published services by code, with their category, department and life events, read again in this process
    only when the catalog changed. Shared between requests: read them, never change them."""
    version = version or catalog_version()
    with _services_lock:
        if _services_cache["version"] != version:
            services = (
                ServiceItem.objects.filter(is_published=True)
                .select_related("category", "department")
                .prefetch_related("life_events")
            )
            _services_cache["services"] = {service.code: service for service in services}
            _services_cache["version"] = version
        return _services_cache["services"]


_events_lock = threading.Lock()
_events_cache: dict[str, Any] = {"version": None, "events": ()}


def life_events_compiled(*, version: str | None = None) -> tuple[tuple[LifeEvent, LifeEventRule], ...]:
    """Every life event with its compiled rule, in code order, rebuilt in this process only when the
    catalog changed: the names for tags, the rules for membership."""
    version = version or catalog_version()
    with _events_lock:
        if _events_cache["version"] != version:
            events = LifeEvent.objects.order_by("code")
            _events_cache["events"] = tuple(
                (event, LifeEventRule.build(event.code, event.expression)) for event in events
            )
            _events_cache["version"] = version
        return _events_cache["events"]


def life_event_rules(*, version: str | None = None) -> tuple[LifeEventRule, ...]:
    """Every life event's rule, in code order, recompiled in this process only when one changed."""
    return tuple(rule for _event, rule in life_events_compiled(version=version))
