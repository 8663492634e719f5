"""Eligibility for a whole population at once: the per-person engine's answers, worked out on columns.

Each criterion (the rule-engine expression editors write) is compiled from its AST into numpy operations
under the three-valued semantics of the per-person engine (docs/adr/0011-population-evaluator.md):
Kleene logic as two boolean arrays per node (may be true, may be false), numbers as intervals (lo, hi),
facts with few values as integer codes (-1 unknown). Unknown yes/no and choice facts are tried value by
value where a single pass would not be exact (a fact read twice, or behind a derived fact, or beside a
value that does not exist); derived facts are worked out vectorised (derived_columns.py). A criterion
whose expression uses something not compiled here is evaluated person by person with the engine itself,
so the answers stay the same. tests/eligibility/test_population.py holds the two side by side.
"""

from services_portal.eligibility.population.columns import Population, population_from_facts
from services_portal.eligibility.population.evaluation import (
    ELIGIBLE,
    MAYBE,
    MET,
    NOT_ELIGIBLE,
    NOT_MET,
    OPEN,
    UNKNOWN,
    PopulationEligibility,
    population_evaluate,
)
from services_portal.eligibility.population.loading import population_load

__all__ = [
    "ELIGIBLE",
    "MAYBE",
    "MET",
    "NOT_ELIGIBLE",
    "NOT_MET",
    "OPEN",
    "UNKNOWN",
    "Population",
    "PopulationEligibility",
    "population_evaluate",
    "population_from_facts",
    "population_load",
]
