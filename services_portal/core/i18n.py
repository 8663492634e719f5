"""Bilingual content stored in the database: one column per language, read in the active one."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language

LANGUAGE_FIELDS = {"zh-hans": "zh", "en": "en"}


def active_suffix() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


def pick(texts: dict[str, str] | None) -> str:
    """The active language's entry of a {"zh-hans": ..., "en": ...} mapping, falling back to Chinese."""
    if not texts:
        return ""
    if active_suffix() == "en" and texts.get("en"):
        return texts["en"]
    return texts.get("zh-hans") or texts.get("en") or ""


class translated:  # noqa: N801 - used as a descriptor, like property
    """`name = translated("name")` reads `name_zh` or `name_en` in the active language."""

    def __init__(self, base: str) -> None:
        self.base = base

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = getattr(instance, f"{self.base}_{active_suffix()}")
        return value or getattr(instance, f"{self.base}_zh")
