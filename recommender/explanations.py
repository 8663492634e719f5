"""What a recommendation says about itself: reasons a person understands, in their language."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from services_portal.catalog.models import ServiceItem


class ReasonKind(StrEnum):
    LIFE_EVENT = "life_event"  # a life event the person's facts put them in
    CRITERIA = "criteria"  # the service's eligibility criteria they meet
    COLLABORATIVE = "collaborative"  # ALS: people who took the person's services also took this one
    SIMILAR_PEOPLE = "similar_people"  # LightFM: people with the same traits use this service
    POPULAR = "popular"  # non-personalised: used by many people in the person's region
    ESSENTIAL = "essential"  # essential assistance the person qualifies for, kept in the list


class Source(StrEnum):
    RULES = "rules"
    ALS = "als"
    LIGHTFM = "lightfm"
    POPULARITY = "popularity"


@dataclass(frozen=True)
class FactBasis:
    """A fact behind a reason, with where it came from."""

    key: str
    label: str
    value: str
    source: str  # "You told us", "Government department", "Counter staff" in the active language
    department: str = ""  # the department's name when a department delivered it
    observed_on: str = ""  # ISO date


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    text: str  # one sentence in the active language
    life_event: str = ""  # life event code, for LIFE_EVENT
    facts: tuple[FactBasis, ...] = ()
    criteria: tuple[str, ...] = ()  # labels of the criteria met, for CRITERIA
    services: tuple[ServiceItem, ...] = ()  # the person's services that led here, for COLLABORATIVE
    traits: tuple[str, ...] = ()  # labels of the person's traits that led here, for SIMILAR_PEOPLE


@dataclass(frozen=True)
class Recommendation:
    service: ServiceItem
    score: float
    sources: tuple[Source, ...]
    reasons: tuple[Reason, ...]
    eligible: bool  # True: every criterion met, or none to meet; False: none failed but some fact is missing
    missing_facts: tuple[str, ...] = ()  # labels of the facts that would settle a "maybe"
    open_to_everyone: bool = False  # no criteria: anyone can use it, so it is never "you qualify"

    @property
    def criteria_met(self) -> int:
        """How many of the service's criteria the person meets, as its reasons name them."""
        return max((len(reason.criteria) for reason in self.reasons if reason.kind == ReasonKind.CRITERIA), default=0)


class Fallback(StrEnum):
    """Why a list is not personalised."""

    NO_CONSENT = "no_consent"
    SWITCHED_OFF = "switched_off"
    NO_MODEL = "no_model"
    MODEL_UNAVAILABLE = "model_unavailable"


@dataclass(frozen=True)
class ForYou:
    personalised: bool
    items: list[Recommendation] = field(default_factory=list)
    model_version: int | None = None
    fallback: Fallback | None = None
