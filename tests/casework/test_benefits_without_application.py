"""免申即享 end to end: a birth from the health feed opens a childcare-subsidy case a caseworker approves."""

import pytest

from profiles.models import ConsentChannel
from profiles.purposes import Purpose
from profiles.services.consent import consent_withdraw
from services_portal.casework.models import Case, CaseState
from services_portal.casework.services import CaseConflict, case_approve, case_object, case_reject, cases_detect
from services_portal.core.errors import PortalError
from services_portal.feeds.services import feed_batch_ingest
from services_portal.notifications.models import Notification
from tests.factories import birth_row

CHILDCARE = "gx-childcare-subsidy"


def childcare_case(parent):
    return Case.objects.get(citizen=parent, service__code=CHILDCARE)


def test_a_birth_from_the_health_feed_opens_a_childcare_case_with_evidence(
    django_capture_on_commit_callbacks, catalog, health_feed, parent
):
    # when the health department delivers the birth
    with django_capture_on_commit_callbacks(execute=True):
        batch = feed_batch_ingest(account=health_feed, batch_id="H-2026-0001", rows=[birth_row(parent)])
    # then the parent has a case with the evidence and its source
    assert (batch.rows_accepted, batch.rows_rejected) == (1, 0)
    case = childcare_case(parent)
    assert case.state == CaseState.IN_REVIEW and case.region_code == "450103"
    [evidence] = [e for e in case.evidence if e["fact"] == "children_birth_dates"]
    assert evidence["department"] == "health" and evidence["source"] == "department_feed"
    # and detecting again opens nothing new
    assert cases_detect(citizen_ids=[parent.pk]) == []
    assert Case.objects.filter(citizen=parent, service__code=CHILDCARE).count() == 1


def test_no_case_without_proactive_consent(django_capture_on_commit_callbacks, catalog, health_feed, parent):
    consent_withdraw(citizen=parent, purpose=Purpose.PROACTIVE_BENEFITS, channel=ConsentChannel.WEB)
    with django_capture_on_commit_callbacks(execute=True):
        feed_batch_ingest(account=health_feed, batch_id="H-1", rows=[birth_row(parent)])
    assert not Case.objects.filter(citizen=parent).exists()


@pytest.fixture
def open_case(django_capture_on_commit_callbacks, catalog, health_feed, parent):
    with django_capture_on_commit_callbacks(execute=True):
        feed_batch_ingest(account=health_feed, batch_id="H-1", rows=[birth_row(parent)])
    return childcare_case(parent)


def test_a_large_amount_needs_two_different_caseworkers(open_case, caseworker, second_caseworker, parent):
    assert open_case.amount_cny == 3600
    first = case_approve(case_id=open_case.pk, actor=caseworker, reason_code="criteria_met", version=1)
    assert first.state == CaseState.AWAITING_SECOND
    with pytest.raises(PortalError) as caught:
        case_approve(case_id=open_case.pk, actor=caseworker, reason_code="criteria_met", version=2)
    assert caught.value.code == "same_approver"
    done = case_approve(case_id=open_case.pk, actor=second_caseworker, reason_code="criteria_met", version=2)
    assert done.state == CaseState.APPROVED
    assert [e.action for e in done.events.all()] == ["opened", "first_approval", "approved"]
    notification = Notification.objects.get(citizen=parent)
    assert notification.title_en.startswith("Approved") and notification.title_zh


def test_a_stale_decision_gets_a_conflict(open_case, caseworker, second_caseworker):
    case_reject(case_id=open_case.pk, actor=caseworker, reason_code="data_wrong", version=1)
    with pytest.raises(CaseConflict) as caught:
        case_approve(case_id=open_case.pk, actor=second_caseworker, reason_code="criteria_met", version=1)
    assert caught.value.code == "conflict"
    assert Case.objects.get(pk=open_case.pk).state == CaseState.REJECTED


def test_an_objection_puts_the_case_back_in_the_queue(open_case, caseworker, parent):
    case_reject(case_id=open_case.pk, actor=caseworker, reason_code="other", text="出生信息待核实", version=1)
    case = case_object(citizen=parent, case_id=open_case.pk, text="孩子确实是今年出生的")
    assert case.state == CaseState.IN_REVIEW
    assert [e.action for e in case.events.all()][-1] == "objected"


def test_a_caseworker_outside_the_region_cannot_decide(open_case, db):
    from profiles.models import Role
    from tests.factories import StaffFactory

    outsider = StaffFactory(role=Role.CASEWORKER, region_scope="450200")
    with pytest.raises(PortalError) as caught:
        case_approve(case_id=open_case.pk, actor=outsider, reason_code="criteria_met", version=1)
    assert caught.value.code == "not_found"


def test_rejection_needs_a_listed_reason_and_text_for_other(open_case, caseworker):
    for code, text in (("because", ""), ("other", "  ")):
        with pytest.raises(PortalError):
            case_reject(case_id=open_case.pk, actor=caseworker, reason_code=code, text=text, version=1)
    assert Case.objects.get(pk=open_case.pk).state == CaseState.IN_REVIEW


def test_the_scheduled_sweep_finds_cases_the_feeds_did_not_trigger(catalog, parent):
    # given a parent whose birth fact arrived before the catalog marked the subsidy proactive
    from profiles.models import FactSource
    from profiles.services.facts import fact_record
    from services_portal.casework.tasks import detect_sweep

    fact_record(
        citizen=parent, key="children_birth_dates", value=birth_row(parent)["value"], source=FactSource.SELF_DECLARED
    )
    assert not Case.objects.exists()
    # when the sweep runs (its chunks run eagerly here, on workers in production)
    assert detect_sweep() >= 1
    # then the case is open, and a second sweep opens nothing more
    assert childcare_case(parent).state == CaseState.IN_REVIEW
    detect_sweep()
    assert Case.objects.filter(citizen=parent).count() == 1
