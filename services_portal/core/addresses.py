"""The client's address, as the one trusted-proxy setting (`TRUSTED_PROXY_COUNT`) says to read it.

Sign-in lockout (django-axes, through `AXES_CLIENT_IP_CALLABLE`), the throttles (services_portal.core.
throttling), the sessions' recorded address and the logs all ask this one function, so that no part
of the portal trusts a header another part ignores.

- 0 proxies (the embedded default): the socket's address (`REMOTE_ADDR`). `X-Forwarded-For` is ignored,
  since anyone can send it: it neither frames another address nor, rotated, escapes a throttle.
- N proxies: each trusted proxy appends the address it saw to `X-Forwarded-For`, so the client is the
  N-th entry from the right. Entries further left were written by the client and count for nothing.

The same rule as Django REST framework's `NUM_PROXIES`, which settings set to the same number. It is
not django-ipware's: ipware counts the proxies' own addresses in the chain, which an nginx that writes
`X-Forwarded-For $remote_addr` does not add.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The address of the client that made `request` (an empty string when there is none)."""
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    # fewer hops than proxies: the outermost proxies were skipped, and the left-most hop is the
    # address the first proxy that was passed through saw
    return _address(hops[-min(proxies, len(hops))]) or remote
