from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from services_portal.catalog.selectors import bundle_list, facets


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"facets": facets(), "bundles": bundle_list()})


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the process answers and can reach its database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
