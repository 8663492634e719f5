from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accessibility.preferences import DisplayPreferences


class DisplayHttpRequest(HttpRequest):
    """A request as this middleware leaves it: what views that read `request.display` annotate theirs with."""

    display: DisplayPreferences


class DisplayPreferencesMiddleware:
    """Puts the visitor's display preferences on `request.display`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.display = DisplayPreferences.from_request(request)  # type: ignore[attr-defined]
        return self.get_response(request)
