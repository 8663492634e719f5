"""Criteria compiled from their rule-engine AST into column operations, cached per expression text."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rule_engine
from rule_engine import ast as rule_ast

from profiles.facts import FACTS, FactType
from services_portal.eligibility.derived import DERIVED_FACTS
from services_portal.eligibility.derived_columns import Bools
from services_portal.eligibility.engine import FINITE_DOMAINS, CompiledExpression, fact_bounds
from services_portal.eligibility.population.columns import (
    CODE_TYPES,
    FINITE_TYPES,
    NUMBER_TYPES,
    Interval,
    Rows,
    StandIns,
    Truth,
    domain_size,
)

logger = logging.getLogger(__name__)


# -- the compiler: rule-engine AST to column operations ----------------------------------------------------


class _NotCompiled(Exception):
    """A node this compiler does not turn into columns: the criterion is evaluated person by person."""


def symbol_names(node: Any) -> set[str]:
    if isinstance(node, rule_ast.SymbolExpression):
        if node.scope is not None:
            raise _NotCompiled(f"built-in symbol {node.name}")
        return {node.name}
    names: set[str] = set()
    for child in vars(node).values() if hasattr(node, "__dict__") else ():
        if isinstance(child, rule_ast.ExpressionBase):
            names |= symbol_names(child)
    for slot in getattr(type(node), "__slots__", ()):
        child = getattr(node, slot, None)
        if isinstance(child, rule_ast.ExpressionBase):
            names |= symbol_names(child)
    return names


def _fact_type(symbol: str) -> FactType | None:
    fact = FACTS.get(symbol)
    return fact.type if fact else None


def is_code_symbol(symbol: str) -> bool:
    """A fact with few values, held as codes: a stored choice, yes/no, region or text, or a derived yes/no."""
    derived = DERIVED_FACTS.get(symbol)
    if derived is not None:
        return bool(derived.rule_type == rule_engine.DataType.BOOLEAN)
    return _fact_type(symbol) in CODE_TYPES


def _is_number_symbol(symbol: str) -> bool:
    derived = DERIVED_FACTS.get(symbol)
    if derived is not None:
        return bool(derived.rule_type == rule_engine.DataType.FLOAT)
    return _fact_type(symbol) in NUMBER_TYPES


class BooleanNode:
    def truth(self, rows: Rows, stand_ins: StandIns) -> Truth:
        raise NotImplementedError


class _NumberNode:
    def interval(self, rows: Rows, stand_ins: StandIns) -> Interval:
        raise NotImplementedError


@dataclass(frozen=True)
class _Constant(BooleanNode):
    value: bool

    def truth(self, rows: Rows, stand_ins: StandIns) -> Truth:
        return np.full(rows.size, self.value), np.full(rows.size, not self.value)


@dataclass(frozen=True)
class _Logic(BooleanNode):
    conjunction: bool
    left: BooleanNode
    right: BooleanNode

    def truth(self, rows: Rows, stand_ins: StandIns) -> Truth:
        left_true, left_false = self.left.truth(rows, stand_ins)
        right_true, right_false = self.right.truth(rows, stand_ins)
        if self.conjunction:
            return left_true & right_true, left_false | right_false
        return left_true | right_true, left_false & right_false


@dataclass(frozen=True)
class _Not(BooleanNode):
    operand: BooleanNode

    def truth(self, rows: Rows, stand_ins: StandIns) -> Truth:
        may_true, may_false = self.operand.truth(rows, stand_ins)
        return may_false, may_true


@dataclass(eq=False)
class Table(BooleanNode):
    """A node over one fact held as codes (a choice, a region, a yes/no ...) and literals: rule-engine
    evaluates it once per category, and each person's answer is looked up by code. An unknown choice or
    yes/no could be any of its values: true possible if true for one, false possible if false for one;
    any other unknown fact is abstract, and the node may be either."""

    node: Any
    symbol: str
    _tables: dict[tuple[object, ...], tuple[Bools, Bools]] = field(default_factory=dict)

    def _table(self, categories: tuple[object, ...]) -> tuple[Bools, Bools]:
        found = self._tables.get(categories)
        if found is None:
            results = [bool(self.node.evaluate({self.symbol: category})) for category in categories]
            finite = _fact_type(self.symbol) in FINITE_TYPES
            domain = results[: domain_size(self.symbol)] if finite else [True, False]
            may_true = np.array([*results, any(domain)], dtype=bool)
            may_false = np.array([*(not result for result in results), not all(domain)], dtype=bool)
            found = self._tables[categories] = (may_true, may_false)
        return found

    def truth(self, rows: Rows, stand_ins: StandIns) -> Truth:
        if self.symbol in DERIVED_FACTS:
            categories: tuple[object, ...] = (False, True)
            if self.symbol in stand_ins:
                column = rows.derived(self.symbol)
                values = np.where(column.none, stand_ins[self.symbol], column.values)
                codes = np.where(column.present, values, -1).astype(np.int32)
            else:
                found = rows.derived_codes.get(self.symbol)
                if found is None:
                    column = rows.derived(self.symbol)
                    found = rows.derived_codes[self.symbol] = np.where(column.present, column.values, -1).astype(
                        np.int32
                    )
                codes = found
        else:
            code_column = rows.code(self.symbol)
            codes, categories = code_column.codes, code_column.categories
        may_true, may_false = self._table(categories)
        return may_true[codes], may_false[codes]


@dataclass(frozen=True)
class _Literal(_NumberNode):
    value: float

    def interval(self, rows: Rows, stand_ins: StandIns) -> Interval:
        value = np.array(self.value)  # 0-d: numpy broadcasts it against the columns
        return value, value


@dataclass(frozen=True)
class NumberSymbol(_NumberNode):
    """A stored number unknown lies within its registry bounds; a derived one could be anything."""

    symbol: str

    def interval(self, rows: Rows, stand_ins: StandIns) -> Interval:
        if self.symbol not in stand_ins:
            found = rows.intervals.get(self.symbol)
            if found is None:
                found = rows.intervals[self.symbol] = self._interval(rows, stand_ins)
            return found
        return self._interval(rows, stand_ins)

    def _interval(self, rows: Rows, stand_ins: StandIns) -> Interval:
        if self.symbol in DERIVED_FACTS:
            column = rows.derived(self.symbol)
            values = column.values
            if self.symbol in stand_ins:
                values = np.where(column.none, stand_ins[self.symbol], values)
            return np.where(column.present, values, -np.inf), np.where(column.present, values, np.inf)
        number = rows.number(self.symbol)
        lowest, highest = fact_bounds(self.symbol) or (-np.inf, np.inf)
        return np.where(number.known, number.values, lowest), np.where(number.known, number.values, highest)


_ORDERINGS: dict[str, Callable[[Interval, Interval], Truth]] = {
    "lt": lambda x, y: (x[0] < y[1], x[1] >= y[0]),
    "le": lambda x, y: (x[0] <= y[1], x[1] > y[0]),
    "gt": lambda x, y: (x[1] > y[0], x[0] <= y[1]),
    "ge": lambda x, y: (x[1] >= y[0], x[0] < y[1]),
}


@dataclass(frozen=True)
class _Ordering(BooleanNode):
    kind: str
    left: _NumberNode
    right: _NumberNode

    def truth(self, rows: Rows, stand_ins: StandIns) -> Truth:
        return _ORDERINGS[self.kind](self.left.interval(rows, stand_ins), self.right.interval(rows, stand_ins))


@dataclass(frozen=True)
class _Equality(BooleanNode):
    """== and != : two intervals may be equal if they overlap, and unequal unless both are the same one number."""

    equal: bool
    left: _NumberNode
    right: _NumberNode

    def truth(self, rows: Rows, stand_ins: StandIns) -> Truth:
        x_lo, x_hi = self.left.interval(rows, stand_ins)
        y_lo, y_hi = self.right.interval(rows, stand_ins)
        may_equal = (x_lo <= y_hi) & (y_lo <= x_hi)
        may_differ = ~((x_lo == x_hi) & (y_lo == y_hi) & (x_lo == y_lo))
        return (may_equal, may_differ) if self.equal else (may_differ, may_equal)


@dataclass(frozen=True)
class _Membership(BooleanNode):
    """A number `in` a literal list: decided for a known number, either for an unknown one."""

    member: _NumberNode
    values: tuple[float, ...]

    def truth(self, rows: Rows, stand_ins: StandIns) -> Truth:
        lo, hi = self.member.interval(rows, stand_ins)
        inside = np.isin(lo, np.array(self.values, dtype=np.float64))
        known = lo == hi
        return ~known | inside, ~known | ~inside


def _number(node: Any) -> _NumberNode:
    if isinstance(node, rule_ast.FloatExpression):
        return _Literal(float(node.value))
    if isinstance(node, rule_ast.SymbolExpression) and _is_number_symbol(node.name) and node.scope is None:
        return NumberSymbol(node.name)
    raise _NotCompiled(type(node).__name__)


def _boolean(node: Any, tables: list[Table]) -> BooleanNode:
    if isinstance(node, rule_ast.BooleanExpression):
        return _Constant(bool(node.value))
    if isinstance(node, rule_ast.LogicExpression) and node.type in ("and", "or"):
        return _Logic(node.type == "and", _boolean(node.left, tables), _boolean(node.right, tables))
    if isinstance(node, rule_ast.UnaryExpression) and node.type == "not":
        return _Not(_boolean(node.right, tables))
    symbols = symbol_names(node)
    if len(symbols) == 1 and is_code_symbol(next(iter(symbols))) and is_leaf(node):
        table = Table(node, next(iter(symbols)))
        tables.append(table)
        return table
    if isinstance(node, rule_ast.ArithmeticComparisonExpression) and node.type in _ORDERINGS:
        return _Ordering(node.type, _number(node.left), _number(node.right))
    if type(node) is rule_ast.ComparisonExpression and node.type in ("eq", "ne"):
        return _Equality(node.type == "eq", _number(node.left), _number(node.right))
    if isinstance(node, rule_ast.ContainsExpression) and isinstance(node.container, rule_ast.ArrayExpression):
        items = node.container.value
        if all(isinstance(item, rule_ast.FloatExpression) for item in items):
            return _Membership(_number(node.member), tuple(float(item.value) for item in items))
    raise _NotCompiled(type(node).__name__)


_LEAVES = (
    rule_ast.SymbolExpression,
    rule_ast.ComparisonExpression,  # with ArithmeticComparisonExpression and FuzzyComparisonExpression
    rule_ast.ContainsExpression,
)


def is_leaf(node: Any) -> bool:
    """A yes/no node over one fact's value, whatever its inner workings: one table lookup."""
    return isinstance(node, _LEAVES) and not isinstance(node, rule_ast.LogicExpression)


@dataclass(eq=False)
class Criterion:
    text: str
    root: BooleanNode
    symbols: frozenset[str]
    # yes/no and choice facts to try value by value when unknown: those behind a derived fact, or read twice
    enumerated: tuple[str, ...]
    # every yes/no and choice fact behind it: all are tried when a value that does not exist is in play
    finite: tuple[str, ...]
    none_able: tuple[str, ...]


def _criterion_compile(compiled: CompiledExpression) -> Criterion:
    tables: list[Table] = []
    root = _boolean(compiled.rule.statement.expression, tables)
    finite = tuple(key for key in compiled.needs if key in FINITE_DOMAINS)
    reads = {key: sum(1 for table in tables if table.symbol == key) for key in finite}
    behind_derived = {
        key for symbol in compiled.symbols if symbol in DERIVED_FACTS for key in DERIVED_FACTS[symbol].depends_on
    }
    enumerated = tuple(key for key in finite if reads[key] > 1 or key in behind_derived)
    return Criterion(
        text=compiled.text,
        root=root,
        symbols=compiled.symbols,
        enumerated=enumerated,
        finite=finite,
        none_able=tuple(sorted(symbol for symbol in compiled.symbols if symbol in DERIVED_FACTS)),
    )


_compiled: dict[str, Criterion | None] = {}


def criterion_for(compiled: CompiledExpression) -> Criterion | None:
    """The column form of a criterion, cached per expression text; None when it is not compiled."""
    if compiled.text not in _compiled:
        try:
            _compiled[compiled.text] = _criterion_compile(compiled)
        except _NotCompiled as reason:
            logger.info("criterion %r is evaluated person by person: %s is not compiled", compiled.text, reason)
            _compiled[compiled.text] = None
    return _compiled[compiled.text]
