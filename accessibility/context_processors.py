from django.http import HttpRequest

from accessibility.preferences import DisplayPreferences


def display_preferences(request: HttpRequest) -> dict:
    display = getattr(request, "display", None) or DisplayPreferences.from_request(request)
    return {"display": display, "elder_mode": display.elder_mode}
