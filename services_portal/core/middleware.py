import json
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from qsessions.middleware import SessionMiddleware as QSessionMiddleware

from services_portal.core.addresses import client_address
from services_portal.core.api import error_body

# A sane id: a token of 8 to 64 plain characters (no newline to forge log lines, no markup) ...
_SAFE = re.compile(r"[A-Za-z0-9._-]{8,64}")
# ... that does not carry a resident ID number into the logs and the access log.
_RESIDENT_ID_LIKE = re.compile(r"[0-9]{17}[0-9Xx]")


class RequestIdMiddleware:
    """Gives every request an id (the proxy's X-Request-ID when it is sane) for logs and the access log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        sane = _SAFE.fullmatch(given) and not _RESIDENT_ID_LIKE.search(given)
        request.request_id = given if sane else uuid.uuid4().hex  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response


class SessionMiddleware(QSessionMiddleware):
    """django-qsessions' middleware, recording the client's address as the trusted-proxy setting reads
    it (services_portal.core.addresses) rather than the proxy's."""

    def process_request(self, request: HttpRequest) -> None:
        request.session = self.SessionStore(
            ip=client_address(request) or None,
            user_agent=request.headers.get("User-Agent", ""),
            session_key=request.COOKIES.get(settings.SESSION_COOKIE_NAME),
        )


def request_body_limit(request: HttpRequest) -> int:
    """How large a body `request` may carry: small for anyone not signed in, larger once signed in, and
    the large `DATA_UPLOAD_MAX_MEMORY_SIZE` only for signed-in callers of the paths that take batches
    (department feeds). An API caller counts as signed in when it sends credentials: the API checks them
    before it reads the body, so a forged header earns no parsing of a large one."""
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    if not signed_in and request.path.startswith("/api/"):
        signed_in = bool(request.META.get("HTTP_AUTHORIZATION"))
    if not signed_in:
        return settings.REQUEST_BODY_MAX_ANONYMOUS
    if any(request.path.startswith(prefix) for prefix in settings.REQUEST_BODY_LARGE_PATHS):
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return settings.REQUEST_BODY_MAX_SIGNED_IN


class RequestBodyLimitMiddleware:
    """Refuses a request whose declared body is larger than its caller may send (`request_body_limit`)
    with 413, before anything reads or parses it: in the one error shape under /api/, as a page elsewhere.
    Runs after the session and authentication middleware, which read no body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django reads no body for a length it cannot parse
        limit = request_body_limit(request)
        if declared > limit:
            return _too_large(request, limit)
        return self.get_response(request)


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    message = _("The request is too large: send at most %(size)s.") % {"size": filesizeformat(limit)}
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(error_body("request_too_large", message), status=413)
    else:
        response = render(request, "413.html", {"message": message}, status=413)
    # the body is left unread: the connection cannot carry another request
    response["Connection"] = "close"
    return response


class _BodyTooLarge(Exception):
    pass


class AsgiBodyCap:
    """ASGI, in front of Django: under an ASGI server Django reads a whole body before any middleware
    runs. This caps it as it arrives, at the most any caller may send to the path (large paths:
    `DATA_UPLOAD_MAX_MEMORY_SIZE`; others: `REQUEST_BODY_MAX_SIGNED_IN`): a larger declared length is
    answered 413 at once, and a body sent without one is cut off with 413 once it grows past the cap.
    `RequestBodyLimitMiddleware` then applies the caller's own, smaller, limit."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        large = any(path.startswith(prefix) for prefix in settings.REQUEST_BODY_LARGE_PATHS)
        cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if large else settings.REQUEST_BODY_MAX_SIGNED_IN
        lengths = [value for name, value in scope.get("headers", []) if name.lower() == b"content-length"]
        if lengths and lengths[0].isdigit() and int(lengths[0]) > cap:
            await self._refuse(path, cap, send)
            return
        received = 0

        async def capped_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, capped_receive, send)
        except _BodyTooLarge:
            await self._refuse(path, cap, send)

    @staticmethod
    async def _refuse(path: str, cap: int, send: Callable) -> None:
        message = _("The request is too large: send at most %(size)s.") % {"size": filesizeformat(cap)}
        if path.startswith("/api/"):
            body, kind = json.dumps(error_body("request_too_large", message)).encode(), b"application/json"
        else:
            body, kind = message.encode(), b"text/plain; charset=utf-8"
        headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
