"""Reading recommendations: the "for you" list with its reasons."""

from __future__ import annotations

from profiles.models import Citizen
from recommender.explanations import ForYou


def recommendations_for(citizen: Citizen, *, limit: int = 10) -> ForYou:
    """The person's ranked services with reasons, in the active language."""
    raise NotImplementedError  # written in this issue; the pages are built against this signature
