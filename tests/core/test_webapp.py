"""The installable web app's manifest, service worker and offline page (services_portal/core/webapp.py);
installing it and going offline in a browser are tested in tests/e2e/test_phone_first.py."""

import json
import re
import shutil

import pytest
from django.contrib.staticfiles import finders

from tests.factories import MODEL_BACKEND, citizen_make


def shell_of(worker: str) -> list[str]:
    return json.loads(re.search(r"var SHELL = (\[.*?\]);", worker).group(1))


def version_of(worker: str) -> str:
    return re.search(r'var VERSION = "([0-9a-f]+)";', worker).group(1)


@pytest.mark.parametrize(
    ("language", "name", "short_name"),
    [("zh-hans", "广西政务服务", "广西政务"), ("en", "Guangxi Government Services", "Gov Services")],
)
def test_the_manifest_in_each_language(client, db, language, name, short_name):
    response = client.get(f"/manifest-{language}.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert (manifest["name"], manifest["short_name"]) == (name, short_name)
    assert manifest["id"] == manifest["start_url"] == manifest["scope"] == "/"
    assert manifest["display"] == "standalone" and manifest["theme_color"] == "#9e1b1b"
    for icon in manifest["icons"]:
        path = icon["src"].removeprefix("/static/")
        assert finders.find(path), f"{icon['src']} is not a static file"


def test_a_manifest_in_another_language_is_not_found(client, db):
    assert client.get("/manifest-fr.webmanifest").status_code == 404


def test_every_page_links_the_manifest_of_its_language(client, db):
    assert 'href="/manifest-en.webmanifest"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/manifest-zh-hans.webmanifest"' in client.get("/", HTTP_ACCEPT_LANGUAGE="zh").content.decode()


def test_the_worker_keeps_only_static_files_and_the_offline_page(client, db):
    response = client.get("/sw.js")
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    shell = shell_of(response.content.decode())
    assert shell[-1] == "/offline/"
    assert all(url.startswith("/static/") for url in shell[:-1])


def test_the_offline_page_is_the_same_for_everyone(client, db):
    # given the offline page for a visitor, and for a signed-in citizen in English
    anonymous = client.get("/offline/").content.decode()
    citizen = citizen_make(name="韦秀英")
    client.force_login(citizen.user, backend=MODEL_BACKEND)
    signed_in = client.get("/offline/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # then it is one page, in both languages, naming no one and carrying no form's token
    assert signed_in == anonymous
    assert "当前没有网络连接" in anonymous and "You are offline" in anonymous
    assert "韦秀英" not in signed_in and "csrfmiddlewaretoken" not in signed_in


def test_a_changed_shell_file_brings_a_new_worker(client, db, settings, tmp_path):
    # given the worker as deployed
    before = client.get("/sw.js").content.decode()

    # when site.css changes (a copy of the static folder, found first)
    static = tmp_path / "static"
    shutil.copytree(settings.STATICFILES_DIRS[0], static)
    (static / "portal" / "site.css").write_text("body { color: #000; }", encoding="utf-8")
    settings.STATICFILES_DIRS = [static]
    finders.get_finder.cache_clear()
    try:
        after = client.get("/sw.js").content.decode()
    finally:
        finders.get_finder.cache_clear()

    # then the worker's bytes and the name of its cache change, and its list does not
    assert version_of(after) != version_of(before)
    assert shell_of(after) == shell_of(before)
