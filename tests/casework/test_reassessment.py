"""Re-assessment (动态认定): a benefit in force whose holder's records no longer meet its criteria gets a
review case for a caseworker, never an automatic stop; the person is told what changed and may respond;
a missing fact opens nothing and asks the person. Runs on SQLite and on PostgreSQL (the population
evaluator loads by COPY there)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from profiles import hooks as profiles_hooks
from profiles.models import ConsentChannel, FactSource
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from profiles.services.facts import fact_record
from services_portal.casework.models import Case, CaseAction, CaseOrigin, CaseState
from services_portal.casework.selectors import event_text, reviews_count
from services_portal.casework.services import (
    CaseConflict,
    benefits_reassess,
    case_approve,
    case_object,
    case_reject,
    review_respond,
)
from services_portal.casework.services.reassessment import next_period
from services_portal.catalog.models import ServiceItem
from services_portal.core.errors import PortalError
from services_portal.notifications.models import Notification
from services_portal.payments.models import Payment
from tests.factories import MODEL_BACKEND, StaffFactory, citizen_make

ELDERLY = "gx-elderly-allowance"
CHILDCARE = "gx-childcare-subsidy"


def _fact(citizen, key, value, department="public_security"):
    return fact_record(citizen=citizen, key=key, value=value, source=FactSource.DEPARTMENT_FEED, department=department)


def _benefit(citizen, code, *, state=CaseState.APPROVED, on=None):
    """A benefit in force for the current period: approved (or delivered) some time ago."""
    on = on or timezone.localdate()
    service = ServiceItem.objects.get(code=code)
    period = on.strftime("%Y-%m") if service.benefit_period == "month" else str(on.year)
    return Case.objects.create(
        citizen=citizen,
        service=service,
        period=period,
        region_code=citizen.region_code,
        amount_cny=service.benefit_amount_cny,
        state=state,
        eligibility="eligible",
        decided_at=timezone.now(),
    )


@pytest.fixture
def elder(db, catalog):
    """An 85-year-old in Nanning, registered in Guangxi, who receives the old-age allowance this month."""
    citizen = citizen_make(region_code="450103", name="王奶奶")
    for purpose in (Purpose.DATA_MATCHING, Purpose.SENSITIVE_FACTS):
        consent_grant(citizen=citizen, purpose=purpose, channel=ConsentChannel.WEB)
    _fact(citizen, "birth_date", "1941-03-02")
    _fact(citizen, "hukou_region_code", "450102")
    return citizen


@pytest.fixture
def allowance(elder):
    return _benefit(elder, ELDERLY)


def _moves_hukou_out(citizen):
    _fact(citizen, "hukou_region_code", "440106")


def _review_of(benefit):
    return Case.objects.get(origin=CaseOrigin.REVIEW, reviewed_case=benefit)


# -- finding -------------------------------------------------------------------------------------


def test_a_holder_who_no_longer_qualifies_gets_a_review_case_not_a_stop(allowance, elder):
    # given the elder's household registration moved out of Guangxi
    _moves_hukou_out(elder)
    # when the benefits in force are re-assessed
    found = benefits_reassess(on=timezone.localdate())
    # then one review case is open for a caseworker, on the benefit, in the same region and period
    [review] = found.opened
    assert (found.benefits, found.asked) == (1, 0)
    review.refresh_from_db()
    assert review.origin == CaseOrigin.REVIEW and review.reviewed_case_id == allowance.pk
    assert review.state == CaseState.IN_REVIEW and review.eligibility == "not_eligible"
    assert (review.citizen_id, review.service_id, review.period, review.region_code) == (
        elder.pk,
        allowance.service_id,
        allowance.period,
        "450103",
    )
    assert review.amount_cny is None  # approving the review pays nothing twice
    assert {c["key"]: c["status"] for c in review.criteria} == {"aged_80": "met", "hukou_guangxi": "not_met"}
    # and the evidence says what changed: the value now with its source, and the value before
    [change] = review.evidence
    assert change["fact"] == "hukou_region_code" and change["criterion"] == "hukou_guangxi"
    assert (change["value"], change["value_before"]) == ("440106", "450102")
    assert (change["source"], change["department"]) == ("department_feed", "public_security")
    assert review.respond_by == timezone.localdate() + datetime.timedelta(days=14)
    assert [e.action for e in review.events.all()] == [CaseAction.REVIEW_OPENED]
    # and the benefit itself is untouched
    allowance.refresh_from_db()
    assert allowance.state == CaseState.APPROVED and allowance.version == 1


def test_the_person_is_told_what_changed_that_nothing_stops_and_by_when_to_respond(allowance, elder):
    _moves_hukou_out(elder)
    [review] = benefits_reassess(on=timezone.localdate()).opened
    notification = Notification.objects.get(citizen=elder)
    assert notification.link == f"/me/cases/{review.pk}/"
    assert "Household registration in Guangxi" in notification.body_en
    assert "Nothing stops without a caseworker's decision" in notification.body_en
    assert review.respond_by.strftime("%Y") in notification.body_en
    assert "广西户籍" in notification.body_zh and notification.title_zh != notification.title_en


def test_running_again_opens_nothing_new(allowance, elder):
    _moves_hukou_out(elder)
    benefits_reassess(on=timezone.localdate())
    again = benefits_reassess(on=timezone.localdate())
    assert again.opened == [] and again.benefits == 0
    assert Case.objects.filter(origin=CaseOrigin.REVIEW).count() == 1
    assert Notification.objects.filter(citizen=elder).count() == 1


def test_a_holder_who_still_qualifies_gets_nothing(allowance, elder):
    found = benefits_reassess(on=timezone.localdate())
    assert (found.benefits, found.opened, found.asked) == (1, [], 0)
    assert not Notification.objects.filter(citizen=elder).exists()


def test_a_missing_fact_opens_no_case_and_asks_the_person_once(db, catalog):
    # given a holder whose household registration is not known
    citizen = citizen_make(region_code="450103")
    consent_grant(citizen=citizen, purpose=Purpose.DATA_MATCHING, channel=ConsentChannel.WEB)
    _fact(citizen, "birth_date", "1941-03-02")
    _benefit(citizen, ELDERLY)
    # when re-assessed twice
    first = benefits_reassess(on=timezone.localdate())
    second = benefits_reassess(on=timezone.localdate())
    # then no case, and the person is asked once for the missing fact
    assert (first.opened, first.asked, second.asked) == ([], 1, 0)
    assert not Case.objects.filter(origin=CaseOrigin.REVIEW).exists()
    [asked] = Notification.objects.filter(citizen=citizen)
    assert "Household registration (hukou) place" in asked.body_en and asked.link == "/me/facts/"
    assert "does not stop" in asked.body_en


def test_a_child_grown_past_the_age_opens_a_review_of_the_yearly_subsidy(db, catalog):
    parent = citizen_make(region_code="450103")
    for purpose in (Purpose.DATA_MATCHING, Purpose.SENSITIVE_FACTS):
        consent_grant(citizen=parent, purpose=purpose, channel=ConsentChannel.WEB)
    today = timezone.localdate()
    born = today.replace(year=today.year - 3) - datetime.timedelta(days=1)
    _fact(parent, "children_birth_dates", [born.isoformat()], department="health")
    subsidy = _benefit(parent, CHILDCARE, state=CaseState.DELIVERED)
    [review] = benefits_reassess(on=today).opened
    assert review.reviewed_case_id == subsidy.pk and review.period == str(today.year)
    [change] = review.evidence
    assert change["fact"] == "children_birth_dates" and change["value_before"] is None


def test_only_the_people_given_and_only_benefits_of_the_current_period(allowance, elder, db):
    _moves_hukou_out(elder)
    last_year = timezone.localdate().replace(day=1) - datetime.timedelta(days=400)
    old = _benefit(elder, CHILDCARE, on=last_year)
    other = citizen_make(region_code="450103")
    assert benefits_reassess(on=timezone.localdate(), citizen_ids=[other.pk]).opened == []
    [review] = benefits_reassess(on=timezone.localdate(), citizen_ids=[elder.pk]).opened
    assert review.reviewed_case_id == allowance.pk and not old.reviews.exists()


def test_new_facts_from_a_feed_reassess_through_the_profiles_hook(allowance, elder):
    _moves_hukou_out(elder)
    # the feeds call this once per batch with the people it changed
    opened = profiles_hooks.on_people_reassess.collect([elder.pk])
    assert 1 in opened
    assert _review_of(allowance).state == CaseState.IN_REVIEW


def test_the_daily_sweep_reassesses_the_holders(django_capture_on_commit_callbacks, allowance, elder):
    from services_portal.casework.tasks import detect_sweep

    _moves_hukou_out(elder)
    with django_capture_on_commit_callbacks(execute=True):
        detect_sweep()
    assert _review_of(allowance).state == CaseState.IN_REVIEW


# -- responding and deciding ---------------------------------------------------------------------


@pytest.fixture
def review(allowance, elder):
    _moves_hukou_out(elder)
    [opened] = benefits_reassess(on=timezone.localdate()).opened
    opened.refresh_from_db()
    return opened


def test_stopping_before_the_person_could_respond_is_refused(review, caseworker):
    with pytest.raises(CaseConflict) as caught:
        case_reject(case_id=review.pk, actor=caseworker, reason_code="not_eligible", version=review.version)
    assert caught.value.code == "response_pending"
    review.refresh_from_db()
    assert review.state == CaseState.IN_REVIEW and not review.reviewed_case.events.exists()


def test_the_person_responds_then_the_caseworker_stops_the_benefit_from_the_next_period(review, elder, caseworker):
    # given the person responds
    responded = review_respond(citizen=elder, case_id=review.pk, text="我已迁回南宁，户口本在办理中")
    assert responded.state == CaseState.IN_REVIEW and responded.version == review.version + 1
    # when the caseworker stops the benefit
    stopped = case_reject(
        case_id=review.pk, actor=caseworker, reason_code="not_eligible", text="户籍已迁出", version=responded.version
    )
    # then the review is rejected and the benefit's own case says from when it stops
    assert stopped.state == CaseState.REJECTED
    benefit = review.reviewed_case
    [row] = benefit.events.all()
    assert row.action == CaseAction.BENEFIT_STOPPED and row.actor == caseworker and row.reason_code == "not_eligible"
    assert row.text == next_period("month", benefit.period)
    assert next_period("month", benefit.period) in event_text(row)
    benefit.refresh_from_db()
    assert benefit.state == CaseState.APPROVED  # this period stays paid
    # and the person was told, in words for a benefit
    told = Notification.objects.filter(citizen=elder).latest("id")
    assert told.title_en.startswith("Your benefit stops") and "next period" in told.body_en
    # and the stopped benefit is not reviewed again
    assert benefits_reassess(on=timezone.localdate()).opened == []


def test_the_benefit_can_be_stopped_once_the_time_to_respond_is_over(review, caseworker, time_machine):
    time_machine.move_to(review.respond_by + datetime.timedelta(days=1))
    stopped = case_reject(case_id=review.pk, actor=caseworker, reason_code="not_eligible", version=review.version)
    assert stopped.state == CaseState.REJECTED


def test_keeping_the_benefit_pays_nothing_more_and_is_not_reviewed_again_until_records_change(
    review, elder, caseworker
):
    kept = case_approve(
        case_id=review.pk, actor=caseworker, reason_code="criteria_met_after_check", version=review.version
    )
    assert kept.state == CaseState.APPROVED
    assert [e.action for e in review.reviewed_case.events.all()] == [CaseAction.BENEFIT_KEPT]
    assert not Payment.objects.filter(case=kept).exists()
    assert Notification.objects.filter(citizen=elder).latest("id").title_en.startswith("Your benefit continues")
    # not again while nothing changed
    assert benefits_reassess(on=timezone.localdate()).opened == []
    # again once a new record arrives
    _fact(elder, "hukou_region_code", "440000")
    [again] = benefits_reassess(on=timezone.localdate()).opened
    assert again.reviewed_case_id == review.reviewed_case_id


def test_a_stopped_benefit_can_be_objected_to_and_decided_again(review, elder, caseworker):
    review_respond(citizen=elder, case_id=review.pk, text="户籍信息有误")
    case_reject(case_id=review.pk, actor=caseworker, reason_code="not_eligible", version=review.version + 1)
    objected = case_object(citizen=elder, case_id=review.pk, text="请再核实")
    assert objected.state == CaseState.IN_REVIEW
    case_approve(case_id=review.pk, actor=caseworker, reason_code="criteria_met_after_check", version=objected.version)
    assert [e.action for e in review.reviewed_case.events.all()] == [
        CaseAction.BENEFIT_STOPPED,
        CaseAction.BENEFIT_KEPT,
    ]


def test_bad_responses_are_refused(review, elder, allowance):
    with pytest.raises(PortalError) as blank:
        review_respond(citizen=elder, case_id=review.pk, text="  ")
    assert blank.value.code == "text_required"
    with pytest.raises(PortalError) as not_review:
        review_respond(citizen=elder, case_id=allowance.pk, text="hello")
    assert not_review.value.code == "not_a_review"
    stranger = citizen_make(region_code="450103")
    with pytest.raises(PortalError) as not_theirs:
        review_respond(citizen=stranger, case_id=review.pk, text="hello")
    assert not_theirs.value.code == "not_found"


# -- the pages and the API -----------------------------------------------------------------------


def test_the_person_sees_what_changed_and_responds_on_the_case_page(client, review, elder):
    client.force_login(elder.user, backend=MODEL_BACKEND)
    page = client.get(f"/me/cases/{review.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    body = page.content.decode()
    assert "We are checking your benefit again" in body and "Nothing stops without a caseworker" in body
    assert "No earlier record" not in body  # the hukou had a value before
    assert "Withdraw this application" not in body
    sent = client.post(f"/me/cases/{review.pk}/", {"action": "respond", "text": "我已迁回南宁"})
    assert sent.status_code == 302
    assert [e.action for e in Case.objects.get(pk=review.pk).events.all()][-1] == CaseAction.RESPONDED
    empty = client.post(f"/me/cases/{review.pk}/", {"action": "respond", "text": ""})
    assert empty.status_code == 400


def test_the_person_sees_it_in_chinese(client, review, elder):
    client.force_login(elder.user, backend=MODEL_BACKEND)
    client.cookies["django_language"] = "zh-hans"
    body = client.get(f"/me/cases/{review.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "我们正在重新核查您的待遇" in body and "广西户籍" in body


def test_the_caseworker_sees_what_changed_and_the_response_and_decides(client, review, elder, caseworker):
    review_respond(citizen=elder, case_id=review.pk, text="我已迁回南宁")
    client.force_login(caseworker, backend=MODEL_BACKEND)
    body = client.get(f"/casework/{review.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Re-assessment of a benefit in force" in body and "我已迁回南宁" in body
    assert "Keep the benefit" in body and "Stop the benefit" in body
    review.refresh_from_db()
    stopped = client.post(
        f"/casework/{review.pk}/",
        {"decision": "reject", "reason_code": "not_eligible", "text": "", "version": review.version},
    )
    assert stopped.status_code == 302
    assert Case.objects.get(pk=review.pk).state == CaseState.REJECTED


def test_a_caseworker_elsewhere_cannot_see_the_review(client, review):
    outsider = StaffFactory(role="caseworker", region_scope="450300")
    client.force_login(outsider, backend=MODEL_BACKEND)
    assert client.get(f"/casework/{review.pk}/").status_code == 404


def test_the_api_lists_the_review_and_takes_the_response(api_client, review, elder):
    api_client.force_authenticate(elder.user)
    detail = api_client.get(f"/api/v1/me/cases/{review.pk}/").json()
    assert detail["origin"] == "review" and detail["can_respond"] is True
    assert detail["reviewed_case_id"] == review.reviewed_case_id
    assert detail["evidence"][0]["value_before"] == "450102"
    answered = api_client.post(f"/api/v1/me/cases/{review.pk}/response/", {"text": "已迁回"}, format="json")
    assert answered.status_code == 200
    assert answered.json()["history"][-1]["action"] == "responded"
    assert answered.json()["history"][-1]["text"] == "已迁回"
    blank = api_client.post(f"/api/v1/me/cases/{review.pk}/response/", {"text": ""}, format="json")
    assert blank.status_code == 400 and blank.json()["error"]["code"] == "text_required"


def test_the_caseworker_api_refuses_a_stop_while_the_person_may_respond(api_client, review, caseworker):
    api_client.force_authenticate(caseworker)
    detail = api_client.get(f"/api/v1/casework/cases/{review.pk}/").json()
    assert detail["respond_by"] == review.respond_by.isoformat()
    refused = api_client.post(
        f"/api/v1/casework/cases/{review.pk}/reject/",
        {"reason_code": "not_eligible", "version": review.version},
        format="json",
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "response_pending"


# -- the operator's count ------------------------------------------------------------------------


def test_reviews_are_counted_per_region_without_anyone_in_them(review, elder, caseworker, db):
    counts = reviews_count(region_prefix="4501")
    assert (counts.found, counts.open, counts.kept, counts.stopped, counts.resolved) == (1, 1, 0, 0, 0)
    case_approve(case_id=review.pk, actor=caseworker, reason_code="criteria_met", version=review.version)
    counts = reviews_count(region_prefix="4501")
    assert (counts.found, counts.open, counts.kept, counts.resolved) == (1, 0, 1, 1)
    assert reviews_count(region_prefix="4503").found == 0
    assert reviews_count(region_prefix="").found == 1
