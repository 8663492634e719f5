"""The installable web app: its manifest, its service worker and the page the worker shows offline.

What the service worker may keep (the rule, also in the README, "Installable web app"): only the app
shell, that is the static files named in `SHELL_FILES` and the offline page, each fetched without
cookies when the worker is installed. It stores nothing while the portal is used: no page a person
navigates to (signed in or not), no API answer, no response to a request that carried cookies. A page
that cannot be loaded offline shows the offline page instead.
"""

import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

BRAND_COLOUR = "#9e1b1b"  # --brand in site.css; the icons are drawn in it (manage.py app_icons)
BACKGROUND_COLOUR = "#ffffff"
ICONS = [
    {"src": "portal/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
    {"src": "portal/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    {"src": "portal/icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
]
# The app shell the service worker keeps, as static paths; nothing here may depend on who asks.
SHELL_FILES = [
    "portal/site.css",
    "portal/portal.js",
    "portal/live.js",
    *(icon["src"] for icon in ICONS),
    "portal/icons/apple-touch-icon-180.png",
]
MANIFEST_LANGUAGES = {code for code, _name in settings.LANGUAGES}


@require_safe
@cache_control(public=True, max_age=60 * 60)
def manifest(request: HttpRequest, language: str) -> JsonResponse:
    """The web app manifest in one of the portal's languages (the browser fetches it without cookies, so
    the language is in its address: base.html links the page's own)."""
    if language not in MANIFEST_LANGUAGES:
        raise Http404
    with translation.override(language):
        body = {
            # one app whichever language's manifest installed it
            "id": "/",
            "name": str(settings.PORTAL_NAME),
            "short_name": gettext("Gov Services"),
            "description": gettext("Government services of Guangxi: find what you can get, apply and follow it."),
            "lang": "en" if language == "en" else "zh-Hans",
            "dir": "ltr",
            "start_url": reverse("core:home"),
            "scope": "/",
            "display": "standalone",
            "theme_color": BRAND_COLOUR,
            "background_color": BACKGROUND_COLOUR,
            "icons": [{**icon, "src": static(icon["src"])} for icon in ICONS],
            "shortcuts": [
                {"name": gettext("All services"), "url": reverse("catalog:service_list")},
                {"name": gettext("For you"), "url": reverse("recommender:for_you")},
                {"name": gettext("Inbox"), "url": reverse("notifications:inbox")},
            ],
        }
    return JsonResponse(body, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


def _offline_html(request: HttpRequest) -> str:
    return loader.render_to_string("core/offline.html", request=request)


@require_safe
def offline(request: HttpRequest) -> HttpResponse:
    """What the service worker shows when a page cannot be loaded: in both languages, since the worker
    keeps one copy; nothing in it depends on who asks."""
    return HttpResponse(_offline_html(request))


def _shell_version(offline_html: str) -> str:
    """Changes whenever a file of the shell or the offline page does, so that a deploy brings a new worker
    (browsers compare its bytes) and with it a new cache, and the old one is deleted."""
    digest = hashlib.sha256(offline_html.encode())
    for path in SHELL_FILES:
        digest.update(static(path).encode())
        found = finders.find(path)
        if isinstance(found, str):
            with open(found, "rb") as file:
                digest.update(file.read())
    return digest.hexdigest()[:16]


@require_safe
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """/sw.js: served from the root so that its scope is the whole site; revalidated on every update check."""
    offline_url = reverse("core:offline")
    body = loader.render_to_string(
        "core/sw.js",
        {
            "version": _shell_version(_offline_html(request)),
            "offline_url": json.dumps(offline_url),
            "shell": json.dumps([static(path) for path in SHELL_FILES] + [offline_url]),
        },
    )
    return HttpResponse(body, content_type="text/javascript; charset=utf-8")
