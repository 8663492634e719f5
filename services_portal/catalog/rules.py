"""The published catalog's rules, compiled with the eligibility engine and cached per process."""

from __future__ import annotations

import threading
from typing import Any

from django.db.models import Count, Max

from services_portal.catalog.models import Criterion, LifeEvent, ServiceItem
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


_rules_lock = threading.Lock()
_rules_cache: dict[str, Any] = {"stamp": None, "rules": ()}


def catalog_rules() -> tuple[ServiceRules, ...]:
    """The published catalog's rules, rebuilt in this process only when the catalog changed."""
    published = ServiceItem.objects.filter(is_published=True)
    stamp = (
        tuple(published.aggregate(count=Count("id"), updated=Max("updated_at")).values()),
        Criterion.objects.count(),
    )
    with _rules_lock:
        if _rules_cache["stamp"] != stamp:
            services = published.order_by("code").prefetch_related("criteria")
            _rules_cache["rules"] = tuple(service_rules_build(service) for service in services)
            _rules_cache["stamp"] = stamp
        return _rules_cache["rules"]


_events_lock = threading.Lock()
_events_cache: dict[str, Any] = {"stamp": None, "rules": ()}


def life_event_rules() -> tuple[LifeEventRule, ...]:
    """Every life event's rule, in code order, recompiled in this process only when one changed."""
    stamp = tuple(LifeEvent.objects.order_by("code").values_list("code", "expression"))
    with _events_lock:
        if _events_cache["stamp"] != stamp:
            _events_cache["rules"] = tuple(LifeEventRule.build(code, expression) for code, expression in stamp)
            _events_cache["stamp"] = stamp
        return _events_cache["rules"]
