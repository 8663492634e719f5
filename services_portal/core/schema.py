"""The API's published contract: every operation lists the errors it can really answer, in the one error shape.

`PortalAutoSchema` (settings: `DEFAULT_SCHEMA_CLASS`) reads each view's authentication, permission,
throttle and parser classes, whether the operation takes input and whether its path names a resource, and
adds the standard error responses, so that no view has to list them by hand. A view still documents its
own domain answers (409 for a stale decision, ...) with `extend_schema`; those are kept.

`operation_links` (settings: `SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]`) adds OpenAPI links from the
operations that hand out an id to those that need one, so clients (and schemathesis' stateful tests) can
follow them.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance, is_serializer
from drf_spectacular.utils import Direction
from rest_framework.authentication import SessionAuthentication
from rest_framework.fields import CharField, SlugField
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly

from services_portal.core.api import ErrorSerializer

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# characters a CharField takes: any but NUL; and of those, one that is not whitespace. (It refuses lone
# surrogates too, but a range of them breaks schemathesis' reading of the pattern, and JSON rarely has them.)
ALLOWED = r"[^\x00]"
VISIBLE = r"[^\s\x00]"
SLUG = r"^[-a-zA-Z0-9_]+(?!\n)$"
BODY_METHODS = {"POST", "PUT", "PATCH"}

DESCRIPTIONS = {
    "400": "The input is not valid: `error.fields` says which part and why.",
    "401": "No credentials, or a token that is unknown, expired or revoked. Sign in for a token.",
    "403": "Signed in, but not allowed to do this (or a session request without its CSRF token).",
    "404": "Not found, or not visible to the caller.",
    "415": "The request body is not in a content type this operation accepts.",
    "429": "Too many requests: wait the number of seconds in `Retry-After`.",
}
HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "schema": {"type": "string"},
            "description": "The scheme to authenticate with: `Token`.",
        }
    },
    "429": {
        "Retry-After": {
            "schema": {"type": "string"},
            "description": "Seconds to wait before trying again.",
        }
    },
}


class PortalAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self.error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                responses[code]["description"] = DESCRIPTIONS[code]
            if code in HEADERS:
                responses[code].setdefault("headers", {}).update(HEADERS[code])
        return dict(sorted(responses.items()))

    def _get_request_body(self, direction: str = "request") -> dict[str, Any] | None:
        """A body is required when any of its content types has required fields (for feeds: JSON's, when
        CSV's is a plain binary)."""
        body = super()._get_request_body(direction)
        if body and not body.get("required"):
            given = self.get_request_serializer()
            for serializer in given.values() if isinstance(given, dict) else [given]:
                if is_serializer(serializer) and any(f.required for f in force_instance(serializer).fields.values()):
                    body["required"] = True
        return body

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """A text field says what DRF's CharField refuses: null characters always; blank input,
        and with its whitespace trimmed input of whitespace only, unless it allows blank. A pattern of the
        field's own (a slug's) ends with `$`, which Python's regexes also match before a final newline
        that the field refuses: it gets a look-ahead that excludes the newline."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or not isinstance(field, CharField) or schema.get("type") != "string":
            return schema
        if "enum" in schema:
            return schema
        if isinstance(field, SlugField) and not field.allow_unicode:
            schema["pattern"] = SLUG
            return schema
        # a validator's `regex` is compiled by then; the stubs also admit the str a subclass may declare
        own = next((v.regex.pattern for v in field.validators if isinstance(v, RegexValidator)), None)  # type: ignore[union-attr]
        if own is not None:
            schema["pattern"] = own  # drf-spectacular would add it only after this, and only if no pattern was set
        if "pattern" in schema:
            if schema["pattern"].endswith("$") and not schema["pattern"].endswith("\\$"):
                schema["pattern"] = schema["pattern"][:-1] + r"(?!\n)$"
            return schema
        if field.allow_blank:
            schema["pattern"] = f"^{ALLOWED}*$"
        else:
            schema.setdefault("minLength", 1)
            some = VISIBLE if field.trim_whitespace else ALLOWED
            schema["pattern"] = f"^{ALLOWED}*{some}{ALLOWED}*$"
        return schema

    def error_codes(self) -> list[str]:
        """The 4xx answers this operation can give whatever its own code does."""
        view = self.view
        codes = set()
        takes_body = self.method in BODY_METHODS and bool(view.get_parsers())
        if takes_body:
            # a body that does not parse, or is not in an accepted content type
            codes |= {"400", "415"}
        if self._has_query_input() or (takes_body and self.get_request_serializer() is not None):
            codes.add("400")
        authenticators = view.get_authenticators()
        if authenticators:
            # any credentials sent are checked, even where none are needed: a bad token is refused
            codes.add("401")
        permissions = view.get_permissions()
        if not all(isinstance(permission, AllowAny) for permission in permissions):
            codes.add("401")
            if any(not isinstance(permission, IsAuthenticatedOrReadOnly) for permission in permissions):
                codes.add("403")
        if self.method not in SAFE_METHODS and any(isinstance(a, SessionAuthentication) for a in authenticators):
            codes.add("403")  # CSRF
        if "{" in self.path or self._is_paginated():
            codes.add("404")  # an unknown id, or a page past the last
        if view.get_throttles():
            codes.add("429")
        return sorted(codes)

    def _is_paginated(self) -> bool:
        return self.method == "GET" and self._is_list_view() and self._get_paginator() is not None

    def _has_query_input(self) -> bool:
        return any(parameter.get("in") == "query" for parameter in self._get_parameters())


# -- links ---------------------------------------------------------------------------------------

# (operation that hands out the value, its status, where in its body) -> [(operation that needs it, parameter)]
LINKS: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    ("v1_services_list", "200", "/results/0/code", [("v1_services_retrieve", "code")]),
    (
        "v1_casework_cases_list",
        "200",
        "/results/0/id",
        [
            ("v1_casework_cases_retrieve", "case_id"),
            ("v1_casework_cases_approve_create", "case_id"),
            ("v1_casework_cases_reject_create", "case_id"),
        ],
    ),
    (
        "v1_me_cases_list",
        "200",
        "/results/0/id",
        [("v1_me_cases_retrieve", "case_id"), ("v1_me_cases_objection_create", "case_id")],
    ),
    ("v1_me_inbox_list", "200", "/results/0/id", [("v1_me_inbox_read_create", "notification_id")]),
    (
        "v1_me_consents_list",
        "200",
        "/0/purpose",
        [("v1_me_consents_grant_create", "purpose"), ("v1_me_consents_withdraw_create", "purpose")],
    ),
    ("v1_me_tags_list", "200", "/0/code", [("v1_me_tags_destroy", "life_event")]),
    ("v1_me_facts_list", "200", "/0/key", [("v1_me_facts_error_report_create", "key")]),
    (
        "v1_feeds_batches_create",
        "201",
        "/batch_id",
        [("v1_feeds_batches_retrieve", "batch_id"), ("v1_feeds_batches_rejections_list", "batch_id")],
    ),
    (
        "v1_feeds_batches_create",
        "200",
        "/batch_id",
        [("v1_feeds_batches_retrieve", "batch_id"), ("v1_feeds_batches_rejections_list", "batch_id")],
    ),
]


def operation_links(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Add the OpenAPI links of `LINKS` between operations that are both in the schema."""
    operations = {
        operation["operationId"]: operation
        for path in result.get("paths", {}).values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for source, status, pointer, targets in LINKS:
        response = operations.get(source, {}).get("responses", {}).get(status)
        if response is None:
            continue
        for target, parameter in targets:
            if target in operations:
                response.setdefault("links", {})[target] = {
                    "operationId": target,
                    "parameters": {parameter: f"$response.body#{pointer}"},
                }
    return result
