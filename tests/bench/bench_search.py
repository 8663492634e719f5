"""Benchmark: the catalog search beside the literal substring match it replaced, on the citizen query set.

For every query in tests/catalog/data/search_queries.yaml (everyday and formal Chinese, pinyin, initials,
English, typos, each with the services a person asking would want), prints per kind and overall:
recall@5 (the share of the wanted services among the first five, out of as many as fit there), MRR (one
over the rank of the first wanted service) and the share of queries that find nothing, for

- substring: the search as it was, `icontains` over names, descriptions and code, by topic and code;
- search:    `service_list(q=...)` as the page and the API call it now, ranked.

Then the time of a query through the selector (database included) for both, and the engine's alone
(median and p95 over `--repeat` rounds of the set), and the time to load the search and build its index
in a fresh process. With `--misses`, the queries below full recall with what the search found first.

    python tests/bench/bench_search.py [--repeat 5] [--misses]

Runs on a throwaway SQLite file unless BENCH_DATABASE_URL names a scratch database (emptied). Asserts
nothing; tests/catalog/test_catalog_search.py holds the recall floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.common import arguments_parse, database_url  # noqa: E402 - needs ROOT on the path
from tests.catalog.search_quality import CitizenQuery, Scores, citizen_queries, scores_of  # noqa: E402

COLD_BUILD = """
import time
started = time.perf_counter()
import django
django.setup()
ready = time.perf_counter()
from services_portal.catalog.search import index
loaded = time.perf_counter()
index.catalog_index()
print(ready - started, loaded - ready, time.perf_counter() - loaded)
"""


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services_portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    call_command("catalog_import", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def milliseconds(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:6.2f} ms, p95 {p95 * 1000:6.2f} ms"


def timed(search, queries: list[CitizenQuery], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        for query in queries:
            started = time.perf_counter()
            search(query.q)
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of the query set timed")
    parser.add_argument("--misses", action="store_true", help="list the queries the search misses")
    args = arguments_parse(parser)

    url = database_url()
    setup_django(url)
    from services_portal.catalog.models import ServiceItem
    from services_portal.catalog.search.index import catalog_index
    from services_portal.catalog.selectors import service_list, text_contains

    def substring(q: str) -> list[str]:
        """The catalog search before: the query as written, anywhere in a name, a description or the code."""
        services = ServiceItem.objects.filter(is_published=True).filter(text_contains(q.strip()))
        return list(services.distinct().order_by("category__code", "code").values_list("code", flat=True))

    def search(q: str) -> list[str]:
        return list(service_list(q=q).values_list("code", flat=True))

    queries = citizen_queries()
    published = ServiceItem.objects.filter(is_published=True).count()
    print(f"catalog: {published} published services; {len(queries)} citizen queries")

    kinds = sorted({query.kind for query in queries})
    groups = [(kind, [query for query in queries if query.kind == kind]) for kind in kinds] + [("all", queries)]
    columns = f"{'R@5':>5} {'MRR':>5} {'none':>5}"
    print(f"{'':20} {'substring':^17}   {'search':^17}")
    print(f"{'kind':14} {'n':>5} {columns}   {columns}")
    results: dict[str, tuple[Scores, Scores]] = {}
    for kind, group in groups:
        before, after = scores_of(substring, group), scores_of(search, group)
        results[kind] = (before, after)
        print(
            f"{kind:14} {len(group):5} {before.recall:5.3f} {before.mrr:5.3f} {empty_share(substring, group):5.2f}"
            f"   {after.recall:5.3f} {after.mrr:5.3f} {empty_share(search, group):5.2f}"
        )

    index = catalog_index()
    print(f"query time over {args.repeat} rounds of the set (the index built):")
    print(f"  substring, through the database: {milliseconds(timed(substring, queries, args.repeat))}")
    print(f"  search, through the selector:    {milliseconds(timed(search, queries, args.repeat))}")
    print(f"  search, the engine alone:        {milliseconds(timed(index.rank, queries, args.repeat))}")

    environment = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    cold = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", COLD_BUILD], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    setting_up, loading, building = (float(value) for value in cold.stdout.split()[-3:])
    print(
        f"fresh process: Django set up in {setting_up:.2f} s, then the search's libraries loaded in {loading:.2f} s "
        f"and the index built in {building:.2f} s (the first search of a process pays the last two)"
    )

    before, after = results["all"]
    print(f"below full recall: substring {len(before.misses)} queries, search {len(after.misses)}")
    if args.misses:
        for query, found in after.misses:
            print(f"  [{query.kind}] {query.q}: wanted {sorted(query.expected)}, search found first {found}")


def empty_share(search, queries: list[CitizenQuery]) -> float:
    return sum(1 for query in queries if not search(query.q)) / len(queries)


if __name__ == "__main__":
    main()
