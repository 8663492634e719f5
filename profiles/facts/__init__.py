"""The fact vocabulary (DESIGN section 3): stored facts, derived facts and their validation."""

from profiles.facts.derived import DERIVED_FACTS, facts_with_derived, stored_facts_behind
from profiles.facts.registry import (
    AGE_ANSWER,
    FACTS,
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
    "DERIVED_FACTS",
    "FACTS",
    "TOPICS",
    "FactDefinition",
    "FactType",
    "FactValueError",
    "FactsInvalid",
    "Sensitivity",
    "facts_clean",
    "facts_with_derived",
    "stored_facts_behind",
]
