"""Display preferences (适老化): elder mode, remembered in a cookie so it works signed out too."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

COOKIE_NAME = "display"
COOKIE_MAX_AGE = 60 * 60 * 24 * 365


@dataclass(frozen=True)
class DisplayPreferences:
    elder_mode: bool = False

    @classmethod
    def from_request(cls, request: HttpRequest) -> DisplayPreferences:
        return cls(elder_mode=request.COOKIES.get(COOKIE_NAME) == "elder")

    def page_size(self, standard: int) -> int:
        """Fewer items per screen in elder mode."""
        return max(3, standard // 3) if self.elder_mode else standard

    @property
    def body_class(self) -> str:
        return "elder" if self.elder_mode else "standard"


def display_preferences_save(*, response: HttpResponse, preferences: DisplayPreferences, secure: bool) -> None:
    response.set_cookie(
        COOKIE_NAME,
        "elder" if preferences.elder_mode else "standard",
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        secure=secure,
        httponly=True,
    )
