"""Elder mode's figures in Chromium: the text-size steps (body text per step, the largest at least 30px), text
that follows the browser's own font size, the switch's name and state as a screen reader hears them, and
read-aloud per section with pause, resume and stop.

The browser's font setting is Chromium's own (the DevTools protocol's Page.setFontSizes, what the settings
page changes). The speech engine is the one thing stood in for: headless Chromium has no voices, so an
init script records what the page asks of window.speechSynthesis.
"""

from __future__ import annotations

import pytest

from accessibility.preferences import TEXT_SIZE_ELDER, TEXT_SIZES
from tests.e2e.conftest import ELDER_TARGET_PX, VARIANTS, screenshot, targets_measured
from tests.e2e.test_casework_pages import sign_in_as
from tests.e2e.test_citizen_matrix import a_mother_with_an_application

pytestmark = pytest.mark.e2e

BODY_TEXT_PX = "parseFloat(getComputedStyle(document.body).fontSize)"
ROOT_PX = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
# At the browser's default of 16px, the body text of each step (accessibility/preferences.py, site.css).
EXPECTED_PX = {1: 17, 2: 20, 3: 24, 4: 30}

RECORD_SPEECH = """
(() => {
    const spoken = { said: [], calls: [], speaking: false, paused: false };
    window.spokenLog = spoken;
    const synth = {
        get speaking() { return spoken.speaking; },
        get paused() { return spoken.paused; },
        get pending() { return false; },
        speak(utterance) { spoken.said.push(utterance.text); spoken.speaking = true; spoken.last = utterance; },
        pause() { spoken.calls.push("pause"); spoken.paused = true; },
        resume() { spoken.calls.push("resume"); spoken.paused = false; },
        cancel() { spoken.calls.push("cancel"); spoken.speaking = false; spoken.said = []; },
        getVoices() { return []; },
        addEventListener() {}, removeEventListener() {},
    };
    Object.defineProperty(window, "speechSynthesis", { value: synth, configurable: true });
})();
"""
NO_SPEECH = "delete window.speechSynthesis; delete Window.prototype.speechSynthesis;"


def set_display(context, site: str, value: str) -> None:
    context.add_cookies([{"name": "display", "value": value, "url": site}])


@pytest.mark.parametrize("mode", ["standard", "elder"])
def test_each_text_size_step_and_the_largest_reaches_30px(new_context, site, mode):
    variant = VARIANTS["elder" if mode == "elder" else "zh"]
    context = new_context(variant)
    page = context.new_page()
    measured = {}
    for step in TEXT_SIZES:
        set_display(context, site, f"{mode}.{step}")
        page.goto(site + "/services/gx-elderly-allowance/")
        measured[step] = page.evaluate(BODY_TEXT_PX)
        assert page.evaluate("getComputedStyle(document.body).lineHeight.endsWith('px')")
        line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p')).lineHeight)")
        assert line >= 1.3 * measured[step], f"step {step}: line spacing {line / measured[step]:.2f}"
        pressed = page.locator("button[name=text_size][aria-pressed=true]")
        assert pressed.count() == 1 and pressed.get_attribute("value") == str(step)
    print(f"\n{mode}: body text per step (px) {measured}")
    assert measured == EXPECTED_PX
    assert measured[max(TEXT_SIZES)] >= 30
    screenshot(page, variant, f"text-size-{mode}-largest")


def test_elder_mode_starts_large_and_the_control_works_without_scripts(new_context, site):
    context = new_context(VARIANTS["elder"], javascript=False)
    page = context.new_page()
    page.goto(site + "/")
    assert page.evaluate(ROOT_PX) == EXPECTED_PX[TEXT_SIZE_ELDER]
    # the phone's header menu holds the control; without scripts it is still a details element
    menu = page.locator(".header-menu > summary")
    if menu.count() and menu.is_visible():
        menu.click()
    with page.expect_navigation():
        page.locator("button[name=text_size][value='4']").click()
    assert page.evaluate(ROOT_PX) == 30
    assert page.locator("body").get_attribute("class") == "elder"


@pytest.mark.parametrize("browser_default", [16, 20, 24])
def test_text_follows_the_browsers_font_size(new_context, site, browser_default):
    # given Chromium's font setting (chrome://settings/fonts), as a person with low vision sets it
    context = new_context(VARIANTS["zh"])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Page.enable")
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": browser_default, "fixed": 13}})
    found = {}
    for step in (1, 4):
        set_display(context, site, f"standard.{step}")
        page.goto(site + "/")
        found[step] = page.evaluate(BODY_TEXT_PX)
    # then every step is its share of it: larger setting, larger text
    print(f"\nbrowser default {browser_default}px: body text {found}")
    assert found[1] == pytest.approx(EXPECTED_PX[1] * browser_default / 16, abs=0.5)
    assert found[4] == pytest.approx(EXPECTED_PX[4] * browser_default / 16, abs=0.5)


@pytest.mark.parametrize(("variant", "name"), [(VARIANTS["zh"], "长辈模式"), (VARIANTS["en"], "Elder mode")])
def test_the_elder_switch_is_heard_with_one_name_and_its_state(new_context, site, variant, name):
    context = new_context(variant, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(site + "/")
    switch = page.get_by_role("button", name=name, exact=True)
    assert switch.count() == 1 and switch.get_attribute("aria-pressed") == "false"
    with page.expect_navigation():
        switch.click()
    assert page.locator("body").get_attribute("class") == "elder"
    switch = page.get_by_role("button", name=name, exact=True, pressed=True)
    assert switch.count() == 1
    with page.expect_navigation():
        switch.click()
    assert page.get_by_role("button", name=name, exact=True, pressed=False).count() == 1


def test_read_aloud_reads_a_section_with_pause_resume_and_stop(new_context, site):
    variant = VARIANTS["en"]
    context = new_context(variant, viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_SPEECH)
    page = context.new_page()
    page.goto(site + "/services/gx-elderly-allowance/")
    headings = page.locator("main h2").all_inner_texts()
    sections = page.locator("main .read-aloud-section")
    assert sections.count() >= 2, headings
    # each section's button is named after its heading
    first = sections.first
    read = first.locator("[data-read-aloud-action=read]")
    heading = page.locator("main h2").first.inner_text()
    names = page.locator("main .read-aloud-section [data-read-aloud-action=read]").all_inner_texts()
    assert page.get_by_role("button", name=f"Read this part aloud: {heading}").count() == 1, (names, headings)
    assert first.locator("[data-read-aloud-action=pause]").is_hidden()

    # when it is read: the section alone, a sentence at a time, with pause and stop shown
    read.click()
    said = page.evaluate("window.spokenLog.said")
    assert said and said[0].startswith(heading)
    whole_page = page.locator("main").inner_text()
    assert len(" ".join(said)) < len(whole_page) / 2
    pause = first.locator("[data-read-aloud-action=pause]")
    stop = first.locator("[data-read-aloud-action=stop]")
    assert pause.is_visible() and pause.inner_text() == "Pause" and stop.is_visible()
    screenshot(page, variant, "read-aloud-section-playing")

    # pause, then resume, then stop: the button says what it will do
    pause.click()
    assert pause.inner_text() == "Resume"
    pause.click()
    assert pause.inner_text() == "Pause"
    stop.click()
    assert page.evaluate("window.spokenLog.calls") == ["pause", "resume", "cancel"]
    assert pause.is_hidden() and stop.is_hidden()
    assert page.evaluate("document.activeElement.getAttribute('data-read-aloud-action')") == "read"

    # and the whole page: the page's own control reads from the first heading on
    page.locator("main > .read-aloud:not(.read-aloud-section) [data-read-aloud-action=read]").click()
    assert page.evaluate("window.spokenLog.said.join(' ')").find(heading) > 0


def test_read_aloud_is_hidden_without_speech_synthesis(new_context, site):
    context = new_context(VARIANTS["elder"])
    context.add_init_script(NO_SPEECH)
    page = context.new_page()
    page.goto(site + "/services/gx-elderly-allowance/")
    assert page.evaluate("'speechSynthesis' in window") is False
    assert page.locator(".read-aloud:visible").count() == 0
    assert page.locator(".read-aloud-section").count() == 0


LARGEST_TEXT_PAGES = ["/", "/services/", "/services/gx-elderly-allowance/", "/services/bundles/birth/", "/screener/"]
LARGEST_TEXT_PAGES += ["/account/login/", "/account/signup/", "/algorithm/"]
LARGEST_TEXT_SIGNED_IN = ["/me/", "/me/facts/", "/me/consents/", "/me/inbox/", "/me/cases/", "/me/cases/{case}/"]
LARGEST_TEXT_SIGNED_IN += ["/bundles/birth/apply/", "/me/access-log/", "/me/export/", "/me/for-you/"]


def test_the_largest_text_fits_a_phone_in_elder_mode(new_context, site, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    mother, case = a_mother_with_an_application()
    # given elder mode at the largest step on a 390px-wide phone
    variant = VARIANTS["elder"]
    context = new_context(variant, viewport={"width": 390, "height": 844})
    set_display(context, site, f"elder.{max(TEXT_SIZES)}")
    page = context.new_page()
    problems = []
    signed_in = [path.format(case=case.pk) for path in LARGEST_TEXT_SIGNED_IN]
    for path in [*LARGEST_TEXT_PAGES, None, *signed_in]:
        if path is None:
            sign_in_as(context, site, mother.user)
            continue
        page.goto(site + path)
        # then the text is 30px, nothing scrolls sideways, and every target stays 60x60
        assert page.evaluate(BODY_TEXT_PX) == EXPECTED_PX[max(TEXT_SIZES)]
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            problems.append(f"{path}: {width}px wide")
        problems += [
            f"{path}: {target['width']:.0f}x{target['height']:.0f}px {target['what']}"
            for target in targets_measured(page)
            if min(target["width"], target["height"]) < ELDER_TARGET_PX - 0.5
        ]
    screenshot(page, variant, "largest-text-for-you")
    assert not problems, "\n".join(problems)
