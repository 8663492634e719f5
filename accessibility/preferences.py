"""Display preferences (适老化): elder mode and text size, remembered in a cookie so they work signed out too.

The cookie holds the mode and, once the visitor chose one, the text size: "elder", "standard", "elder.4",
"standard.2". A text size is a step of the root font size as a share of the browser's own (site.css,
`body[data-text-size]`), so the browser's or phone's font setting scales every step.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.utils.translation import pgettext_lazy

COOKIE_NAME = "display"
COOKIE_MAX_AGE = 60 * 60 * 24 * 365

# The steps of the text-size control, smallest first. At the browser's default of 16px the root font size
# (site.css) is 17, 20, 24 and 30px; elder mode starts at the third.
TEXT_SIZES = {
    1: pgettext_lazy("text size", "Normal"),
    2: pgettext_lazy("text size", "Large"),
    3: pgettext_lazy("text size", "Larger"),
    4: pgettext_lazy("text size", "Largest"),
}
TEXT_SIZE_STANDARD = 1
TEXT_SIZE_ELDER = 3


@dataclass(frozen=True)
class DisplayPreferences:
    elder_mode: bool = False
    # The step the visitor chose; None: the mode's own (TEXT_SIZE_STANDARD or TEXT_SIZE_ELDER).
    chosen_text_size: int | None = None

    @classmethod
    def from_request(cls, request: HttpRequest) -> DisplayPreferences:
        return cls.from_cookie(request.COOKIES.get(COOKIE_NAME, ""))

    @classmethod
    def from_cookie(cls, value: str) -> DisplayPreferences:
        mode, _dot, size = value.partition(".")
        chosen = int(size) if size.isdigit() and int(size) in TEXT_SIZES else None
        return cls(elder_mode=mode == "elder", chosen_text_size=chosen)

    @property
    def cookie_value(self) -> str:
        mode = "elder" if self.elder_mode else "standard"
        return mode if self.chosen_text_size is None else f"{mode}.{self.chosen_text_size}"

    @property
    def text_size(self) -> int:
        if self.chosen_text_size is not None:
            return self.chosen_text_size
        return TEXT_SIZE_ELDER if self.elder_mode else TEXT_SIZE_STANDARD

    def page_size(self, standard: int) -> int:
        """Fewer items per screen in elder mode."""
        return max(3, standard // 3) if self.elder_mode else standard

    @property
    def body_class(self) -> str:
        return "elder" if self.elder_mode else "standard"

    @property
    def text_size_choices(self) -> list[tuple[int, str, bool]]:
        """Each step of the text-size control: its number, its name, and whether it is the one in use."""
        return [(step, str(name), step == self.text_size) for step, name in TEXT_SIZES.items()]


def display_preferences_save(*, response: HttpResponse, preferences: DisplayPreferences, secure: bool) -> None:
    response.set_cookie(
        COOKIE_NAME,
        preferences.cookie_value,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        secure=secure,
        httponly=True,
    )
