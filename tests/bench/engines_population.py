"""Which engine evaluates the catalog's criteria over a population fastest: numpy, Polars or DuckDB?

The measurement behind docs/adr/0011-population-evaluator.md, kept so that it can be run again:
`OPENBLAS_NUM_THREADS=1 POLARS_MAX_THREADS=1 python tests/bench/engines_population.py --people 50000`
(with `pip install polars duckdb` in the environment: only the winner is a dependency of the project).

Each engine gets the same input, the published catalog's criteria compiled from their rule-engine AST to
Kleene form (two booleans per node: may be true, may be false) over the same columns (codes for facts
with few values, lo/hi bounds for numbers, derived facts worked out), and produces the same output:
each criterion's status and each service's outcome per person, as numpy arrays. What differs is only
the engine that runs the expressions, and the cost of handing it the columns and getting the answers.
Not a `bench_*.py`: `make bench` does not run it, since Polars and DuckDB are not installed by the project.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("POLARS_MAX_THREADS", "1")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_eligibility import people_simulate, setup_django  # noqa: E402 - needs ROOT on the path
from tests.bench.common import arguments_parse  # noqa: E402

ORDERINGS = {
    "lt": ("{xl} < {yh}", "{xh} >= {yl}"),
    "le": ("{xl} <= {yh}", "{xh} > {yl}"),
    "gt": ("{xh} > {yl}", "{xl} <= {yh}"),
    "ge": ("{xh} >= {yl}", "{xl} < {yh}"),
}


def plan(node, inputs, population_module):
    """The criterion as a small tree of tuples the three back ends read, and the input columns it needs."""
    from rule_engine import ast

    pm = population_module
    if isinstance(node, ast.BooleanExpression):
        return ("constant", bool(node.value))
    if isinstance(node, ast.LogicExpression):
        return (node.type, plan(node.left, inputs, pm), plan(node.right, inputs, pm))
    if isinstance(node, ast.UnaryExpression) and node.type == "not":
        return ("not", plan(node.right, inputs, pm))
    symbols = pm.symbol_names(node)
    if len(symbols) == 1 and pm.is_code_symbol(next(iter(symbols))) and pm.is_leaf(node):
        name = next(iter(symbols))
        inputs.add(("code", name))
        return ("table", name, pm.Table(node, name))

    def number(operand):
        if isinstance(operand, ast.FloatExpression):
            return ("literal", float(operand.value))
        inputs.add(("number", operand.name))
        return ("symbol", operand.name)

    if isinstance(node, ast.ContainsExpression):
        return ("in", number(node.member), tuple(float(item.value) for item in node.container.value))
    return (node.type, number(node.left), number(node.right))


def columns_build(rows, inputs, pm):
    """The input columns, as numpy arrays: a code per fact with few values, lo and hi per number."""
    import numpy as np

    columns = {}
    for kind, name in sorted(inputs):
        if kind == "code":
            if name in pm.DERIVED_FACTS:
                derived = rows.derived(name)
                columns[f"c_{name}"] = np.where(derived.present, derived.values, -1).astype(np.int32)
            else:
                columns[f"c_{name}"] = rows.code(name).codes
        else:
            lo, hi = pm.NumberSymbol(name).interval(rows, {})
            columns[f"lo_{name}"], columns[f"hi_{name}"] = lo, hi
    return columns


def categories_of(rows, name, pm):
    return (False, True) if name in pm.DERIVED_FACTS else rows.code(name).categories


# -- numpy ---------------------------------------------------------------------------------------------


def numpy_truth(step, columns, size, tables):
    import numpy as np

    kind = step[0]
    if kind == "constant":
        return np.full(size, step[1]), np.full(size, not step[1])
    if kind in ("and", "or"):
        lt, lf = numpy_truth(step[1], columns, size, tables)
        rt, rf = numpy_truth(step[2], columns, size, tables)
        return (lt & rt, lf | rf) if kind == "and" else (lt | rt, lf & rf)
    if kind == "not":
        t, f = numpy_truth(step[1], columns, size, tables)
        return f, t
    if kind == "table":
        may_true, may_false = tables[step[1], id(step[2])]
        codes = columns[f"c_{step[1]}"]
        return may_true[codes], may_false[codes]

    def bounds(operand):
        if operand[0] == "literal":
            return operand[1], operand[1]
        return columns[f"lo_{operand[1]}"], columns[f"hi_{operand[1]}"]

    if kind == "in":
        lo, hi = bounds(step[1])
        inside = np.isin(lo, np.array(step[2]))
        return (lo != hi) | inside, (lo != hi) | ~inside
    (xl, xh), (yl, yh) = bounds(step[1]), bounds(step[2])
    if kind in ("eq", "ne"):
        equal, differ = (xl <= yh) & (yl <= xh), ~((xl == xh) & (yl == yh) & (xl == yl))
        return (equal, differ) if kind == "eq" else (differ, equal)
    ops = {"lt": (xl < yh, xh >= yl), "le": (xl <= yh, xh > yl), "gt": (xh > yl, xl <= yh), "ge": (xh >= yl, xl < yh)}
    return ops[kind]


def numpy_run(plans, services, columns, size, tables):
    import numpy as np

    statuses = {}
    for text, step in plans.items():
        t, f = numpy_truth(step, columns, size, tables)
        statuses[text] = np.where(f & ~t, np.int8(2), np.where(t & ~f, np.int8(0), np.int8(1)))
    outcomes = np.empty((len(services), size), dtype=np.int8)
    for j, service in enumerate(services):
        texts = [criterion.compiled.text for criterion in service.criteria]
        outcomes[j] = np.maximum.reduce([statuses[t] for t in texts]) if texts else 3
    return outcomes.T


# -- Polars --------------------------------------------------------------------------------------------


def polars_truth(step, tables):
    import polars as pl

    kind = step[0]
    if kind == "constant":
        return pl.lit(step[1]), pl.lit(not step[1])
    if kind in ("and", "or"):
        lt, lf = polars_truth(step[1], tables)
        rt, rf = polars_truth(step[2], tables)
        return (lt & rt, lf | rf) if kind == "and" else (lt | rt, lf & rf)
    if kind == "not":
        t, f = polars_truth(step[1], tables)
        return f, t
    if kind == "table":
        may_true, may_false = tables[step[1], id(step[2])]
        codes = pl.col(f"c_{step[1]}")
        true_codes = [i if i < len(may_true) - 1 else -1 for i in range(len(may_true)) if may_true[i]]
        false_codes = [i if i < len(may_false) - 1 else -1 for i in range(len(may_false)) if may_false[i]]
        return codes.is_in(true_codes), codes.is_in(false_codes)

    def bounds(operand):
        if operand[0] == "literal":
            return pl.lit(operand[1]), pl.lit(operand[1])
        return pl.col(f"lo_{operand[1]}"), pl.col(f"hi_{operand[1]}")

    if kind == "in":
        lo, hi = bounds(step[1])
        inside = lo.is_in(list(step[2]))
        return (lo != hi) | inside, (lo != hi) | ~inside
    (xl, xh), (yl, yh) = bounds(step[1]), bounds(step[2])
    if kind in ("eq", "ne"):
        equal, differ = (xl <= yh) & (yl <= xh), ~((xl == xh) & (yl == yh) & (xl == yl))
        return (equal, differ) if kind == "eq" else (differ, equal)
    ops = {"lt": (xl < yh, xh >= yl), "le": (xl <= yh, xh > yl), "gt": (xh > yl, xl <= yh), "ge": (xh >= yl, xl < yh)}
    return ops[kind]


def polars_run(plans, services, columns, size, tables):
    import polars as pl

    names = {text: f"s{i}" for i, text in enumerate(plans)}
    status_expressions = []
    for text, step in plans.items():
        t, f = polars_truth(step, tables)
        status = pl.when(f & ~t).then(2).when(t & ~f).then(0).otherwise(1).cast(pl.Int8)
        status_expressions.append(status.alias(names[text]))
    outcome_expressions = []
    for j, service in enumerate(services):
        texts = [names[criterion.compiled.text] for criterion in service.criteria]
        outcome = pl.max_horizontal(*texts) if texts else pl.lit(3, dtype=pl.Int8)
        outcome_expressions.append(outcome.alias(f"o{j}"))
    frame = pl.DataFrame(columns).lazy().with_columns(status_expressions).select(outcome_expressions).collect()
    return frame.to_numpy()


# -- DuckDB --------------------------------------------------------------------------------------------


def sql_truth(step, tables):
    kind = step[0]
    if kind == "constant":
        return ("TRUE", "FALSE") if step[1] else ("FALSE", "TRUE")
    if kind in ("and", "or"):
        lt, lf = sql_truth(step[1], tables)
        rt, rf = sql_truth(step[2], tables)
        if kind == "and":
            return f"({lt} AND {rt})", f"({lf} OR {rf})"
        return f"({lt} OR {rt})", f"({lf} AND {rf})"
    if kind == "not":
        t, f = sql_truth(step[1], tables)
        return f, t
    if kind == "table":
        may_true, may_false = tables[step[1], id(step[2])]
        code = f"c_{step[1]}"
        true_codes = [str(i if i < len(may_true) - 1 else -1) for i in range(len(may_true)) if may_true[i]]
        false_codes = [str(i if i < len(may_false) - 1 else -1) for i in range(len(may_false)) if may_false[i]]
        return (
            f"({code} IN ({', '.join(true_codes)}))" if true_codes else "FALSE",
            f"({code} IN ({', '.join(false_codes)}))" if false_codes else "FALSE",
        )

    def bounds(operand):
        if operand[0] == "literal":
            return repr(operand[1]), repr(operand[1])
        return f"lo_{operand[1]}", f"hi_{operand[1]}"

    if kind == "in":
        lo, hi = bounds(step[1])
        inside = f"{lo} IN ({', '.join(repr(v) for v in step[2])})"
        return f"({lo} <> {hi} OR {inside})", f"({lo} <> {hi} OR NOT {inside})"
    (xl, xh), (yl, yh) = bounds(step[1]), bounds(step[2])
    if kind in ("eq", "ne"):
        equal = f"({xl} <= {yh} AND {yl} <= {xh})"
        differ = f"NOT ({xl} = {xh} AND {yl} = {yh} AND {xl} = {yl})"
        return (equal, differ) if kind == "eq" else (differ, equal)
    true, false = ORDERINGS[kind]
    return "(" + true.format(xl=xl, xh=xh, yl=yl, yh=yh) + ")", "(" + false.format(xl=xl, xh=xh, yl=yl, yh=yh) + ")"


def duckdb_run(plans, services, columns, size, tables):
    import duckdb

    names = {text: f"s{i}" for i, text in enumerate(plans)}
    statuses = []
    for text, step in plans.items():
        t, f = sql_truth(step, tables)
        statuses.append(
            f"CAST(CASE WHEN ({f}) AND NOT ({t}) THEN 2 WHEN ({t}) AND NOT ({f}) THEN 0 ELSE 1 END AS TINYINT) "
            f"AS {names[text]}"
        )
    outcomes = []
    for j, service in enumerate(services):
        texts = [names[criterion.compiled.text] for criterion in service.criteria]
        outcome = f"greatest({', '.join(texts)})" if len(texts) > 1 else (texts[0] if texts else "CAST(3 AS TINYINT)")
        outcomes.append(f"{outcome} AS o{j}")
    connection = duckdb.connect()
    connection.execute("SET threads TO 1")
    connection.register("people", columns)
    query = f"WITH s AS (SELECT {', '.join(statuses)} FROM people) SELECT {', '.join(outcomes)} FROM s"  # noqa: S608 - the catalog's own criteria
    result = connection.execute(query).fetchnumpy()
    import numpy as np

    return np.column_stack([result[f"o{j}"] for j in range(len(services))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = arguments_parse(parser)

    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        setup_django(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        import numpy as np

        from services_portal.catalog.rules import catalog_rules
        from services_portal.eligibility.population import compiler as pm
        from services_portal.eligibility.population import population_from_facts

        today = datetime.date(2026, 11, 1)
        people = people_simulate(args.people, today, unknown_share=0.2)
        services = catalog_rules()
        distinct = {c.compiled.text: c.compiled for service in services for c in service.criteria}
        inputs: set[tuple[str, str]] = set()
        plans = {text: plan(compiled.rule.statement.expression, inputs, pm) for text, compiled in distinct.items()}

        started = time.process_time()
        population = population_from_facts(people)
        rows = pm.Rows(population, today)
        columns = columns_build(rows, inputs, pm)
        tables = {}

        def collect(step):
            if step[0] == "table":
                tables[step[1], id(step[2])] = step[2]._table(categories_of(rows, step[1], pm))
            for child in step[1:]:
                if isinstance(child, tuple):
                    collect(child)

        for step in plans.values():
            collect(step)
        shared = time.process_time() - started
        print(
            f"{len(services)} services, {len(distinct)} distinct criteria, {len(people):,} people; the same input "
            f"columns for every engine ({len(columns)} columns, built from fact dicts in {shared:.2f} s CPU)"
        )
        results = {}
        versions = {"numpy": np.__version__}
        runs = {"numpy": numpy_run}
        try:
            import polars

            versions["polars"] = polars.__version__
            runs["polars"] = polars_run
        except ImportError:
            print("polars is not installed: pip install polars")
        try:
            import duckdb

            versions["duckdb"] = duckdb.__version__
            runs["duckdb"] = duckdb_run
        except ImportError:
            print("duckdb is not installed: pip install duckdb")
        evaluations = len(people) * len(services)
        for name, run in runs.items():
            best_cpu = best_wall = float("inf")
            for _ in range(args.repeat):
                cpu, wall = time.process_time(), time.perf_counter()
                outcome = run(plans, services, columns, len(people), tables)
                best_cpu = min(best_cpu, time.process_time() - cpu)
                best_wall = min(best_wall, time.perf_counter() - wall)
            results[name] = outcome
            total = best_cpu + shared
            print(
                f"{name} {versions[name]}: evaluation {best_cpu:.3f} s CPU ({best_wall:.3f} s wall); with the columns "
                f"built: {evaluations / total:,.0f} person-service evaluations/s"
            )
        for name, outcome in results.items():
            assert np.array_equal(outcome.astype(np.int8), results["numpy"]), f"{name} disagrees with numpy"
        print("all engines give the same outcomes")


if __name__ == "__main__":
    main()
