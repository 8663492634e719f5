"""Throttles: Django REST framework's, keyed on the trusted client address, for the API and the pages alike.

The API's views name a scope (`throttle_scope = "sign_in"`); a page names the same scope with
`@throttle_scope("sign_in")`. Both count in the same cache entry per scope and address (per account
once signed in), at the rates in `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, so trying a page and then
the API gives no second allowance.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from functools import wraps
from types import SimpleNamespace
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework import throttling

from services_portal.core.addresses import client_address

logger = logging.getLogger(__name__)


class _ByClientAddress:
    """Counts per trusted client address, and lets the request through when the cache that holds the
    counts is down: an outage of Redis must not turn every request into a 500. What guards sign-in and
    codes while it is down is kept in the database (the lockout and the codes' own limits)."""

    def get_ident(self, request: Any) -> str:
        return client_address(request)

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except Exception as error:  # noqa: BLE001 - any cache failure; the request is more important
            logger.warning("throttle counts unavailable, request let through: %s", error)
            return True


class AnonThrottle(_ByClientAddress, throttling.AnonRateThrottle):
    pass


class UserThrottle(_ByClientAddress, throttling.UserRateThrottle):
    pass


class ScopedThrottle(_ByClientAddress, throttling.ScopedRateThrottle):
    pass


def throttle_scope(scope: str, methods: tuple[str, ...] = ("POST",)) -> Callable:
    """Throttle a page's `methods` (by default its form posts) in `scope`, as the API's views with
    `throttle_scope = scope` are: over the rate the page answers 429 with a translated page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def throttled_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods:
                throttle = ScopedThrottle()
                if not throttle.allow_request(request, SimpleNamespace(throttle_scope=scope)):
                    return throttled_page(request, throttle.wait())
            return view(request, *args, **kwargs)

        return throttled_view

    return decorator


def throttled_page(request: HttpRequest, wait: float | None) -> HttpResponse:
    minutes = max(1, math.ceil((wait or 60) / 60))
    response = render(request, "429.html", {"minutes": minutes}, status=429)
    if wait:
        response["Retry-After"] = str(math.ceil(wait))
    return response
