"""Every service's criteria for everyone at once: statuses, outcomes, and each person's results."""

from __future__ import annotations

import datetime
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from services_portal.eligibility.derived import DERIVED_FACTS
from services_portal.eligibility.derived_columns import Ints
from services_portal.eligibility.engine import (
    STAND_INS as ENGINE_STAND_INS,
)
from services_portal.eligibility.engine import (
    CriterionResult,
    CriterionRule,
    Outcome,
    ServiceEligibility,
    ServiceRules,
    Status,
    eligibility_evaluate,
)
from services_portal.eligibility.population.columns import Population, Rows, Truth, domain_size
from services_portal.eligibility.population.compiler import Criterion, criterion_for

logger = logging.getLogger(__name__)

# Criterion statuses and service outcomes as int8 codes, ordered so that a service's outcome is the largest
# of its criteria's statuses: one not met makes it not eligible, else one unknown makes it maybe.
MET, UNKNOWN, NOT_MET = 0, 1, 2
ELIGIBLE, MAYBE, NOT_ELIGIBLE, OPEN = 0, 1, 2, 3
STATUSES = (Status.MET, Status.UNKNOWN, Status.NOT_MET)
OUTCOMES = (Outcome.ELIGIBLE, Outcome.MAYBE, Outcome.NOT_ELIGIBLE, Outcome.OPEN)

# What stands in for a value that does not exist (no children: no youngest child): the engine's, as numbers.
STAND_INS: dict[Any, tuple[float, ...]] = {
    rule_type: tuple(float(value) for value in values) for rule_type, values in ENGINE_STAND_INS.items()
}

# -- evaluation ---------------------------------------------------------------------------------------


def _status_of(truth: Truth) -> npt.NDArray[np.int8]:
    """MET (0) where only true is possible, NOT_MET (2) where only false, UNKNOWN (1) where both."""
    may_true, may_false = truth
    statuses: npt.NDArray[np.int8] = may_false.view(np.int8) - may_true.view(np.int8) + np.int8(UNKNOWN)
    return statuses


def _status_one(criterion: Criterion, rows: Rows) -> tuple[npt.NDArray[np.int8], bool]:
    """Step 2 of docs/adr/0011 for one assignment: values that do not exist replaced by each stand-in.
    Also says whether some value did not exist."""
    none_symbols = [symbol for symbol in criterion.none_able if rows.derived(symbol).none.any()]
    if not none_symbols:
        return _status_of(criterion.root.truth(rows, {})), False
    some_false = np.zeros(rows.size, dtype=bool)
    all_true = np.ones(rows.size, dtype=bool)
    choices = [STAND_INS[DERIVED_FACTS[symbol].rule_type] for symbol in none_symbols]
    for values in itertools.product(*choices):
        may_true, may_false = criterion.root.truth(rows, dict(zip(none_symbols, values, strict=True)))
        some_false |= may_false & ~may_true
        all_true &= may_true & ~may_false
    statuses = np.where(some_false, np.int8(NOT_MET), np.where(all_true, MET, UNKNOWN)).astype(np.int8)
    return statuses, True


def _statuses(criterion: Criterion, rows: Rows) -> npt.NDArray[np.int8]:
    """Steps 1 to 4 of docs/adr/0011: over every assignment of the unknown yes/no and choice facts that need it."""
    statuses, none_seen = _status_one(criterion, rows)
    # Where a value that does not exist is in play, a single pass over an unknown choice is not exact
    # (some stand-in fails for every value is not the same as one stand-in failing for all of them).
    enumerated = criterion.finite if none_seen else criterion.enumerated
    if not enumerated:
        return statuses
    unknown = np.zeros(rows.size, dtype=bool)
    for key in enumerated:
        unknown |= ~rows.code(key).known
    index = np.flatnonzero(unknown)
    if not len(index):
        return statuses
    all_met = np.ones(len(index), dtype=bool)
    all_not_met = np.ones(len(index), dtype=bool)
    for codes in itertools.product(*(range(domain_size(key)) for key in enumerated)):
        some = Rows(rows.population, rows.on, index, dict(zip(enumerated, codes, strict=True)))
        assigned, _ = _status_one(criterion, some)
        all_met &= assigned == MET
        all_not_met &= assigned == NOT_MET
    statuses[index] = np.where(all_met, np.int8(MET), np.where(all_not_met, NOT_MET, UNKNOWN))
    return statuses


def _statuses_person_by_person(rule: CriterionRule, population: Population, on: datetime.date) -> npt.NDArray[np.int8]:
    services = [ServiceRules("", (rule,))]
    codes = {status: code for code, status in enumerate(STATUSES)}
    results = [
        eligibility_evaluate(facts=population.facts(i), on=on, services=services)[0].results[0]
        for i in range(population.size)
    ]
    return np.array([codes[result.status] for result in results], dtype=np.int8)


@dataclass(eq=False)
class PopulationEligibility:
    """Every person's outcome for every service, and every criterion's status per person."""

    ids: Ints
    outcomes: npt.NDArray[np.int8]  # (people, services): ELIGIBLE, NOT_ELIGIBLE, MAYBE or OPEN
    statuses: dict[str, npt.NDArray[np.int8]]  # per criterion expression text: MET, NOT_MET or UNKNOWN
    services: Sequence[ServiceRules]
    population: Population

    def person(self, i: int) -> list[ServiceEligibility]:
        """Row i's results as eligibility_evaluate gives them."""
        results = []
        for j, rules in enumerate(self.services):
            outcome = OUTCOMES[self.outcomes[i, j]]
            criteria = []
            for criterion in rules.criteria:
                status = STATUSES[self.statuses[criterion.compiled.text][i]]
                missing: tuple[str, ...] = ()
                if status == Status.UNKNOWN:
                    missing = self.population.missing(criterion.compiled, i)
                criteria.append(CriterionResult(criterion, status, missing))
            results.append(ServiceEligibility(rules.code, outcome, tuple(criteria)))
        return results


def population_evaluate(
    population: Population, *, on: datetime.date, services: Sequence[ServiceRules]
) -> PopulationEligibility:
    """Every service's criteria for everyone at once, each distinct criterion once."""
    rows = Rows(population, on)
    statuses: dict[str, npt.NDArray[np.int8]] = {}
    by_hand = 0
    for rules in services:
        for criterion in rules.criteria:
            text = criterion.compiled.text
            if text in statuses:
                continue
            compiled = criterion_for(criterion.compiled)
            if compiled is None:
                statuses[text] = _statuses_person_by_person(criterion, population, on)
                by_hand += 1
            else:
                statuses[text] = _statuses(compiled, rows)
    if by_hand:
        logger.info("%d criteria evaluated person by person for %d people", by_hand, population.size)
    outcomes = np.empty((len(services), population.size), dtype=np.int8)
    for j, rules in enumerate(services):
        if not rules.criteria:
            outcomes[j] = OPEN
        elif len(rules.criteria) == 1:
            outcomes[j] = statuses[rules.criteria[0].compiled.text]
        else:
            np.maximum.reduce([statuses[criterion.compiled.text] for criterion in rules.criteria], out=outcomes[j])
    return PopulationEligibility(population.ids, outcomes.T, statuses, services, population)
