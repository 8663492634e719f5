"""Life-event membership: which life events (newborn parents, graduates, the elderly ...) people are in.

One batch function for everyone who asks: profiles' tags, the recommender's features, push triggers
and the simulator. Facts in, memberships out; the catalog supplies the rules (`LifeEventRule`), this
module knows nothing of where they are kept.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from services_portal.eligibility.derived import stored_facts_behind
from services_portal.eligibility.engine import (
    CompiledExpression,
    CriterionRule,
    PersonFacts,
    ServiceRules,
    Status,
    expression_compile,
)
from services_portal.eligibility.population import MET, Population, population_evaluate


@dataclass(frozen=True)
class LifeEventRule:
    """A life event's code and compiled expression: what membership needs of a catalog entry."""

    code: str
    compiled: CompiledExpression

    @classmethod
    def build(cls, code: str, expression: str) -> LifeEventRule:
        return cls(code, expression_compile(expression))

    @property
    def basis_keys(self) -> frozenset[str]:
        """The stored facts that put a person in the event: the basis shown with a tag."""
        return frozenset(stored for symbol in self.compiled.symbols for stored in stored_facts_behind(symbol))


def life_events_evaluate(
    *, facts: Mapping[int, Mapping[str, Any]], rules: Sequence[LifeEventRule], on: datetime.date
) -> dict[int, frozenset[str]]:
    """For each person (by key of `facts`, their clean stored facts), the codes of the life events
    whose expression is met on `on`. An event whose facts are unknown is not a membership."""
    return {person: life_events_of(known, rules=rules, on=on) for person, known in facts.items()}


def life_events_of(facts: Mapping[str, Any], *, rules: Sequence[LifeEventRule], on: datetime.date) -> frozenset[str]:
    """One person's memberships (see life_events_evaluate)."""
    person = PersonFacts(facts, on)
    return frozenset(rule.code for rule in rules if person.status(rule.compiled)[0] == Status.MET)


def life_events_population(
    population: Population, *, rules: Sequence[LifeEventRule], on: datetime.date
) -> npt.NDArray[np.bool_]:
    """(people x events): who is in each life event, for a whole population at once; the same answers
    as life_events_of, person by person."""
    as_services = [ServiceRules(rule.code, (CriterionRule(rule.code, "", "", rule.compiled),)) for rule in rules]
    statuses = population_evaluate(population, on=on, services=as_services).statuses
    if not rules:
        return np.zeros((population.size, 0), dtype=bool)
    return np.stack([statuses[rule.compiled.text] == MET for rule in rules], axis=1)
