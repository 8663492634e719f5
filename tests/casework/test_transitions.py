"""Every transition of a case through the caseworker API, and every refusal: wrong state, a stale
version (409), a withdrawn application, a closed account, a missing material, a deadline in the past,
and a case outside the caseworker's department (404, as if there were none)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from profiles.models import Role
from services_portal.casework.deadlines import working_days_after
from services_portal.casework.models import Application, Case, CaseAction, CaseOrigin, CaseState, MaterialFile
from services_portal.casework.services import case_withdraw
from services_portal.casework.services.transitions import case_resubmitted
from services_portal.catalog.models import ServiceItem
from services_portal.notifications.models import Notification
from tests.factories import StaffFactory

VACCINATION = "gx-child-vaccination-booking"  # health; needs the birth medical certificate; pays nothing
CHILDCARE = "gx-childcare-subsidy"  # health; pays 3600 yuan: two approvals, delivered by payments
CERTIFICATE = "birth_medical_certificate"


def client_for(user, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user=user)
    return client


def application_case(citizen, *, service: str = VACCINATION, state: str = CaseState.SUBMITTED, **fields) -> Case:
    """An application as submitting it leaves it: the facts confirmed, one case waiting for intake."""
    application = Application.objects.create(
        citizen=citizen,
        origin=CaseOrigin.ONLINE,
        declared_at=timezone.now(),
        facts=[{"fact": "children_birth_dates", "value": ["2026-11-01"], "source": "self_declared", "department": ""}],
    )
    item = ServiceItem.objects.get(code=service)
    return Case.objects.create(
        citizen=citizen,
        service=item,
        origin=CaseOrigin.ONLINE,
        application=application,
        region_code=citizen.region_code,
        amount_cny=item.benefit_amount_cny,
        state=state,
        eligibility="maybe",
        criteria=[{"key": "child", "label_zh": "有婴儿", "label_en": "Has a baby", "status": "unknown"}],
        **{"period": "2026", **fields},
    )


def file_give(case: Case, material: str = CERTIFICATE) -> MaterialFile:
    assert case.application is not None
    return MaterialFile.objects.create(
        application=case.application,
        material=material,
        file=f"applications/{case.application_id}/certificate.pdf",
        name="出生医学证明.pdf",
        content_type="application/pdf",
        size=120_000,
        pages=2,
        sha256="0" * 64,
    )


def step(client, case, action, **data):
    return client.post(f"/api/v1/casework/cases/{case.pk}/{action}/", data, format="json")


def error_of(response) -> dict:
    return response.json()["error"]


@pytest.fixture
def health_worker(db):
    """A caseworker of the Nanning health commission."""
    return StaffFactory(role=Role.CASEWORKER, region_scope="450100", department="health")


@pytest.fixture
def submitted(catalog, parent):
    return application_case(parent)


# -- intake (受理) ---------------------------------------------------------------------------------


def test_accepting_starts_the_time_limit(submitted, health_worker, parent):
    # when the caseworker accepts the application they saw at version 1
    response = step(client_for(health_worker), submitted, "accept", version=1)
    # then it is in review, its due date the service's working days from today, and the person told
    assert response.status_code == 200
    body = response.json()
    due = working_days_after(timezone.localdate(), submitted.service.processing_days)
    assert (body["state"], body["version"], body["due_on"], body["overdue"]) == ("in_review", 2, due.isoformat(), False)
    case = Case.objects.get(pk=submitted.pk)
    assert case.accepted_at is not None and case.due_on == due
    assert list(case.events.values_list("action", "actor")) == [(CaseAction.ACCEPTED, health_worker.pk)]
    assert Notification.objects.filter(citizen=parent, title_en__startswith="Application accepted").exists()


def test_accepting_twice_or_on_a_stale_version_is_a_conflict(submitted, health_worker):
    client = client_for(health_worker)
    assert step(client, submitted, "accept", version=1).status_code == 200
    # the same click again, on the version it saw: someone (they) moved the case meanwhile
    response = step(client, submitted, "accept", version=1)
    assert response.status_code == 409 and error_of(response)["code"] == "conflict"
    # on the current version, the case is in review: not a step for it now
    response = step(client, submitted, "accept", version=2)
    assert response.status_code == 409 and error_of(response)["code"] == "wrong_state"
    assert Case.objects.get(pk=submitted.pk).version == 2


def test_refusing_at_intake_needs_a_listed_reason(submitted, health_worker, parent):
    client = client_for(health_worker)
    response = step(client, submitted, "refuse", version=1, reason_code="criteria_met")
    assert response.status_code == 400 and "reason_code" in error_of(response)["fields"]
    response = step(client, submitted, "refuse", version=1, reason_code="other", text=" ")
    assert response.status_code == 400 and error_of(response)["fields"]["text"] == ["Explain the reason."]
    assert Case.objects.get(pk=submitted.pk).state == CaseState.SUBMITTED
    # with a reason it is refused, and the history says why
    response = step(client, submitted, "refuse", version=1, reason_code="not_this_department", text="请向公安部门申请")
    assert response.status_code == 200 and response.json()["state"] == "refused"
    case = Case.objects.get(pk=submitted.pk)
    assert case.decided_at is not None
    [event] = case.events.all()
    assert (event.action, event.reason_code, event.text) == ("refused", "not_this_department", "请向公安部门申请")
    assert Notification.objects.filter(citizen=parent, title_en__startswith="Application not accepted").exists()
    # a refused application cannot be accepted afterwards
    response = step(client, submitted, "accept", version=2)
    assert response.status_code == 409 and error_of(response)["code"] == "already_decided"


# -- 补正 --------------------------------------------------------------------------------------------


def test_returning_for_more_says_what_and_by_when(submitted, health_worker, parent, settings):
    client = client_for(health_worker)
    by = timezone.localdate() + datetime.timedelta(days=5)
    response = step(
        client, submitted, "return", version=1, materials=[CERTIFICATE], text="证明不清晰", resubmit_by=by.isoformat()
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["returned_materials"], body["returned_note"], body["resubmit_by"]) == (
        "returned",
        [CERTIFICATE],
        "证明不清晰",
        by.isoformat(),
    )
    assert Notification.objects.filter(citizen=parent, title_en__startswith="More is needed").exists()
    # a returned case waits for the applicant: nothing to decide meanwhile
    response = step(client, submitted, "approve", version=2, reason_code="criteria_met")
    assert response.status_code == 409 and error_of(response)["code"] == "wrong_state"


def test_the_deadline_defaults_and_must_be_after_today(catalog, parent, health_worker, settings):
    client = client_for(health_worker)
    first = application_case(parent)
    response = step(client, first, "return", version=1, text="请补充")
    expected = timezone.localdate() + datetime.timedelta(days=settings.CASE_RESUBMIT_DAYS)
    assert response.status_code == 200 and response.json()["resubmit_by"] == expected.isoformat()
    second = application_case(parent, service=CHILDCARE)
    for day in (timezone.localdate(), timezone.localdate() - datetime.timedelta(days=1)):
        response = step(client, second, "return", version=1, text="请补充", resubmit_by=day.isoformat())
        assert response.status_code == 400 and error_of(response)["code"] == "invalid_deadline"
        assert "resubmit_by" in error_of(response)["fields"]
    # a material that is not the service's, or nothing said at all
    response = step(client, second, "return", version=1, materials=["marriage_certificate"])
    assert response.status_code == 400 and error_of(response)["code"] == "invalid_material"
    response = step(client, second, "return", version=1)
    assert response.status_code == 400 and error_of(response)["code"] == "text_required"
    assert Case.objects.get(pk=second.pk).state == CaseState.SUBMITTED


# -- decisions ------------------------------------------------------------------------------------


def test_approving_without_a_required_material_is_refused_until_it_comes(submitted, health_worker):
    client = client_for(health_worker)
    step(client, submitted, "accept", version=1)
    response = step(client, submitted, "approve", version=2, reason_code="criteria_met")
    assert response.status_code == 409 and error_of(response)["code"] == "material_missing"
    assert "出生医学证明" in error_of(response)["message"]
    # returned for it, the applicant sends it: back in review
    step(client, submitted, "return", version=2, materials=[CERTIFICATE], text="请上传出生医学证明")
    case = Case.objects.select_for_update().get(pk=submitted.pk)
    file_give(case)
    case_resubmitted(case, returned_at=timezone.now())
    assert Case.objects.get(pk=submitted.pk).state == CaseState.IN_REVIEW
    # then it is approved, and being free of charge, delivered by the caseworker
    response = step(client, submitted, "approve", version=4, reason_code="criteria_met")
    assert response.status_code == 200 and response.json()["state"] == "approved"
    response = step(client, submitted, "deliver", version=5, text="已预约接种")
    assert response.status_code == 200 and response.json()["state"] == "delivered"
    assert response.json()["delivered_at"] is not None
    actions = list(Case.objects.get(pk=submitted.pk).events.values_list("action", flat=True))
    assert actions == ["accepted", "returned", "resubmitted", "approved", "delivered"]


def test_a_benefit_that_pays_is_not_delivered_by_hand(catalog, parent, health_worker):
    case = application_case(parent, service=CHILDCARE, state=CaseState.APPROVED)
    response = step(client_for(health_worker), case, "deliver", version=1)
    assert response.status_code == 409 and error_of(response)["code"] == "paid_by_payments"
    assert Case.objects.get(pk=case.pk).state == CaseState.APPROVED


def test_delivering_before_approval_is_the_wrong_state(submitted, health_worker):
    response = step(client_for(health_worker), submitted, "deliver", version=1)
    assert response.status_code == 409 and error_of(response)["code"] == "wrong_state"


def test_a_large_amount_needs_a_second_different_approver(catalog, parent, health_worker):
    case = application_case(parent, service=CHILDCARE, state=CaseState.IN_REVIEW)
    file_give(case)
    response = step(client_for(health_worker), case, "approve", version=1, reason_code="criteria_met")
    assert response.status_code == 200 and response.json()["state"] == "awaiting_second"
    response = step(client_for(health_worker), case, "approve", version=2, reason_code="criteria_met")
    assert response.status_code == 400 and error_of(response)["code"] == "same_approver"
    other = StaffFactory(role=Role.CASEWORKER, region_scope="450000", department="health")
    response = step(client_for(other), case, "reject", version=2, reason_code="data_wrong")
    assert response.status_code == 200 and response.json()["state"] == "rejected"


# -- what no caseworker may decide ----------------------------------------------------------------


@pytest.mark.parametrize("action", ["accept", "refuse", "return"])
def test_a_withdrawn_application_cannot_be_decided(submitted, health_worker, parent, action):
    case_withdraw(citizen=parent, case_id=submitted.pk)
    data = {"version": 2, "reason_code": "other", "text": "x"}
    response = step(client_for(health_worker), submitted, action, **data)
    assert response.status_code == 409 and error_of(response)["code"] == "withdrawn"
    assert "withdrew" in error_of(response)["message"]


def test_a_closed_account_cannot_be_decided(catalog, parent, health_worker):
    case = application_case(parent, state=CaseState.IN_REVIEW)
    file_give(case)
    type(parent).objects.filter(pk=parent.pk).update(erased_at=timezone.now())
    response = step(client_for(health_worker), case, "approve", version=1, reason_code="criteria_met")
    assert response.status_code == 409 and error_of(response)["code"] == "person_erased"


def test_another_departments_case_is_not_found(submitted, health_worker):
    civil_affairs = StaffFactory(role=Role.CASEWORKER, region_scope="450100", department="civil_affairs")
    client = client_for(civil_affairs)
    assert client.get(f"/api/v1/casework/cases/{submitted.pk}/").status_code == 404
    for action, data in (("accept", {}), ("refuse", {"reason_code": "other", "text": "x"}), ("return", {"text": "x"})):
        response = step(client, submitted, action, version=1, **data)
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert submitted.pk not in [row["id"] for row in client.get("/api/v1/casework/cases/").json()["results"]]
    # the health commission's caseworker sees it
    assert client_for(health_worker).get(f"/api/v1/casework/cases/{submitted.pk}/").status_code == 200
    assert Case.objects.get(pk=submitted.pk).state == CaseState.SUBMITTED
