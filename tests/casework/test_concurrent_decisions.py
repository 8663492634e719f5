"""Two caseworkers decide the same case at the same moment, each in their own thread and database
connection: the row lock and the version make exactly one of them win. PostgreSQL only."""

import pytest
from django.db import connection

from services_portal.casework.models import Case, CaseAction, CaseState
from services_portal.casework.services import CaseConflict, case_approve, case_reject
from services_portal.casework.services import transitions as casework_services
from services_portal.feeds.services import feed_batch_ingest
from tests.conftest import postgres_only
from tests.factories import birth_row
from tests.workers import race

pytestmark = pytest.mark.django_db(transaction=True)

DECISIONS = {CaseAction.FIRST_APPROVAL, CaseAction.APPROVED, CaseAction.REJECTED}


@pytest.fixture(autouse=True)
def _postgres():
    postgres_only("SQLite has no row locks to race on")


@pytest.fixture
def case(catalog, health_feed, parent):
    # committed for real, so that every thread's connection sees it; detection runs on commit
    feed_batch_ingest(account=health_feed, batch_id="H-RACE", rows=[birth_row(parent)])
    return Case.objects.get(citizen=parent, service__code="gx-childcare-subsidy")


@pytest.fixture
def contended(monkeypatch):
    """Whoever takes the case's row lock first holds it until the other is queued behind it, so the
    two decisions really overlap; records that they did."""
    seen = []
    locked_for_decision = casework_services._locked

    def holding_the_lock(**kwargs):
        case = locked_for_decision(**kwargs)
        with connection.cursor() as cursor:
            for _ in range(1500):  # up to 15 s: a loaded machine may start the other thread late
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
                if cursor.fetchone()[0]:
                    seen.append(True)
                    break
                cursor.execute("SELECT pg_sleep(0.01)")
        return case

    monkeypatch.setattr(casework_services, "_locked", holding_the_lock)
    return seen


def decisions_of(case) -> list[str]:
    return [event.action for event in case.events.all() if event.action in DECISIONS]


@pytest.mark.parametrize("second", ["approve", "reject"])
def test_two_caseworkers_deciding_at_once_one_wins_the_other_gets_a_conflict(
    case, caseworker, second_caseworker, contended, second
):
    # given both caseworkers looking at version 1
    def approve():
        return case_approve(case_id=case.pk, actor=caseworker, reason_code="criteria_met", version=1)

    def other():
        if second == "approve":
            return case_approve(case_id=case.pk, actor=second_caseworker, reason_code="criteria_met", version=1)
        return case_reject(case_id=case.pk, actor=second_caseworker, reason_code="data_wrong", version=1)

    # when they decide at the same moment
    outcomes = race(approve, other)

    # then they really overlapped, exactly one won, and the other was told someone else decided
    assert contended == [True]
    winners = [outcome for outcome in outcomes if isinstance(outcome, Case)]
    losers = [outcome for outcome in outcomes if not isinstance(outcome, Case)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert isinstance(losers[0], CaseConflict) and losers[0].code in {"conflict", "already_decided"}
    stored = Case.objects.get(pk=case.pk)
    assert stored.version == 2 and stored.state == winners[0].state
    assert stored.state in {CaseState.AWAITING_SECOND, CaseState.REJECTED}
    assert len(decisions_of(stored)) == 1


def test_two_second_approvers_at_once_make_one_final_decision(case, caseworker, second_caseworker, contended):
    # given a first approval, and two other caseworkers (one approving, one rejecting) at version 2
    from profiles.models import Role
    from tests.factories import StaffFactory

    case_approve(case_id=case.pk, actor=caseworker, reason_code="criteria_met", version=1)
    third = StaffFactory(role=Role.CASEWORKER, region_scope="450103")

    # when both decide at the same moment
    outcomes = race(
        lambda: case_approve(case_id=case.pk, actor=second_caseworker, reason_code="criteria_met", version=2),
        lambda: case_reject(case_id=case.pk, actor=third, reason_code="not_eligible", version=2),
    )

    # then one final decision stands, with one history row and at most one notification about it
    from services_portal.notifications.models import Notification

    assert contended == [True]
    assert sum(isinstance(outcome, Case) for outcome in outcomes) == 1, outcomes
    assert sum(isinstance(outcome, CaseConflict) for outcome in outcomes) == 1, outcomes
    stored = Case.objects.get(pk=case.pk)
    assert stored.version == 3 and stored.state in {CaseState.APPROVED, CaseState.REJECTED}
    assert decisions_of(stored) == [CaseAction.FIRST_APPROVAL, stored.state]
    assert Notification.objects.filter(citizen=case.citizen).count() == 1
