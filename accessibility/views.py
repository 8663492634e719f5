from dataclasses import replace

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accessibility.preferences import TEXT_SIZES, DisplayPreferences, display_preferences_save


def _back(request: HttpRequest) -> HttpResponseRedirect:
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    return HttpResponseRedirect(next_url)


@require_POST
def elder_mode_set(request: HttpRequest) -> HttpResponse:
    """The elder-mode switch: a plain form post, so it works without JavaScript. Switching either way
    starts from the mode's own text size (elder mode's is large)."""
    response = _back(request)
    preferences = DisplayPreferences(elder_mode=request.POST.get("elder_mode") == "on")
    display_preferences_save(response=response, preferences=preferences, secure=settings.SESSION_COOKIE_SECURE)
    return response


@require_POST
def text_size_set(request: HttpRequest) -> HttpResponse:
    """The text-size control: one of TEXT_SIZES, kept with the mode. Anything else leaves the size as it was."""
    response = _back(request)
    current = DisplayPreferences.from_request(request)
    size = request.POST.get("text_size", "")
    if size.isdigit() and int(size) in TEXT_SIZES:
        preferences = replace(current, chosen_text_size=int(size))
        display_preferences_save(response=response, preferences=preferences, secure=settings.SESSION_COOKIE_SECURE)
    return response
