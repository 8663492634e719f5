from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext
from django.views import defaults

from services_portal.core.api import error_body


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the process answers and can reach its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 in the API's one error shape under /api/, and as a page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", gettext("Not found.")), status=404)
    return render(request, "404.html", status=404)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400s that Django answers before any API view runs (a host not allowed, a body too large, ...):
    in the API's one error shape under /api/, and as Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("bad_request", gettext("The request could not be read.")), status=400)
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """A plain page that needs nothing that may have failed: no database, no context processors."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", gettext("Something went wrong on our side.")), status=500)
    context = {"hotline": settings.PORTAL_HOTLINE, "csp_nonce": getattr(request, "csp_nonce", "")}
    html = loader.render_to_string("500.html", context)
    return HttpResponse(html, status=500)
