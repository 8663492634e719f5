"""The portal as a phone app, in Chromium at 390x844: installable (manifest and service worker, with no
installability error), an offline page when there is no connection, nothing personal in the worker's
cache; a compact header (at most a quarter of the screen) and a tab bar for the main places in Chinese,
English and elder mode; "For you" with one line of reason per suggestion and "Why?" for the rest.

Chromium reports every page of an incognito context as not installable, and Playwright's contexts are
incognito: the installability tests use a persistent context (a profile in a temporary folder).
Screenshots go to test-artifacts/screenshots/<variant>-phone-*.png.
"""

from __future__ import annotations

import json

import pytest

from profiles.models import Role
from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    VARIANTS,
    Variant,
    axe_violations,
    prepare_context,
    screenshot,
)
from tests.e2e.test_accessibility import check_page
from tests.e2e.test_casework_pages import sign_in_as
from tests.e2e.test_for_you_pages import a_person_aged_70
from tests.factories import StaffFactory

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
# a quarter of an 844 px high phone screen
HEADER_MOST = 844 / 4
TAB_PLACES = ["/", "/services/", "/me/for-you/", "/me/inbox/"]
ELDER_TARGET = 60
# English in elder mode: the longest name beside the largest text, the tallest header of all
HEADER_VARIANTS = {**VARIANTS, "elder-en": Variant("elder-en", "en-US", elder=True, html_lang="en")}
WORKER_ACTIVATED = """() => navigator.serviceWorker.getRegistration("/").then(
    registration => registration && registration.active && registration.active.state === "activated"
        && navigator.serviceWorker.controller !== null)"""
# Every entry of every cache the page's origin holds: its address, type and body.
CACHED = """() => caches.keys().then(names => Promise.all(names.map(name => caches.open(name)
    .then(cache => cache.keys().then(requests => Promise.all(requests.map(request => cache.match(request)
        .then(response => response.text().then(body => ({
            cache: name, url: request.url, type: response.headers.get("content-type") || "", body,
        })))))))))).then(lists => lists.flat())"""


@pytest.fixture
def installed_context(browser, site, tmp_path):
    """A Chromium context with a profile of its own (not incognito), as an installed app would have."""
    contexts: list = []

    def make(variant: Variant):
        context = browser.browser_type.launch_persistent_context(
            str(tmp_path / f"profile-{len(contexts)}"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            locale=variant.locale,
            viewport=PHONE,
            reduced_motion="reduce",
        )
        contexts.append(prepare_context(context, variant, site))
        return context

    yield make
    for context in contexts:
        context.close()


def worker_ready(page) -> None:
    page.wait_for_function(WORKER_ACTIVATED)


def test_the_portal_is_installable_and_shows_the_offline_page_without_a_connection(installed_context, site):
    # given a visitor on the home page
    context = installed_context(VARIANTS["zh"])
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(site + "/")

    # when the service worker has taken over
    worker_ready(page)

    # then Chromium finds nothing that stops installing the portal
    cdp = context.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == []
    assert manifest["url"] == site + "/manifest-zh-hans.webmanifest"
    body = json.loads(manifest["data"])
    assert body["display"] == "standalone" and body["start_url"] == "/" and body["scope"] == "/"
    assert body["short_name"] == "广西政务" and body["lang"] == "zh-Hans"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in body["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in body["icons"]:
        answer = page.request.get(site + icon["src"])
        assert answer.ok and answer.headers["content-type"] == "image/png"
    english = page.request.get(site + "/manifest-en.webmanifest").json()
    assert english["name"] == "Guangxi Government Services" and english["id"] == body["id"]
    worker = page.request.get(site + "/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert "no-cache" in worker.headers["cache-control"]

    # when the connection goes and the visitor opens a page they have not seen
    context.set_offline(True)
    response = page.goto(site + "/services/bundles/birth/")

    # then the offline page, in both languages, with the hotline; and it passes axe
    assert response is not None and response.ok
    assert page.locator("#offline-zh").inner_text() == "当前没有网络连接"
    assert page.locator("#offline-en").inner_text() == "You are offline"
    assert page.locator("main a[href^='tel:']").count() == 2
    screenshot(page, VARIANTS["zh"], "phone-offline")
    violations = axe_violations(page)
    assert violations == [], violations

    # and back online the page itself loads again
    context.set_offline(False)
    page.reload()
    assert page.locator("#offline-zh").count() == 0
    assert page.locator("main h1").count() == 1


def test_the_worker_keeps_nothing_of_a_signed_in_person(installed_context, site):
    # given a signed-in citizen whose pages name them
    person = a_person_aged_70(name="韦秀英")
    context = installed_context(VARIANTS["zh"])
    sign_in_as(context, site, person.user)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(site + "/")
    worker_ready(page)

    # when they browse their own pages, the API and a page of the catalog
    for path in ["/me/", "/me/for-you/", "/me/inbox/", "/services/gx-elderly-allowance/", "/me/"]:
        response = page.goto(site + path)
        assert response is not None and response.ok
    assert "韦秀英" in page.content()
    assert page.evaluate("() => fetch('/api/v1/facts/', {credentials: 'same-origin'}).then(r => r.status)") == 200

    # then the caches hold the shell only: static files and the offline page, which names no one
    kept = page.evaluate(CACHED)
    assert kept, "the worker keeps the shell"
    assert {entry["cache"] for entry in kept} == {kept[0]["cache"]}
    assert kept[0]["cache"].startswith("portal-shell-")
    pages = [entry for entry in kept if "html" in entry["type"]]
    assert [entry["url"] for entry in pages] == [site + "/offline/"]
    assert all(entry["url"].startswith(site + "/static/") for entry in kept if entry not in pages)
    assert not [entry["url"] for entry in kept if "韦秀英" in entry["body"] or "/api/" in entry["url"]]

    # and offline, their own page is not there to be read
    context.set_offline(True)
    page.goto(site + "/me/")
    assert page.locator("#offline-zh").is_visible()
    assert "韦秀英" not in page.content()
    context.set_offline(False)


def header_height(page) -> float:
    return page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")


def check_tab_bar(page, variant: Variant, *, current: str, problems: list[str]) -> None:
    """The five places, each with a label, the current one marked, none hidden behind by the page."""
    where = f"{variant.name} {page.url}"
    tabs = page.locator("nav.tab-bar a")
    if not page.locator("nav.tab-bar").is_visible() or tabs.count() != 5:
        problems.append(f"{where}: the tab bar is not shown with five places")
        return
    labels = [label.strip() for label in tabs.locator(".tab-label").all_inner_texts()]
    if not all(labels):
        problems.append(f"{where}: a tab without a label: {labels}")
    marked = page.locator("nav.tab-bar a[aria-current=page]")
    if marked.count() != 1 or marked.get_attribute("href") != current:
        problems.append(f"{where}: the current tab is not {current}")
    if variant.elder:
        for index in range(5):
            box = tabs.nth(index).bounding_box()
            if box is None or box["width"] < ELDER_TARGET or box["height"] < ELDER_TARGET:
                problems.append(f"{where}: tab {labels[index]} is {box} in elder mode, under 60x60")
    # at the bottom of the page, the footer ends above the tab bar
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    footer = page.evaluate("document.querySelector('.site-footer').getBoundingClientRect().bottom")
    bar = page.evaluate("document.querySelector('nav.tab-bar').getBoundingClientRect().top")
    if footer > bar + 1:
        problems.append(f"{where}: the tab bar hides the page's end ({footer:.0f} > {bar:.0f})")
    page.evaluate("window.scrollTo(0, 0)")


@pytest.mark.parametrize("variant", list(HEADER_VARIANTS.values()), ids=list(HEADER_VARIANTS))
def test_the_header_is_compact_and_the_tab_bar_leads_to_the_main_places(new_context, site, variant):
    person = a_person_aged_70()
    problems: list[str] = []
    heights: dict[str, float] = {}

    # a visitor: the tab bar's "me" leads to sign in
    page = new_context(variant, viewport=PHONE).new_page()
    page.goto(site + "/")
    heights["visitor home"] = header_height(page)
    check_tab_bar(page, variant, current="/", problems=problems)
    hrefs = [tab.get_attribute("href") for tab in page.locator("nav.tab-bar a").all()]
    assert hrefs[2:] == ["/account/login/?next=/me/for-you/", "/account/login/?next=/me/inbox/", "/account/login/"]
    check_page(page, variant, "phone-home", problems)

    # at the text-size control's largest step (30px) too, with the portal's name and every tab's label in full
    largest = new_context(variant, viewport=PHONE)
    mode = "elder" if variant.elder else "standard"
    largest.add_cookies([{"name": "display", "value": f"{mode}.4", "url": site}])
    page = largest.new_page()
    page.goto(site + "/")
    heights["visitor home, largest text"] = header_height(page)
    clipped = page.evaluate(
        "[...document.querySelectorAll('.brand, .tab-label')].filter(e => e.scrollWidth > e.clientWidth + 1)"
        ".map(e => e.textContent.trim())"
    )
    assert not clipped, f"cut short at the largest text: {clipped}"

    # a citizen on each of the main places
    context = new_context(variant, viewport=PHONE)
    sign_in_as(context, site, person.user)
    page = context.new_page()
    for path in [*TAB_PLACES, "/me/"]:
        page.goto(site + path)
        heights[path] = header_height(page)
        check_tab_bar(page, variant, current=path, problems=problems)
    check_page(page, variant, "phone-me", problems)

    # the hotline is one tap away, the switches and the menu two: "Menu" opens them
    page.goto(site + "/")
    assert page.locator(".site-header .hotline a[href^='tel:']").is_visible()
    switches = page.locator(".header-switches")
    assert not switches.is_visible()
    page.locator("summary.header-menu-button").click()
    assert page.locator("details.header-menu").get_attribute("open") is not None
    assert switches.is_visible() and page.locator(".site-nav a[href='/me/for-you/']").is_visible()
    check_page(page, variant, "phone-menu-open", problems)

    # on the desktop: the header's menu in full, no menu button and no tab bar
    page.set_viewport_size(DESKTOP)
    page.goto(site + "/")
    assert not page.locator("summary.header-menu-button").is_visible()
    assert not page.locator("nav.tab-bar").is_visible()
    assert page.locator(".site-nav a[href='/services/']").is_visible()
    assert switches.is_visible()
    check_page(page, variant, "desktop-signed-in", problems)

    print(f"\n{variant.name} header height at 390x844 (px): " + ", ".join(f"{k} {v:.0f}" for k, v in heights.items()))
    tall = {where: height for where, height in heights.items() if height > HEADER_MOST}
    assert not tall, f"headers over {HEADER_MOST:.0f}px: {tall}"
    if problems:
        print("\n\n".join(problems))
    assert not problems, "\n\n".join(problems)


def test_staff_keep_their_menu_and_have_no_tab_bar(new_context, site):
    caseworker = StaffFactory(role=Role.CASEWORKER, region_scope="450100")
    context = new_context(VARIANTS["zh"], viewport=PHONE)
    sign_in_as(context, site, caseworker)
    page = context.new_page()
    page.goto(site + "/casework/")
    assert page.locator("nav.tab-bar").count() == 0
    assert header_height(page) <= HEADER_MOST
    page.locator("summary.header-menu-button").click()
    assert page.locator(".site-nav a[href='/casework/']").is_visible()


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_for_you_shows_one_line_of_reason_and_why_opens_the_rest(new_context, site, variant):
    # given a 70-year-old's suggestions on a phone
    person = a_person_aged_70()
    context = new_context(variant, viewport=PHONE)
    sign_in_as(context, site, person.user)
    page = context.new_page()
    page.goto(site + "/me/for-you/")
    cards = page.locator("main ol.results > li")
    assert cards.count() > 0
    print(
        f"\n{variant.name} For you at 390x844: {cards.count()} suggestions, "
        f"{page.evaluate('document.documentElement.scrollHeight')}px long"
    )

    # then each shows one line of reason, and its sources only after "Why?"
    first = cards.first
    line = first.locator(".reason-line")
    box = line.bounding_box()
    line_height = line.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    assert box is not None and box["height"] <= line_height + 1
    assert not first.locator(".provenance").first.is_visible()
    why = first.locator("details.why > summary")
    assert (
        why.evaluate("el => el.textContent").strip().startswith("为什么推荐" if variant.html_lang != "en" else "Why?")
    )
    # keyboard: the summary takes focus and Enter opens it
    why.focus()
    page.keyboard.press("Enter")
    assert first.locator("details.why").get_attribute("open") is not None
    assert first.locator(".provenance").first.is_visible()
    screenshot(page, variant, "phone-for-you-why-open")
