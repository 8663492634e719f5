"""/metrics for Prometheus, protected: a scraper either sends `Authorization: Bearer <METRICS_TOKEN>` or
comes from an address in METRICS_ALLOWED_ADDRESSES (as TRUSTED_PROXY_COUNT reads the client's address).
Anyone else gets 403 and nothing about the portal."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from services_portal.core.addresses import client_address


def metrics_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given.removeprefix("Bearer "), token):
        return True
    return bool(client_address(request)) and client_address(request) in settings.METRICS_ALLOWED_ADDRESSES


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain; charset=utf-8")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
