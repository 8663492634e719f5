"""The elder-mode switch's name and state, the text-size control (kept in the display cookie, without
scripts or an account), and text sizes in rem in site.css."""

from __future__ import annotations

import re

import pytest

from accessibility.preferences import TEXT_SIZE_ELDER, TEXT_SIZE_STANDARD, DisplayPreferences
from tests.conftest import ROOT

SITE_CSS = ROOT / "services_portal" / "static" / "portal" / "site.css"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def elder_switch(html: str) -> str:
    found = re.search(r'<button[^>]*name="elder_mode"[^>]*>[^<]*</button>', html)
    assert found is not None
    return found.group(0)


def pressed_sizes(html: str) -> list[str]:
    return re.findall(r'name="text_size" value="(\d)"[^>]*aria-pressed="true"', html)


@pytest.mark.parametrize(("language", "name"), [(EN, "Elder mode"), (ZH, "长辈模式")])
def test_the_elder_switch_keeps_its_name_and_tells_its_state(client, db, language, name):
    # given standard mode: the switch is named for elder mode, not pressed, and turns it on
    switch = elder_switch(client.get("/", **language).content.decode())
    assert f">{name}</button>" in switch and 'aria-pressed="false"' in switch and 'value="on"' in switch
    # when elder mode is on: the same name, pressed, and it turns it off
    client.post("/display/elder-mode/", {"elder_mode": "on", "next": "/"})
    switch = elder_switch(client.get("/", **language).content.decode())
    assert f">{name}</button>" in switch and 'aria-pressed="true"' in switch and 'value="off"' in switch


def test_elder_mode_starts_at_a_large_text_size(client, db):
    assert pressed_sizes(client.get("/").content.decode()) == [str(TEXT_SIZE_STANDARD)]
    assert 'data-text-size="1"' in client.get("/").content.decode()
    client.post("/display/elder-mode/", {"elder_mode": "on", "next": "/"})
    html = client.get("/").content.decode()
    assert pressed_sizes(html) == [str(TEXT_SIZE_ELDER)] and f'data-text-size="{TEXT_SIZE_ELDER}"' in html


def test_the_text_size_is_kept_in_the_cookie_signed_out_and_with_the_mode(client, db):
    # given elder mode
    client.post("/display/elder-mode/", {"elder_mode": "on", "next": "/"})
    # when the largest size is chosen (a plain form post)
    response = client.post("/display/text-size/", {"text_size": "4", "next": "/services/"})
    # then they return where they were, elder mode stays, and every page has the largest size
    assert response.status_code == 302 and response["Location"] == "/services/"
    assert response.cookies["display"].value == "elder.4"
    assert response.cookies["display"]["httponly"] and response.cookies["display"]["samesite"] == "Lax"
    html = client.get("/services/").content.decode()
    assert 'class="elder"' in html and 'data-text-size="4"' in html and pressed_sizes(html) == ["4"]
    # a size that is not a step changes nothing
    response = client.post("/display/text-size/", {"text_size": "9", "next": "/"})
    assert "display" not in response.cookies
    assert 'data-text-size="4"' in client.get("/").content.decode()
    # switching the mode starts from that mode's own size
    client.post("/display/elder-mode/", {"elder_mode": "off", "next": "/"})
    assert 'data-text-size="1"' in client.get("/").content.decode()


def test_the_text_size_control_needs_a_post_with_csrf_and_stays_on_the_site(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.get("/display/text-size/").status_code == 405
    assert strict.post("/display/text-size/", {"text_size": "2"}).status_code == 403
    response = Client().post("/display/text-size/", {"text_size": "2", "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("cookie", "elder", "size"),
    [("", False, 1), ("elder", True, 3), ("standard.4", False, 4), ("elder.2", True, 2), ("elder.7", True, 3)],
)
def test_the_cookie_is_read_old_and_new(cookie, elder, size):
    preferences = DisplayPreferences.from_cookie(cookie)
    assert (preferences.elder_mode, preferences.text_size) == (elder, size)


def test_the_size_control_is_named_in_both_languages(client, db):
    assert "<legend>Text size</legend>" in client.get("/", **EN).content.decode()
    assert "<legend>字号</legend>" in client.get("/", **ZH).content.decode()
    names = re.findall(r'name="text_size" value="\d"[^>]*>([^<]+)<', client.get("/", **ZH).content.decode())
    assert names == ["标准", "大", "较大", "特大"]


def test_site_css_sets_no_font_size_in_px():
    """Text sizes in rem, em or %: the browser's or phone's font setting scales them."""
    css = re.sub(r"/\*.*?\*/", "", SITE_CSS.read_text(encoding="utf-8"), flags=re.S)
    declarations = re.findall(r"(font(?:-size)?\s*:[^;}]*)", css)
    assert declarations, "site.css sets no font size at all"
    in_px = [declaration.strip() for declaration in declarations if re.search(r"\d(\.\d+)?px", declaration)]
    assert not in_px, in_px


def test_every_line_height_in_site_css_is_at_least_1_3():
    css = re.sub(r"/\*.*?\*/", "", SITE_CSS.read_text(encoding="utf-8"), flags=re.S)
    heights = [float(value) for value in re.findall(r"line-height\s*:\s*([\d.]+)\s*[;}]", css)]
    assert heights and min(heights) >= 1.3, heights
