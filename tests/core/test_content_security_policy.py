"""A Content-Security-Policy on every response (django-csp), and pages that need nothing it forbids:
no inline script, style or event handler unless it carries the request's nonce."""

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from profiles.models import Role
from tests.factories import StaffFactory

HEADER = "Content-Security-Policy"
# Pages with a part in their address, with an instance the seed catalog has.
WITH_ARGUMENTS = ["/services/gx-elderly-allowance/", "/services/bundles/birth/", "/admin/profiles/citizen/"]
# What a browser runs as script; a <script type="application/json"> is data.
SCRIPT_TYPES = {"", "text/javascript", "application/javascript", "module"}


def plain_addresses(resolver: URLResolver = None, prefix: str = "") -> list[str]:
    """Every address in the URL configuration that takes no argument."""
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        route = str(pattern.pattern)
        if any(mark in route for mark in ("<", "(", "[", "\\")) or "^" in route.lstrip("^"):
            continue
        route = route.lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            found += plain_addresses(pattern, prefix + route)
        elif isinstance(pattern, URLPattern):
            found.append("/" + prefix + route)
    return sorted(set(found))


def policy(response) -> dict[str, list[str]]:
    directives = [part.split() for part in response[HEADER].split(";") if part.strip()]
    return {name: values for name, *values in directives}


class InlineCode(HTMLParser):
    """Collects what a strict policy would block: inline scripts and styles without a nonce, style and
    event-handler attributes, javascript: links."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.open_inline: str | None = None
        self.script_sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:…>")
        if tag == "script":
            if attributes.get("src"):
                self.script_sources.append(attributes["src"])
            elif (attributes.get("type") or "").lower() in SCRIPT_TYPES and not attributes.get("nonce"):
                self.open_inline = "<script> without a nonce"
        if tag == "style" and not attributes.get("nonce"):
            self.open_inline = "<style> without a nonce"

    def handle_data(self, data):
        if self.open_inline and data.strip():
            self.problems.append(self.open_inline)
        self.open_inline = None

    def handle_endtag(self, tag):
        self.open_inline = None


def inline_code(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    return parser


@pytest.fixture
def signed_in_citizen(client, citizen):
    client.force_login(citizen.user)
    return client


@pytest.fixture
def administrator(client, db):
    staff = StaffFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True, region_scope="450000")
    client.force_login(staff)
    return client


def test_the_url_configuration_has_plenty_of_plain_addresses():
    addresses = plain_addresses()
    assert {"/", "/services/", "/screener/", "/api/docs/", "/admin/"} <= set(addresses)


@pytest.mark.parametrize("who", ["anonymous", "signed_in_citizen", "administrator"])
def test_every_page_answers_with_a_content_security_policy(request, catalog, client, who):
    # given a visitor, a signed-in citizen or an administrator
    browser = client if who == "anonymous" else request.getfixturevalue(who)
    for address in plain_addresses() + WITH_ARGUMENTS:
        # when they open any address of the portal (pages, API, admin, docs; some answer 3xx, 403 or 405)
        response = browser.get(address, HTTP_ACCEPT_LANGUAGE="en")
        # then the answer carries the policy
        assert HEADER in response, f"{address} answered {response.status_code} without {HEADER}"
        if address != "/api/docs/":
            assert policy(response)["script-src"] == ["'self'"], address
            assert policy(response)["style-src"][0] == "'self'", address


def test_the_policy_allows_only_the_portals_own_files(client, db):
    directives = policy(client.get("/"))
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["connect-src"] == ["'self'"]  # the live inbox's WebSocket is same-origin


@pytest.mark.parametrize("who", ["anonymous", "signed_in_citizen", "administrator"])
def test_no_page_has_inline_code_a_strict_policy_would_block(request, catalog, client, who):
    browser = client if who == "anonymous" else request.getfixturevalue(who)
    seen_pages = 0
    for address in plain_addresses() + WITH_ARGUMENTS:
        response = browser.get(address, HTTP_ACCEPT_LANGUAGE="en")
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        seen_pages += 1
        problems = inline_code(response.content.decode())
        # the docs page's styles are Swagger UI's own, allowed on that page alone
        if address == "/api/docs/":
            problems.problems = [p for p in problems.problems if p != "<style> without a nonce"]
            assert "'unsafe-inline'" in policy(response)["style-src"]
        assert problems.problems == [], f"{address}: {problems.problems}"
    assert seen_pages >= 10


def test_the_live_inbox_script_is_a_file_on_a_citizens_pages(signed_in_citizen):
    parser = inline_code(signed_in_citizen.get("/").content.decode())
    assert any(source.endswith("portal/live.js") for source in parser.script_sources)
    assert parser.problems == []


def test_the_api_docs_load_their_init_script_from_a_file(client, db):
    page = client.get("/api/docs/")
    parser = inline_code(page.content.decode())
    assert any("script=" in source for source in parser.script_sources)
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


@pytest.mark.urls("tests.core.failing_urls")
def test_the_server_error_page_styles_itself_with_the_requests_nonce(db):
    # when a page fails
    response = Client(raise_request_exception=False).get("/boom/")
    # then its only inline style carries the nonce the policy names
    assert response.status_code == 500
    nonces = [value for value in policy(response)["style-src"] if value.startswith("'nonce-")]
    assert len(nonces) == 1
    assert f'<style nonce="{nonces[0][len("nonce-") + 1 : -1]}">' in response.content.decode()
    assert inline_code(response.content.decode()).problems == []
