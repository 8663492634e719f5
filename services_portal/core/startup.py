"""Work a web process does once, after loading and before serving."""

import gc

from django.urls import get_resolver

# Collect the youngest generation after 20,000 allocations instead of 700, so that a request's
# short-lived objects (a screener answer serialises ~5,000) die young instead of being promoted
# and walked again by full collections.
GC_THRESHOLDS = (20_000, 50, 1_000)


def web_process_ready() -> None:
    """Load the URL configuration now, move everything loaded so far out of the garbage collector's
    view (gc.freeze) and collect young objects less often.

    Start-up leaves ~130k long-lived objects. Without this, full collections walk them all in the
    middle of requests: 50-150 ms each on a 2-core machine, every 15 screener requests or so
    (tests/bench/bench_eligibility.py shows p95 falling from ~190 ms to the p50 of ~15 ms).
    """
    get_resolver().url_patterns  # noqa: B018 - imports every view module
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
