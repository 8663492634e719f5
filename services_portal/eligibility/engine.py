"""Eligibility: evaluating a service's criteria against a person's facts.

One function family serves the screener, the recommender's hard filter, casework detection and
the counter desk. Criteria are `rule-engine` expressions over stored and derived facts; each is
compiled once and cached, never passed to Python's `eval`.

Per criterion the answer is met, not met, or unknown: a missing fact makes it unknown only if some value
the fact could take would change the answer (three-valued logic: see PersonFacts); per service,
"eligible", "not eligible" (some criterion not met), or "maybe" (none failed, some unknown), or "open"
when it has no criteria at all: anyone can use it, so nothing about the person qualifies them for it.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cache, cached_property, lru_cache
from typing import Any

import rule_engine
from django.utils.translation import gettext as _
from rule_engine import ast as rule_ast

from profiles.facts import FACTS, FactType
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


def _children(node: Any) -> Iterable[Any]:
    """A node's attributes, whether kept in its __dict__ or in slots (ContainsExpression uses slots)."""
    yield from getattr(node, "__dict__", {}).values()
    for klass in type(node).__mro__:
        for name in getattr(klass, "__slots__", ()):
            if hasattr(node, name):
                yield getattr(node, name)


def _symbols(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, rule_ast.SymbolExpression):
        found.add(node.name)
    for child in _children(node):
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

    @cached_property
    def inputs(self) -> tuple[str, ...]:
        """Every fact its answer depends on: the stored facts behind it and the symbols themselves
        (a derived fact may be given rather than worked out)."""
        return tuple(sorted(self.symbols.union(self.needs)))

    @cached_property
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


# -- three-valued (Kleene) evaluation ------------------------------------------------------------
#
# A criterion is decided when every value the unknown facts could take gives the same answer. Facts
# with a few possible values (yes/no, a choice such as hukou_type) are tried one value at a time;
# numbers are bounded by the registry's minimum and maximum; any other unknown may be anything. The
# same rules are written out step by step in docs/adr/0011-population-evaluator.md, which the
# population evaluator follows column by column.

_TRUE: frozenset[bool] = frozenset({True})
_FALSE: frozenset[bool] = frozenset({False})
_EITHER: frozenset[bool] = frozenset({True, False})
_INFINITY = float("inf")

# Values that stand in for a fact that has no value (no children, so no youngest child), spanning what
# it could be: a criterion over it is met only if met for all of them, as in SQL a comparison with
# nothing holds for no one.
STAND_INS: dict[Any, tuple[Any, ...]] = {
    rule_engine.DataType.FLOAT: (-(10**12), 10**12),
    rule_engine.DataType.BOOLEAN: (False, True),
}

# Facts whose every possible value is tried when unknown: their values in registry order.
FINITE_DOMAINS: dict[str, tuple[Any, ...]] = {
    key: (False, True) if fact.type == FactType.BOOLEAN else tuple(choice.value for choice in fact.choices)
    for key, fact in FACTS.items()
    if not fact.identity and (fact.type == FactType.BOOLEAN or (fact.type == FactType.CHOICE and fact.choices))
}

Bounds = tuple[Any, Any]


def fact_bounds(key: str) -> Bounds | None:
    """The values an unknown number could take: the registry's bounds for a stored number, anything
    for a derived one; None for what is not a number."""
    if SYMBOL_TYPES.get(key) != rule_engine.DataType.FLOAT:
        return None
    fact = FACTS.get(key)
    if fact is None:
        return (-_INFINITY, _INFINITY)
    low = -_INFINITY if fact.minimum is None else fact.minimum
    high = _INFINITY if fact.maximum is None else fact.maximum
    return (low, high)


@cache
def _node_symbols(node: Any) -> frozenset[str]:
    return frozenset(_symbols(node, set()))


def _either(true: bool, false: bool) -> frozenset[bool]:
    return frozenset(value for value, possible in ((True, true), (False, false)) if possible)


def _bounds(node: Any, env: Mapping[str, Any]) -> Bounds | None:
    """A numeric operand as the interval it could lie in; None when it is not a number."""
    if _node_symbols(node) <= env.keys():
        value = node.evaluate(env)
        return (value, value) if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) else None
    if isinstance(node, rule_ast.SymbolExpression):
        return fact_bounds(node.name)
    return None


def _compare(kind: str, left: Bounds, right: Bounds) -> frozenset[bool]:
    (left_low, left_high), (right_low, right_high) = left, right
    if kind == "lt":
        return _either(left_low < right_high, left_high >= right_low)
    if kind == "le":
        return _either(left_low <= right_high, left_high > right_low)
    if kind == "gt":
        return _either(left_high > right_low, left_low <= right_high)
    if kind == "ge":
        return _either(left_high >= right_low, left_low < right_high)
    overlap = left_low <= right_high and right_low <= left_high
    single = left_low == left_high == right_low == right_high
    return _either(overlap, not single) if kind == "eq" else _either(not single, overlap)


def kleene(node: Any, env: Mapping[str, Any]) -> frozenset[bool]:
    """The answers a condition could have: {True}, {False} or both, when the symbols missing from `env`
    may take any value they could (see fact_bounds)."""
    if _node_symbols(node) <= env.keys():
        return _TRUE if node.evaluate(env) else _FALSE
    if isinstance(node, rule_ast.LogicExpression):
        left = kleene(node.left, env)
        if node.type == "and":
            if left == _FALSE:
                return _FALSE
            right = kleene(node.right, env)
            return _either(True in left and True in right, False in left or False in right)
        if left == _TRUE:
            return _TRUE
        right = kleene(node.right, env)
        return _either(True in left or True in right, False in left and False in right)
    if isinstance(node, rule_ast.UnaryExpression) and node.type.lower() == "not":
        return frozenset(not value for value in kleene(node.right, env))
    if isinstance(node, rule_ast.ComparisonExpression) and node.type in ("lt", "le", "gt", "ge", "eq", "ne"):
        first, second = _bounds(node.left, env), _bounds(node.right, env)
        if first is not None and second is not None:
            return _compare(node.type, first, second)
    return _EITHER


def _status_of(answers: frozenset[bool]) -> Status:
    if answers == _TRUE:
        return Status.MET
    return Status.NOT_MET if answers == _FALSE else Status.UNKNOWN


def _status_in(compiled: CompiledExpression, env: Mapping[str, Any]) -> Status:
    """The status in one world where the finite facts are settled: the symbols with no value are
    replaced by stand-ins, and the criterion must hold for all of them."""
    absent = sorted(symbol for symbol in compiled.symbols if symbol in env and env[symbol] is None)
    expression = compiled.rule.statement.expression
    if not absent:
        return _status_of(kleene(expression, env))
    statuses = {
        _status_of(kleene(expression, {**env, **dict(zip(absent, values, strict=True))}))
        for values in itertools.product(*(STAND_INS[SYMBOL_TYPES[symbol]] for symbol in absent))
    }
    if Status.NOT_MET in statuses:
        return Status.NOT_MET
    return Status.UNKNOWN if Status.UNKNOWN in statuses else Status.MET


@dataclass
class PersonFacts:
    """One person's stored facts on a reference date, with their derived facts, and the criteria
    already decided for them: many services share criteria."""

    stored: Mapping[str, Any]
    on: datetime.date
    known: dict[str, Any] = field(init=False)
    seen: dict[str, tuple[Status, tuple[str, ...]]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.known = facts_with_derived(self.stored, on=self.on)

    def status(self, compiled: CompiledExpression) -> tuple[Status, tuple[str, ...]]:
        """Met, not met or unknown; when unknown, the stored facts that are missing, in registry order."""
        found = self.seen.get(compiled.text)
        if found is None:
            found = self.seen[compiled.text] = self._decide(compiled)
        return found

    def _decide(self, compiled: CompiledExpression) -> tuple[Status, tuple[str, ...]]:
        tried = [key for key in compiled.needs if key in FINITE_DOMAINS and key not in self.stored]
        if tried:
            # The answer depends on nothing but the facts the criterion reads: people who share them
            # share it, so trying values is done once for them all.
            given = tuple((key, _hashable(self.stored[key])) for key in compiled.inputs if key in self.stored)
            return _decided_by_trying(compiled.text, self.on, given)
        return self._decide_trying(compiled, tried)

    def _decide_trying(self, compiled: CompiledExpression, tried: Sequence[str]) -> tuple[Status, tuple[str, ...]]:
        statuses = {
            _status_in(compiled, self._world(compiled, dict(zip(tried, values, strict=True))))
            for values in itertools.product(*(FINITE_DOMAINS[key] for key in tried))
        }
        if statuses == {Status.MET}:
            return Status.MET, ()
        if statuses == {Status.NOT_MET}:
            return Status.NOT_MET, ()
        missing = {
            stored
            for symbol in compiled.symbols
            if symbol not in self.known
            for stored in stored_facts_behind(symbol)
            if stored not in self.known
        }
        return Status.UNKNOWN, tuple(key for key in FACTS if key in missing)

    def _world(self, compiled: CompiledExpression, assumed: Mapping[str, Any]) -> Mapping[str, Any]:
        """The facts with the unknown finite facts given these values, the criterion's derived facts
        worked out anew."""
        if not assumed:
            return self.known
        derived = compiled.symbols.intersection(DERIVED_FACTS).difference(self.stored)
        return {**self.known, **facts_with_derived({**self.stored, **assumed}, on=self.on, only=derived)}


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@lru_cache(maxsize=2**16)
def _decided_by_trying(
    text: str, on: datetime.date, given: tuple[tuple[str, Any], ...]
) -> tuple[Status, tuple[str, ...]]:
    compiled = expression_compile(text)
    person = PersonFacts(dict(given), on)
    return person._decide_trying(
        compiled, [key for key in compiled.needs if key in FINITE_DOMAINS and key not in person.stored]
    )


def expression_status(
    compiled: CompiledExpression, facts: Mapping[str, Any], *, on: datetime.date
) -> tuple[Status, tuple[str, ...]]:
    """Met, not met or unknown for one person's stored facts on `on` (see PersonFacts.status)."""
    return PersonFacts(facts, on).status(compiled)


def _service_evaluate(rules: ServiceRules, person: PersonFacts) -> ServiceEligibility:
    if not rules.criteria:
        return ServiceEligibility(rules.code, Outcome.OPEN, ())
    results = []
    for criterion in rules.criteria:
        status, missing = person.status(criterion.compiled)
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
    person = PersonFacts(facts, on)
    return [_service_evaluate(rules, person) for rules in services]
