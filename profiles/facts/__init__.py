"""The fact vocabulary (DESIGN section 3): stored facts and their validation. Derived facts, computed
from these, live with the rules in services_portal.eligibility.derived."""

from profiles.facts.registry import (
    AGE_ANSWER,
    FACTS,
    NONE_ANSWER,
    TOPICS,
    FactDefinition,
    FactsInvalid,
    FactType,
    FactValueError,
    Sensitivity,
    facts_clean,
)

__all__ = [
    "AGE_ANSWER",
    "FACTS",
    "NONE_ANSWER",
    "TOPICS",
    "FactDefinition",
    "FactType",
    "FactValueError",
    "FactsInvalid",
    "Sensitivity",
    "facts_clean",
]
