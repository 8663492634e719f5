"""Benchmark: reach within 7 days (应享未享) on the simulator, with and without the escalation rule.

The population simulator fills BENCH_DATABASE_URL (a scratch PostgreSQL database) as of a Monday morning,
and the behaviour of being reached (recommender.simulator.reach) gives it phones and accounts. Each scenario
then runs on a copy of it (`<name>_run`, made from it as a template) in a process of its own, driving the
portal's own services through simulated time (time-machine) for 7 days:

- day 0, 06:00: the reach ledger refreshed for everyone (reach_ledger_refresh: everyone eligible becomes so
  now: the ledger's first day), then the proactive-benefit detection sweep (casework.tasks.detect_sweep);
- every day at 10:00 the recommender's sweep (recommender.tasks.sweep: one push per person a week);
- every two hours from 08:00 to 22:00: the notifications dispatcher (notifications.tasks.dispatch: unread
  inbox rows on to text messages, deferred pushes delivered; delivery runs in this process, Celery eager),
  the people who open their inbox by then read it (reach.inbox_opens_draw), the ledger's later steps
  (reach_events_apply, for the people with events since the tick before last, as reach.tasks.events does;
  everyone's once more at the end) and, with --escalation on, the escalation rule (reach_escalate);
- on working days (the mainland calendar) at 10:00, counter staff of each county work their outreach list
  in its order, as far as their time goes (reach.counter_capacity, outreach_day_plan), recording each
  outcome with counter.services.outreach_outcome_record at its simulated moment.

Text messages go to the console backend (to a file) with a share of numbers out of service. Then it prints,
for essential services and for outreach services, the share of eligible (person, service) entries reached
within REACH_WITHIN_DAYS of becoming eligible, overall and per group (reach.groups), with the gap to the best
group and how they were reached; and the counter's backlog. Asserts nothing. In the real system people
become eligible a few at a time; here everyone does on the ledger's first day, the counters' hardest week.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_f \\
        python tests/bench/bench_reach.py --people 100000 --escalation both

Needs PostgreSQL (skips without). --reuse keeps the simulated base (same --people and --seed);
--capacity-scale multiplies the counters' time (0: as much as needed).
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.common import arguments_parse, database_url  # noqa: E402 - needs ROOT on the path

# A Monday morning, before the day's work: the ledger's first day.
START = datetime.datetime(2026, 11, 2, 6, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TICKS = (8, 10, 12, 14, 16, 18, 20, 22)
SEED = 20261123


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)  # Celery eager: delivery runs here, in simulated time
    os.environ["DJANGO_SETTINGS_MODULE"] = "services_portal.settings"
    os.environ["SMS_BACKEND"] = "recommender.simulator.reach.SimulatedSmsBackend"
    os.environ.setdefault("SIMULATOR_SMS_LOG", "/tmp/portal-bench-reach-sms.log")  # noqa: S108 - scratch
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    import django

    django.setup()
    from django.conf import settings

    if settings.PRODUCTION:
        sys.exit("Refusing to benchmark against a production database.")


# -- the base: the simulated population, with phones and accounts ---------------------------------------------


def prepare(url: str, *, people: int, seed: int) -> None:
    django_setup(url)
    import time_machine
    from django.core.management import call_command

    from recommender.simulator import population_simulate, reach

    call_command("migrate", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    call_command("catalog_import", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    started = time.perf_counter()
    summary = population_simulate(people=people, seed=seed, now=START)
    print(
        f"simulated {summary.people:,} people ({summary.offline_people:,} not online) "
        f"in {time.perf_counter() - started:.0f} s"
    )
    with time_machine.travel(START, tick=False):
        found = reach.people_read(now=START, seed=seed)
        phones, accounts = reach.reachability_give(found, seed=seed)
    print(
        f"phones on file: {phones:,} ({phones / len(found):.1%}); accounts: {accounts:,} (online in the last 90 days)"
    )


# -- a scenario --------------------------------------------------------------------------------------------


# The tables each tick fills. Autovacuum analyses them within a minute of a burst of writes; the simulated
# clock skips the two hours between ticks in a second, so the benchmark does it itself, as time would:
# without statistics, PostgreSQL plans the ledger's lookups as if the tables were empty.
TICK_TABLES = (
    "notifications_push",
    "notifications_delivery",
    "notifications_notification",
    "counter_outreachtask",
    "casework_case",
    "reach_reachentry",
)


def _statistics_refresh() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(TICK_TABLES)}")


def run(url: str, *, escalation: bool, seed: int, capacity_scale: float, days: int, escalate_after: int | None) -> None:
    django_setup(url)
    import numpy as np
    import time_machine
    from django.conf import settings
    from django.core.management import call_command
    from django.db.models import Count

    from profiles.models import User
    from recommender.simulator import reach
    from recommender.tasks import sweep
    from services_portal.casework.deadlines import _calendar
    from services_portal.casework.tasks import detect_sweep
    from services_portal.catalog.models import ServiceItem
    from services_portal.counter.models import OutreachOutcome, OutreachTask
    from services_portal.notifications.tasks import dispatch
    from services_portal.reach.services.escalation import reach_escalate
    from services_portal.reach.services.ledger import reach_events_apply, reach_ledger_refresh

    call_command("migrate", verbosity=0)
    if escalate_after is not None:
        ServiceItem.objects.filter(outreach=True).update(escalate_after_days=escalate_after)
    wait = ", ".join(
        sorted(
            {str(d) for d in ServiceItem.objects.filter(outreach=True).values_list("escalate_after_days", flat=True)}
        )
    )
    local = ZoneInfo(settings.TIME_ZONE)
    people = reach.people_read(now=START, seed=seed)
    phone_of = dict(zip(people.ids.tolist(), people.phone.tolist(), strict=True))
    capacity = reach.counter_capacity(people, scale=capacity_scale or 1.0)
    unlimited = capacity_scale == 0
    staff = {
        user.username.rsplit("-", 1)[1]: user for user in User.objects.filter(username__startswith="simulator-counter-")
    }
    timings: dict[str, float] = {}

    def timed(name: str, function, *args, **kwargs):  # noqa: ANN001, ANN202
        began = time.perf_counter()
        result = function(*args, **kwargs)
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - began
        return result

    with time_machine.travel(START, tick=False):
        ledger = timed("ledger refresh", reach_ledger_refresh, now=START)
    print(f"ledger: {ledger.people:,} people, {ledger.eligible:,} eligible entries, {ledger.seconds:.1f} s")
    with time_machine.travel(START + datetime.timedelta(minutes=30), tick=False):
        timed("detection sweep", detect_sweep)

    counter = {"worked": 0, **{o: 0 for o in ("reached_by_phone", "visited", "declined", "unreachable")}}
    carry: dict[str, float] = {}
    rng = np.random.default_rng([seed, 9])
    for day in range(days):
        midnight = datetime.datetime.combine(START.date() + datetime.timedelta(days=day), datetime.time(), local)
        working = _calendar(midnight.year).is_working_day(midnight.date())
        rows, moments = reach.inbox_opens_draw(rng, people, day=midnight)
        previous = midnight
        for hour in TICKS:
            now = midnight + datetime.timedelta(hours=hour)
            with time_machine.travel(now, tick=False):
                if hour == 10:
                    timed("recommender sweep", sweep)
                timed("dispatch and delivery", dispatch)
            due = np.array([previous < moment <= now for moment in moments], dtype=bool) if len(rows) else []
            if len(rows) and due.any():
                timed("inbox reads", reach.inbox_reads_apply, people.ids[rows[due]].tolist(), list(moments[due]))
            if hour == 10 and working:
                timed("counter work", _counter_day, rng, now, capacity, carry, unlimited, phone_of, staff, counter)
            timed("analyze", _statistics_refresh)
            with time_machine.travel(now, tick=False):
                # as reach.tasks.events does: the people with events in the last two intervals
                timed("events apply", reach_events_apply, since=previous - (now - previous))
                if escalation:
                    timed("escalation", reach_escalate, now=now)
            previous = now
        log(f"day {day} done ({', '.join(f'{k} {v:.0f} s' for k, v in timings.items())})")
    end = START + datetime.timedelta(days=days)
    with time_machine.travel(end, tick=False):
        timed("events apply", reach_events_apply)
    per_1000 = reach.rates.OUTREACH_CONTACTS_PER_1000.value
    capacity = "as much as needed" if unlimited else f"{capacity_scale:g} x {per_1000:g} a day per 1,000 adults"
    print(f"escalation rule: {'on' if escalation else 'off'} (after {wait} days); counter time: {capacity}")
    _report(end)
    left = OutreachTask.objects.filter(outcome=OutreachOutcome.OPEN).count()
    opened = OutreachTask.objects.count()
    print(
        f"counter: {opened:,} outreach tasks opened, {counter['worked']:,} contacts made "
        f"(by phone {counter['reached_by_phone']:,}, visited {counter['visited']:,}, declined {counter['declined']:,}, "
        f"not found {counter['unreachable']:,}); {left:,} still open at the end"
    )
    by_reason = OutreachTask.objects.values("reason").annotate(n=Count("pk")).order_by("-n")
    print("tasks by reason: " + ", ".join(f"{row['reason']} {row['n']:,}" for row in by_reason))
    print("time: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))


def _counter_day(  # noqa: PLR0913
    rng: np.random.Generator,
    now: datetime.datetime,
    capacity: dict[str, float],
    carry: dict[str, float],
    unlimited: bool,  # noqa: FBT001
    phone_of: dict[int, bool],
    staff: dict,
    counter: dict[str, int],
) -> None:
    """Counter staff of each county work their outreach list in its order, as far as their time goes, each
    outcome recorded at its moment of the working day."""
    import time_machine
    from django.db.models import Q
    from django.db.models.functions import Coalesce

    from recommender.simulator import reach
    from services_portal.casework.deadlines import working_days_after
    from services_portal.counter.models import OutreachOutcome, OutreachTask
    from services_portal.counter.services import outreach_outcome_record

    today = now.date()
    tasks = list(
        OutreachTask.objects.filter(
            Q(outcome=OutreachOutcome.OPEN) | Q(outcome=OutreachOutcome.UNREACHABLE, follow_up_on__lte=today)
        )
        .order_by("-essential", Coalesce("eligible_since", "created_at"), "created_at", "pk")
        .values_list("pk", "region_code", "citizen_id", "outcome")
    )
    budget = {
        region: (10**9 if unlimited else capacity.get(region, 0.0) + carry.get(region, 0.0))
        for region in {task[1] for task in tasks} | set(capacity)
    }
    plan = reach.outreach_day_plan(
        rng,
        [
            (pk, region, phone_of.get(citizen, False), outcome == OutreachOutcome.UNREACHABLE)
            for pk, region, citizen, outcome in tasks
        ],
        budget=budget,
    )
    for region in capacity:
        # time not used is gone; a visit that ran over comes off the next day
        carry[region] = min(budget.get(region, 0.0), 0.0) if not unlimited else 0.0
    follow_up = working_days_after(today, 1)
    by_pk = {task.pk: task for task in OutreachTask.objects.filter(pk__in=[c.task_id for c in plan])}
    for k, contact in enumerate(plan):
        task = by_pk[contact.task_id]
        moment = now - datetime.timedelta(hours=1) + datetime.timedelta(hours=8 * k / max(len(plan), 1))
        with time_machine.travel(moment, tick=False):
            outreach_outcome_record(
                task=task,
                staff=staff[task.region_code[:4]],
                outcome=contact.outcome,
                follow_up_on=follow_up if contact.outcome == OutreachOutcome.UNREACHABLE else None,
            )
        counter["worked"] += 1
        counter[contact.outcome] += 1


def _report(end: datetime.datetime) -> None:
    from django.conf import settings
    from django.db import connection

    from services_portal.catalog.rules import life_event_rules
    from services_portal.reach import groups

    within = datetime.timedelta(days=settings.REACH_WITHIN_DAYS)
    bits = {code: bit for code, (bit, _label) in groups.VULNERABLE.items()}
    bits.update(
        {
            groups.life_event_group(code): bit
            for code, bit in groups.life_event_bits([rule.code for rule in life_event_rules()]).items()
        }
    )
    for title, condition in (("essential services", "s.essential"), ("outreach services", "s.outreach")):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT e.groups, e.reached_channel, "  # noqa: S608 - the condition is one of two literals
                "  (e.reached_at IS NOT NULL AND e.reached_at <= e.eligible_at + %s) "
                "  OR (e.applied_at IS NOT NULL AND e.applied_at <= e.eligible_at + %s) "
                "FROM reach_reachentry e JOIN catalog_serviceitem s ON s.id = e.service_id "
                f"WHERE {condition} AND e.eligible_until IS NULL AND e.eligible_at <= %s",
                [within, within, end - within],
            )
            rows = cursor.fetchall()
        if not rows:
            print(f"{title}: no eligible entries")
            continue
        figures = {groups.ALL: _share(rows)}
        for code, bit in bits.items():
            members = [row for row in rows if row[0] & bit]
            if members:
                figures[code] = _share(members)
        best = max(share for share, n in figures.values() if n >= 10)
        print(f"{title}: reached within {within.days} days, of eligible entries (gap to the best group)")
        for code, (share, n) in figures.items():
            gap = f"{100 * (best - share):5.1f} points" if n >= 10 else "  (fewer than 10: not compared)"
            print(f"  {code:28} {share:7.1%} of {n:>7,}  {gap}")
        channels: dict[str, int] = {}
        for _bits, channel, in_time in rows:
            if in_time:
                channels[channel or "?"] = channels.get(channel or "?", 0) + 1
        print("  reached by: " + ", ".join(f"{c} {n:,}" for c, n in sorted(channels.items(), key=lambda x: -x[1])))


def _share(rows: list) -> tuple[float, int]:
    return sum(1 for row in rows if row[2]) / len(rows), len(rows)


# -- the orchestration ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--escalation", choices=("on", "off", "both"), default="both")
    parser.add_argument("--capacity-scale", type=float, default=1.0)
    parser.add_argument(
        "--escalate-after", type=int, default=None, help="days: every outreach service's escalate_after_days"
    )
    parser.add_argument("--reuse", action="store_true", help="keep the simulated base from an earlier run")
    parser.add_argument("--step", choices=("prepare", "run"), default=None, help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = arguments_parse(parser)
    if args.step == "prepare":
        return prepare(args.url, people=args.people, seed=args.seed)
    if args.step == "run":
        return run(
            args.url,
            escalation=args.escalation == "on",
            seed=args.seed,
            capacity_scale=args.capacity_scale,
            days=args.days,
            escalate_after=args.escalate_after,
        )

    base = database_url(postgres_only=True)
    server, name = base.split("?", 1)[0].rsplit("/", 1)
    options = "?" + base.split("?", 1)[1]
    me = [sys.executable, __file__, "--people", str(args.people), "--seed", str(args.seed)]
    if not args.reuse:
        subprocess.run([*me, "--step", "prepare", "--url", base], check=True)  # noqa: S603 - ourselves
    import psycopg

    for scenario in ("off", "on") if args.escalation == "both" else (args.escalation,):
        copy = f"{name}_run"
        with psycopg.connect(server + "/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{copy}"')
            admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
        print(f"\n== escalation {scenario} ==", flush=True)
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 - ourselves
            [
                *me,
                "--step",
                "run",
                "--url",
                f"{server}/{copy}{options}",
                "--escalation",
                scenario,
                "--capacity-scale",
                str(args.capacity_scale),
                "--days",
                str(args.days),
                *(["--escalate-after", str(args.escalate_after)] if args.escalate_after is not None else []),
            ],
            check=True,
        )
        print(f"scenario took {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
