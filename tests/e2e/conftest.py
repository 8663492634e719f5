"""End-to-end fixtures: one Chromium per test session, a fresh browser context per test.

The browser is Debian's Chromium (`/usr/bin/chromium`, or `E2E_CHROMIUM`), never a downloaded one;
axe-core comes from `npm ci` (node_modules). Without either, the tests skip, unless CI=true: then
they fail, so that CI cannot pass by quietly skipping the browser tests.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services_portal.catalog.services import catalog_import
from tests.conftest import ROOT, required

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MOBILE = {"width": 414, "height": 896}
DESKTOP = {"width": 1280, "height": 900}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# The screener's buttons, by value: their words change with the language.
CONTINUE = "button[name=action][value=next]"
SEE_RESULTS = "button[name=action][value=results]"


@dataclass(frozen=True)
class Variant:
    """How a visitor sees the portal: the browser's language, and elder mode on or off."""

    name: str
    locale: str
    elder: bool
    html_lang: str


VARIANTS = {
    "zh": Variant("zh", "zh-CN", elder=False, html_lang="zh-Hans"),
    "en": Variant("en", "en-US", elder=False, html_lang="en"),
    "elder": Variant("elder", "zh-CN", elder=True, html_lang="zh-Hans"),
}


def _missing(reason: str) -> None:
    if required("REQUIRE_CHROMIUM"):
        pytest.fail(f"{reason} (CI=true: the end-to-end tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """One Chromium for the test session's browser tests.

    Package-scoped, which with one package of browser tests is once per session, so that Chromium
    and Playwright's event loop (with DJANGO_ALLOW_ASYNC_UNSAFE) end with the last browser test:
    pytest-django runs tests without a database after these, and a running loop or that variable
    would leak into them (`manage.py check --deploy` refuses the variable).
    """
    if not CHROMIUM.exists():
        _missing(f"Chromium not found at {CHROMIUM}")
    if not AXE.exists():
        _missing(f"axe-core not found at {AXE}; run `npm ci`")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python is not installed")
    # Playwright's sync API keeps an asyncio loop running in this thread while the browser lives;
    # Django's ORM refuses to run inside one unless told it is safe (it is: the loop only drives
    # the browser). Set for as long as the browser lives.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            try:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            except PlaywrightError as error:
                _missing(f"Chromium at {CHROMIUM} does not start: {error}")
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# What the tests visit by name; the rest of the seed catalog may change freely.
NEEDED = {
    "services": ["gx-elderly-allowance"],
    "bundles": ["birth"],
    "life_events": ["elderly"],
}


@pytest.fixture
def site(live_server, transactional_db, catalog_data):
    """The live server's base URL, with the seed catalog imported.

    The seed file is still being completed: rows it cannot import are the catalog unit tests'
    business; these tests need only the few items they visit by name.
    """
    from services_portal.catalog.models import Bundle, LifeEvent, ServiceItem

    report = catalog_import(data=catalog_data)
    models = {"services": ServiceItem, "bundles": Bundle, "life_events": LifeEvent}
    absent = [
        f"{section}:{code}"
        for section, codes in NEEDED.items()
        for code in codes
        if not models[section].objects.filter(code=code).exists()
    ]
    assert not absent, f"The seed catalog lacks {absent}; import problems: {report.problems}"
    return live_server.url


def prepare_context(context, variant: Variant, site: str):
    """What every test's browser context needs: a timeout, axe-core, and elder mode for the elder variants."""
    context.set_default_timeout(10_000)
    # axe-core as an init script (run by the browser itself): the portal's Content-Security-Policy
    # forbids the inline <script> that page.add_script_tag would insert.
    context.add_init_script(path=str(AXE))
    if variant.elder:
        context.add_cookies([{"name": "display", "value": "elder", "url": site}])
    return context


@pytest.fixture
def new_context(browser, site):
    """Makes browser contexts for a variant; closes them after the test."""
    contexts = []

    def make(variant: Variant, *, viewport: dict | None = None, javascript: bool = True):
        context = browser.new_context(
            locale=variant.locale,
            viewport=viewport or MOBILE,
            java_script_enabled=javascript,
            reduced_motion="reduce",
        )
        contexts.append(prepare_context(context, variant, site))
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page_for(new_context):
    """A new page in a fresh context for a variant (mobile viewport)."""

    def make(variant: Variant, **options):
        return new_context(variant, **options).new_page()

    return make


def submit(page, selector: str) -> None:
    """Click a button or link that loads a new page, and wait until that page has loaded.

    A click only waits for the next page to start loading; reading it before it has loaded races.
    """
    with page.expect_navigation():
        page.locator(selector).click()


def screenshot(page, variant: Variant, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{variant.name}-{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[dict]:
    """The page's WCAG 2.2 AA violations found by axe-core."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
                     .then(results => results.violations.map(v => ({
                         id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                         targets: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
                         summary: v.nodes.length ? v.nodes[0].failureSummary : "",
                         count: v.nodes.length,
                     })))""",
        WCAG_TAGS,
    )


def broken_references(page) -> list[str]:
    """ID references that lead nowhere: axe only marks these "needs review", so they are checked here.

    aria-describedby/labelledby/controls, label[for] and in-page links (the error summary's links to
    the fields) must name an element that exists.
    """
    return page.evaluate(
        """() => {
            const broken = [];
            const exists = id => id && document.getElementById(id) !== null;
            const brief = el => el.outerHTML.slice(0, 100);
            for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls"]) {
                for (const el of document.querySelectorAll(`[${attr}]`)) {
                    for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
                        if (!exists(id)) broken.push(`${attr}="${id}" on ${brief(el)}`);
                    }
                }
            }
            for (const label of document.querySelectorAll("label[for]")) {
                if (!exists(label.htmlFor)) broken.push(`for="${label.htmlFor}" on ${brief(label)}`);
            }
            for (const link of document.querySelectorAll("a[href^='#']")) {
                const id = decodeURIComponent(link.getAttribute("href").slice(1));
                if (!exists(id)) broken.push(`href="#${id}" on ${brief(link)}`);
            }
            return broken;
        }"""
    )


def violations_report(where: str, violations: list[dict]) -> str:
    lines = [f"{where}: {len(violations)} WCAG 2.2 AA violation(s)"]
    for violation in violations:
        lines.append(
            f"  - {violation['id']} [{violation['impact']}] {violation['help']} "
            f"({violation['count']} element(s)): {', '.join(violation['targets'])}"
        )
        if violation["summary"]:
            lines.append("      " + violation["summary"].replace("\n", "\n      "))
    return "\n".join(lines)


# MIIT 适老化: in elder mode every click target at least 60x60 CSS px.
ELDER_TARGET_PX = 60
ELDER_TEXT_PX = 24
# What a person can press or type in; radios and checkboxes are measured by their label.
INTERACTIVE = (
    "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [role=tab], "
    "[tabindex]:not([tabindex='-1'])"
)
MEASURE_TARGETS = """
selector => {
    const targets = new Set();
    for (const element of document.querySelectorAll(selector)) {
        let target = element;
        if (element.matches("input[type=radio], input[type=checkbox]")) {
            const byFor = element.id && document.querySelector(`label[for="${element.id}"]`);
            target = element.closest("label") || byFor || element;
        }
        targets.add(target);
    }
    const measured = [];
    for (const target of targets) {
        if (!target.checkVisibility({visibilityProperty: true})) { continue; }
        const box = target.getBoundingClientRect();
        // visually hidden (1px, clipped) or moved off the page until focused (the skip link)
        if (box.width <= 1 || box.height <= 1 || box.right <= 0 || box.bottom <= 0) { continue; }
        const name = (target.innerText || target.value || target.getAttribute("aria-label") || "").trim();
        const classes = target.className ? ` class="${target.className}"` : "";
        const what = `<${target.tagName.toLowerCase()}${classes}> ${name.slice(0, 30)}`;
        measured.push({width: box.width, height: box.height, what: what});
    }
    return measured;
}
"""


def targets_measured(page) -> list[dict]:
    """Every visible interactive element's size in CSS px (a radio's or checkbox's: its label's)."""
    return page.evaluate(MEASURE_TARGETS, INTERACTIVE)


def elder_mode_problems(page) -> list[str]:
    """Elder mode's promises beyond WCAG AA: text of 24px or more, 7:1 contrast, 60x60px targets."""
    problems = []
    base = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    if base < ELDER_TEXT_PX:
        problems.append(f"base text is {base}px, under {ELDER_TEXT_PX}px")
    problems += [
        f"target {target['width']:.0f}x{target['height']:.0f}px, under {ELDER_TARGET_PX}x{ELDER_TARGET_PX}: "
        f"{target['what']}"
        for target in targets_measured(page)
        if min(target["width"], target["height"]) < ELDER_TARGET_PX - 0.5
    ]
    contrast = page.evaluate(
        """() => axe.run(document, {runOnly: {type: "rule", values: ["color-contrast-enhanced"]}})
                 .then(r => r.violations.flatMap(
                     v => v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)))"""
    )
    problems += [f"contrast under 7:1: {line}" for line in contrast]
    return problems
