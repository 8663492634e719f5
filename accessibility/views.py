from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accessibility.preferences import DisplayPreferences, display_preferences_save


@require_POST
def elder_mode_set(request: HttpRequest) -> HttpResponse:
    """The elder-mode switch: a plain form post, so it works without JavaScript."""
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    preferences = DisplayPreferences(elder_mode=request.POST.get("elder_mode") == "on")
    display_preferences_save(response=response, preferences=preferences, secure=settings.SESSION_COOKIE_SECURE)
    return response
