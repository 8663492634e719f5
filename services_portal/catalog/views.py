from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accessibility.middleware import DisplayHttpRequest
from profiles.selectors import citizen_signed_in
from services_portal.catalog import hooks
from services_portal.catalog.forms import ServiceFilterForm
from services_portal.catalog.selectors import (
    bundle_get,
    bundle_list,
    by_relevance,
    facets,
    service_get,
    service_list,
)

PAGE_SIZE = 12


def service_list_page(request: DisplayHttpRequest) -> HttpResponse:
    form = ServiceFilterForm(request.GET)
    filters = form.filters()
    services = service_list(**filters)
    paginator = Paginator(services, request.display.page_size(PAGE_SIZE))
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "catalog/service_list.html",
        {
            "form": form,
            "page": page,
            "filtered": bool(filters),
            "ranked": by_relevance(services),
            "query": query.urlencode(),
        },
    )


def service_detail_page(request: HttpRequest, code: str) -> HttpResponse:
    service = service_get(code=code)
    citizen = citizen_signed_in(request.user)
    if citizen is not None:
        hooks.on_service_viewed(citizen, service)
    return render(request, "catalog/service_detail.html", {"service": service, "citizen": citizen})


def bundle_detail_page(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "catalog/bundle_detail.html", {"bundle": bundle_get(code=code)})


def home_page(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"facets": facets(), "bundles": bundle_list()})
