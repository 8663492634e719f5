"""The one domain error type. The API turns it into one JSON shape; pages into form errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class PortalError(Exception):
    """An error the user can fix: a code for machines, a translated message for people.

    `fields` maps an input field to its messages, for errors about particular inputs.
    """

    status_code = 400

    def __init__(self, code: str, message: str, *, fields: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = {key: list(messages) for key, messages in (fields or {}).items()}
