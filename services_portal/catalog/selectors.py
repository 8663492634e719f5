"""Reading the catalog: browsing, search, detail and export."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Prefetch, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from services_portal.catalog.models import (
    Bundle,
    BundleItem,
    Category,
    Criterion,
    Department,
    LifeEvent,
    ServiceItem,
)

SEARCH_RANK = "search_rank"


def service_list(
    *,
    q: str = "",
    category: str = "",
    department: str = "",
    life_event: str = "",
    bundle: str = "",
    proactive: bool | None = None,
) -> QuerySet[ServiceItem]:
    """Published service items matching the filters. With a query, those the catalog search finds (both
    languages, everyday words, pinyin, one typo), the most relevant first; when it finds none, those whose text
    contains the query as written. Without one, by topic and code."""
    services = ServiceItem.objects.filter(is_published=True).select_related("category", "department")
    order: tuple[Any, ...] = ("category__code", "code")
    if q := q.strip():
        # The search's dictionaries (segmenter, pinyin) load on the first query, not in every process.
        from services_portal.catalog.search import service_ids_ranked

        if ranked := service_ids_ranked(query=q):
            relevance = Case(*(When(pk=pk, then=Value(position)) for position, pk in enumerate(ranked)))
            services = services.filter(pk__in=ranked).annotate(**{SEARCH_RANK: relevance})
            order = (SEARCH_RANK,)
        else:
            services = services.filter(text_contains(q))
    if category:
        services = services.filter(category__code=category)
    if department:
        services = services.filter(department__code=department)
    if life_event:
        services = services.filter(life_events__code=life_event)
    if bundle:
        services = services.filter(bundles__code=bundle)
    if proactive is not None:
        services = services.filter(proactive=proactive)
    return services.prefetch_related("life_events").distinct().order_by(*order)


def by_relevance(services: QuerySet[ServiceItem]) -> bool:
    """Whether `service_list` ranked these by the search (rather than by topic and code)."""
    return SEARCH_RANK in services.query.annotations


def text_contains(q: str) -> Q:
    """Services whose name, description or code contains `q` as written, in either language."""
    return (
        Q(name_zh__icontains=q)
        | Q(name_en__icontains=q)
        | Q(description_zh__icontains=q)
        | Q(description_en__icontains=q)
        | Q(code__icontains=q)
    )


def service_get(*, code: str) -> ServiceItem:
    """A published service with everything its detail page shows; 404 when there is none."""
    services = (
        ServiceItem.objects.filter(is_published=True)
        .select_related("category", "department")
        .prefetch_related("life_events", "criteria", "bundles")
    )
    return get_object_or_404(services, code=code)


def department_names() -> dict[str, str]:
    """Department codes (as facts record them) to their names in the active language."""
    return {department.code: department.name for department in Department.objects.all()}


def bundle_list() -> QuerySet[Bundle]:
    return Bundle.objects.select_related("life_event").prefetch_related(
        Prefetch("items", queryset=BundleItem.objects.select_related("service").order_by("position"))
    )


def bundle_get(*, code: str) -> Bundle:
    return get_object_or_404(bundle_list(), code=code)


def facets() -> dict[str, QuerySet[Any]]:
    """The choices the catalog can be browsed by."""
    return {
        "categories": Category.objects.all(),
        "departments": Department.objects.all(),
        "life_events": LifeEvent.objects.all(),
        "bundles": Bundle.objects.all(),
    }


def catalog_export() -> dict[str, Any]:
    """The whole catalog in the import format; importing it again changes nothing."""

    def texts(obj: Any, base: str) -> dict[str, str]:
        return {"zh-hans": getattr(obj, f"{base}_zh"), "en": getattr(obj, f"{base}_en")}

    services = ServiceItem.objects.select_related("category", "department").prefetch_related(
        "life_events", Prefetch("criteria", queryset=Criterion.objects.order_by("position"))
    )
    versions = sorted({s.catalog_version for s in services if s.catalog_version})
    return {
        "version": versions[-1] if versions else "",
        "departments": [{"code": d.code, "name": texts(d, "name")} for d in Department.objects.all()],
        "categories": [{"code": c.code, "name": texts(c, "name")} for c in Category.objects.all()],
        "life_events": [
            {
                "code": e.code,
                "name": texts(e, "name"),
                "description": texts(e, "description"),
                "expression": e.expression,
            }
            for e in LifeEvent.objects.all()
        ],
        "bundles": [
            {
                "code": b.code,
                "name": texts(b, "name"),
                "description": texts(b, "description"),
                "life_event": b.life_event.code if b.life_event else None,
                "services": [item.service.code for item in b.items.all()],
            }
            for b in bundle_list()
        ],
        "services": [_service_export(s, texts) for s in services.order_by("code")],
    }


def _service_export(service: ServiceItem, texts: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "code": service.code,
        "name": texts(service, "name"),
        "description": texts(service, "description"),
        "category": service.category.code,
        "department": service.department.code,
        "life_events": [event.code for event in service.life_events.all()],
        "online": service.online,
        "counter": service.counter,
        "proactive": service.proactive,
        "essential": service.essential,
        "outreach": service.outreach,
        "escalate_after_days": service.escalate_after_days,
        "published": service.is_published,
        "processing_days": service.processing_days,
        "fee_cny": float(service.fee_cny),
        "materials": service.materials,
        "legal_basis": texts(service, "legal_basis"),
        "criteria": [
            {"key": c.key, "label": texts(c, "label"), "expression": c.expression} for c in service.criteria.all()
        ],
        "examples": service.examples,
    }
    if service.benefit_amount_cny is not None or service.benefit_period:
        row["benefit"] = {
            "amount_cny": float(service.benefit_amount_cny) if service.benefit_amount_cny is not None else None,
            "period": service.benefit_period,
            "note": texts(service, "benefit_note"),
        }
    return row
