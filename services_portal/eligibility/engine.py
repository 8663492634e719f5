"""Eligibility: evaluating a service's criteria against a person's facts.

One function family serves the screener, the recommender's hard filter, casework detection and
the counter desk. Criteria are `rule-engine` expressions over stored and derived facts; each is
compiled once and cached, never passed to Python's `eval`.

Per criterion the answer is met, not met, or unknown (a fact it needs is missing); per service,
"eligible", "not eligible" (some criterion not met), or "maybe" (none failed, some unknown), or "open"
when it has no criteria at all: anyone can use it, so nothing about the person qualifies them for it.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

import rule_engine
from django.utils.translation import gettext as _
from rule_engine import ast as rule_ast

from profiles.facts import FACTS
from services_portal.core.errors import PortalError
from services_portal.core.i18n import active_suffix
from services_portal.eligibility.derived import DERIVED_FACTS, facts_with_derived, stored_facts_behind


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    MAYBE = "maybe"
    OPEN = "open"  # no criteria: open to everyone, never "you qualify"


SYMBOL_TYPES: dict[str, Any] = {
    # identity facts (a name, a phone) only prove who a person is: no criterion may read them
    **{key: fact.rule_type for key, fact in FACTS.items() if not fact.identity},
    **{key: fact.rule_type for key, fact in DERIVED_FACTS.items()},
}


class _FactMissing(Exception):
    """Raised by the resolver for a fact the person has not given; cheaper than rule-engine's own
    SymbolResolutionError, which computes spelling suggestions for every miss."""


def _resolve(facts: Mapping[str, Any], name: str) -> Any:
    try:
        return facts[name]
    except KeyError:
        raise _FactMissing(name) from None


_CONTEXT = rule_engine.Context(type_resolver=rule_engine.type_resolver_from_dict(SYMBOL_TYPES), resolver=_resolve)


class ExpressionInvalid(PortalError):
    pass


def _symbols(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, rule_ast.SymbolExpression):
        found.add(node.name)
    children: Iterable[Any] = vars(node).values() if hasattr(node, "__dict__") else ()
    for child in children:
        if isinstance(child, rule_ast.ExpressionBase):
            _symbols(child, found)
        elif isinstance(child, (list, tuple)):
            for item in child:
                if isinstance(item, rule_ast.ExpressionBase):
                    _symbols(item, found)
    return found


@dataclass(frozen=True)
class CompiledExpression:
    text: str
    rule: rule_engine.Rule
    symbols: frozenset[str]

    @property
    def needs(self) -> tuple[str, ...]:
        """The stored facts a person would tell us to settle this expression, in registry order."""
        wanted = {stored for symbol in self.symbols for stored in stored_facts_behind(symbol)}
        return tuple(key for key in FACTS if key in wanted)


@lru_cache(maxsize=4096)
def expression_compile(text: str) -> CompiledExpression:
    """Parse and type-check an expression once; raises ExpressionInvalid saying what is wrong."""
    try:
        rule = rule_engine.Rule(text, context=_CONTEXT)
    except rule_engine.errors.SymbolResolutionError as error:
        raise ExpressionInvalid(
            "unknown_fact", _("%(name)s is not a fact the portal knows.") % {"name": error.symbol_name}
        ) from None
    except rule_engine.errors.RegexSyntaxError:
        raise ExpressionInvalid("bad_regex", _("The regular expression is not valid.")) from None
    except rule_engine.errors.SyntaxError as error:
        raise ExpressionInvalid(
            "syntax_error", _("The expression has a syntax error: %(detail)s") % {"detail": error.message}
        ) from None
    except rule_engine.errors.EvaluationError:
        raise ExpressionInvalid(
            "type_mismatch", _("The expression compares values of different types, such as text with a number.")
        ) from None
    except rule_engine.errors.EngineError as error:
        raise ExpressionInvalid("invalid_expression", str(error)) from None
    result_type = rule.statement.expression.result_type
    if result_type not in (rule_engine.DataType.BOOLEAN, rule_engine.DataType.UNDEFINED):
        raise ExpressionInvalid("not_a_condition", _("The expression must be a yes/no condition."))
    return CompiledExpression(text=text, rule=rule, symbols=frozenset(_symbols(rule.statement.expression, set())))


def expression_check(text: str, *, field: str) -> CompiledExpression:
    """Like expression_compile, but the error names the input field it came from."""
    try:
        return expression_compile(text)
    except ExpressionInvalid as error:
        raise ExpressionInvalid(error.code, error.message, fields={field: [error.message]}) from None


@dataclass(frozen=True)
class CriterionRule:
    key: str
    label_zh: str
    label_en: str
    compiled: CompiledExpression

    @property
    def label(self) -> str:
        return self.label_en if active_suffix() == "en" else self.label_zh


@dataclass(frozen=True)
class ServiceRules:
    """A service's criteria, compiled; what evaluation needs of a ServiceItem and nothing more."""

    code: str
    criteria: tuple[CriterionRule, ...]


@dataclass(frozen=True)
class CriterionResult:
    criterion: CriterionRule
    status: Status
    missing: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.criterion.key


@dataclass(frozen=True)
class ServiceEligibility:
    service_code: str
    outcome: Outcome
    results: tuple[CriterionResult, ...]

    @property
    def unmet(self) -> list[CriterionResult]:
        return [result for result in self.results if result.status == Status.NOT_MET]

    @property
    def missing_facts(self) -> list[str]:
        """Stored facts that would settle the unknown criteria, in registry order, once each."""
        wanted = {key for result in self.results for key in result.missing}
        return [key for key in FACTS if key in wanted]


def expression_status(compiled: CompiledExpression, facts: Mapping[str, Any]) -> tuple[Status, tuple[str, ...]]:
    """Met, not met or unknown for facts that include the derived ones; with the stored facts missing."""
    try:
        matched = compiled.rule.matches(facts)
    except _FactMissing:
        # A needed fact is missing and no short-circuit settled the answer without it.
        missing = compiled.symbols.difference(facts)
        unknown = {stored for symbol in missing for stored in stored_facts_behind(symbol) if stored not in facts}
        return Status.UNKNOWN, tuple(key for key in FACTS if key in unknown)
    except rule_engine.errors.EvaluationError:
        absent = sorted(symbol for symbol in compiled.symbols if symbol in facts and facts[symbol] is None)
        if not absent:
            raise
        return _status_without(compiled, facts, absent)
    return (Status.MET if matched else Status.NOT_MET), ()


# Values that stand in for a fact that has no value, spanning what it could be: met for all of them
# means met whatever it were.
_STAND_INS: dict[Any, tuple[Any, ...]] = {
    rule_engine.DataType.FLOAT: (-(10**12), 10**12),
    rule_engine.DataType.BOOLEAN: (False, True),
}


def _status_without(
    compiled: CompiledExpression, facts: Mapping[str, Any], absent: Sequence[str]
) -> tuple[Status, tuple[str, ...]]:
    """A criterion over a value that does not exist (no children, so no youngest child) is met only if
    it would be met whatever that value were, and not met if for some value it is not: as in SQL, a
    comparison with nothing holds for no one. The person's other unknown facts still make it unknown."""
    statuses: set[Status] = set()
    missing: set[str] = set()
    for values in itertools.product(*(_STAND_INS[SYMBOL_TYPES[symbol]] for symbol in absent)):
        status, unknown = expression_status(compiled, {**facts, **dict(zip(absent, values, strict=True))})
        statuses.add(status)
        missing.update(unknown)
    if Status.NOT_MET in statuses:
        return Status.NOT_MET, ()
    if Status.UNKNOWN in statuses:
        return Status.UNKNOWN, tuple(key for key in FACTS if key in missing)
    return Status.MET, ()


@dataclass
class _Memo:
    """Results of expressions already evaluated for one person: many services share criteria."""

    facts: Mapping[str, Any]
    seen: dict[str, tuple[Status, tuple[str, ...]]] = field(default_factory=dict)

    def status(self, compiled: CompiledExpression) -> tuple[Status, tuple[str, ...]]:
        found = self.seen.get(compiled.text)
        if found is None:
            found = self.seen[compiled.text] = expression_status(compiled, self.facts)
        return found


def _service_evaluate(rules: ServiceRules, memo: _Memo) -> ServiceEligibility:
    if not rules.criteria:
        return ServiceEligibility(rules.code, Outcome.OPEN, ())
    results = []
    for criterion in rules.criteria:
        status, missing = memo.status(criterion.compiled)
        results.append(CriterionResult(criterion, status, missing))
    statuses = {result.status for result in results}
    if Status.NOT_MET in statuses:
        outcome = Outcome.NOT_ELIGIBLE
    elif Status.UNKNOWN in statuses:
        outcome = Outcome.MAYBE
    else:
        outcome = Outcome.ELIGIBLE
    return ServiceEligibility(rules.code, outcome, tuple(results))


def eligibility_evaluate(
    *, facts: Mapping[str, Any], on: datetime.date, services: Sequence[ServiceRules]
) -> list[ServiceEligibility]:
    """Evaluate services' rules for one person's clean facts."""
    memo = _Memo(facts_with_derived(facts, on=on))
    return [_service_evaluate(rules, memo) for rules in services]
