"""Ended cases to rate: births from the health feed open childcare-subsidy cases (health department,
Nanning), which a caseworker rejects, or two caseworkers approve."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from profiles.models import ConsentChannel, Role
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from services_portal.casework.models import Case, CaseState
from services_portal.casework.services import case_approve, case_reject
from services_portal.catalog.models import ServiceItem
from services_portal.feeds.services import feed_batch_ingest
from tests.factories import MODEL_BACKEND, StaffFactory, birth_row, citizen_make

CHILDCARE = "gx-childcare-subsidy"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def signed_in(client, user):
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def parent_make(region_code: str = "450103"):
    citizen = citizen_make(region_code=region_code)
    for purpose in (Purpose.DATA_MATCHING, Purpose.SENSITIVE_FACTS, Purpose.PROACTIVE_BENEFITS):
        consent_grant(citizen=citizen, purpose=purpose, channel=ConsentChannel.WEB)
    return citizen


def open_cases(capture, health_feed, parents, batch_id="H-1") -> list[Case]:
    with capture(execute=True):
        feed_batch_ingest(account=health_feed, batch_id=batch_id, rows=[birth_row(parent) for parent in parents])
    return [Case.objects.get(citizen=parent, service__code=CHILDCARE) for parent in parents]


def case_end(case: Case, caseworker) -> Case:
    return case_reject(case_id=case.pk, actor=caseworker, reason_code="data_wrong", version=case.version)


@pytest.fixture
def open_case(django_capture_on_commit_callbacks, catalog, health_feed, parent):
    [case] = open_cases(django_capture_on_commit_callbacks, health_feed, [parent])
    return case


@pytest.fixture
def ended_case(open_case, caseworker):
    """The parent's childcare-subsidy case, rejected: it has ended."""
    return case_end(open_case, caseworker)


@pytest.fixture
def approved_case(open_case, caseworker, second_caseworker):
    case_approve(case_id=open_case.pk, actor=caseworker, reason_code="criteria_met", version=1)
    case = case_approve(case_id=open_case.pk, actor=second_caseworker, reason_code="criteria_met", version=2)
    assert case.state == CaseState.APPROVED
    return case


@pytest.fixture
def health_caseworker(db):
    """A caseworker of the health department in Nanning: the childcare subsidy is theirs."""
    return StaffFactory(username="nanning-health", role=Role.CASEWORKER, region_scope="450100", department="health")


@pytest.fixture
def administrator(db):
    return StaffFactory(username="admin-report", role=Role.ADMINISTRATOR, region_scope="")


@pytest.fixture
def auditor(db):
    return StaffFactory(username="auditor-report", role=Role.AUDITOR, region_scope="450000")


def ended_case_of(citizen, service_code: str, state: str = CaseState.APPROVED) -> Case:
    """A decided case of another service, made directly: for figures across departments."""
    return Case.objects.create(
        citizen=citizen,
        service=ServiceItem.objects.get(code=service_code),
        period="2026",
        region_code=citizen.region_code,
        amount_cny=Decimal("100"),
        state=state,
        decided_at=datetime.datetime.now(datetime.UTC),
    )
