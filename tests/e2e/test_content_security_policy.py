"""In a real Chromium, the Content-Security-Policy blocks nothing the pages need: no violation is
reported, the portal's own scripts run, and the API docs (Swagger UI) and the admin still work."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import VARIANTS

pytestmark = pytest.mark.e2e

# Every violation the browser reports on the page, recorded from before the page's first script.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", event => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""

PAGES = {
    "home": "/",
    "service-detail": "/services/gx-elderly-allowance/",
    "screener": "/screener/",
    "admin-login": "/admin/login/",
}


@pytest.fixture
def page(new_context):
    context = new_context(VARIANTS["en"])
    context.add_init_script(RECORD_VIOLATIONS)
    return context.new_page()


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


@pytest.mark.parametrize("name", list(PAGES))
def test_the_pages_report_no_policy_violation(page, site, name):
    response = page.goto(site + PAGES[name])
    assert response is not None and response.ok
    assert "default-src 'self'" in response.headers.get("content-security-policy", "")
    page.wait_for_load_state("load")
    assert violations(page) == []


def test_the_portals_own_script_runs_under_the_policy(page, site):
    # the read-aloud button is hidden until portal.js shows it
    page.goto(site + PAGES["service-detail"])
    page.wait_for_load_state("load")
    assert page.locator("[data-read-aloud]").first.is_visible()
    assert violations(page) == []


def test_the_api_docs_render_under_their_own_policy(page, site):
    page.goto(site + "/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Service portal API" in page.locator(".swagger-ui .info .title").inner_text()
    assert violations(page) == []
