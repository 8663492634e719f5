"""Personal data where it belongs: withdrawing the consent to sensitive facts takes their copies out of
undecided cases and undelivered pushes; closing an account withdraws open cases, erases what the person
wrote and their household links; decided cases keep their evidence (README: "For the data-protection
officer")."""

import ast
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from profiles.models import ConsentChannel, Household
from profiles.purposes import Purpose
from profiles.services.accounts import citizen_erase
from profiles.services.consent import consent_withdraw
from services_portal.casework.models import Case, CaseEvent, CaseObjection, CaseState
from services_portal.casework.services import CaseConflict, case_approve, case_object, case_reject
from services_portal.catalog.models import ServiceItem
from services_portal.feeds.services import feed_batch_ingest
from services_portal.notifications.models import Delivery, DeliveryChannel, DeliveryState, Push
from services_portal.notifications.services import push_create
from tests.factories import birth_row

CHILDCARE = "gx-childcare-subsidy"  # its evidence is the children's birth dates: sensitive
CHECKUP = "gx-elderly-health-checkup"  # age only: not sensitive
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def open_case(django_capture_on_commit_callbacks, catalog, health_feed, parent):
    with django_capture_on_commit_callbacks(execute=True):
        feed_batch_ingest(account=health_feed, batch_id="H-1", rows=[birth_row(parent)])
    case = Case.objects.get(citizen=parent, service__code=CHILDCARE)
    assert [item["fact"] for item in case.evidence] == ["children_birth_dates"]
    return case


def withdraw_sensitive(citizen):
    consent_withdraw(citizen=citizen, purpose=Purpose.SENSITIVE_FACTS, channel=ConsentChannel.WEB)


# -- withdrawing the consent to sensitive facts --------------------------------------------------


def test_withdrawing_sensitive_consent_redacts_the_evidence_of_an_undecided_case(open_case, parent, caseworker):
    # when the parent withdraws the consent to sensitive facts while the case waits
    withdraw_sensitive(parent)
    # then the children's birth dates leave the case's evidence, the history says so
    case = Case.objects.get(pk=open_case.pk)
    assert case.evidence == []
    assert "children_birth_dates" not in str(case.evidence)
    assert [event.action for event in case.events.all()] == ["opened", "evidence_redacted"]
    # and a caseworker who saw the old evidence must look again before deciding
    assert case.version == open_case.version + 1
    with pytest.raises(CaseConflict) as stale:
        case_reject(case_id=case.pk, actor=caseworker, reason_code="data_wrong", version=open_case.version)
    assert stale.value.code == "conflict"


def test_a_decided_case_keeps_its_evidence_after_the_withdrawal(open_case, parent, caseworker):
    decided = case_reject(case_id=open_case.pk, actor=caseworker, reason_code="data_wrong", version=1)
    withdraw_sensitive(parent)
    case = Case.objects.get(pk=decided.pk)
    assert case.evidence == open_case.evidence and case.state == CaseState.REJECTED
    assert "evidence_redacted" not in [event.action for event in case.events.all()]


def test_withdrawing_sensitive_consent_redacts_pushes_not_yet_delivered(parent, catalog):
    # given three pushes: two waiting (one about a sensitive service, one not) and one delivered
    childcare, checkup = (ServiceItem.objects.get(code=code) for code in (CHILDCARE, CHECKUP))

    def push(service, key):
        return push_create(
            citizen=parent,
            service=service,
            trigger="sweep",
            key=key,
            title="For you: %(s)s",
            body="About %(s)s",
            params={"zh-hans": {"s": service.name_zh}, "en": {"s": service.name_en}},
        )

    waiting_sensitive, waiting_plain = push(childcare, "a"), push(checkup, "b")
    delivered = push(childcare, "c")
    Push.objects.filter(pk=delivered.pk).update(routed_at=timezone.now())
    Delivery.objects.create(push=delivered, channel=DeliveryChannel.INBOX, state=DeliveryState.DELIVERED)
    sms_pending = push(childcare, "d")
    Push.objects.filter(pk=sms_pending.pk).update(routed_at=timezone.now())
    Delivery.objects.create(push=sms_pending, channel=DeliveryChannel.INBOX, state=DeliveryState.DELIVERED)
    Delivery.objects.create(push=sms_pending, channel=DeliveryChannel.SMS, state=DeliveryState.TEMPORARY_FAILURE)
    # when the parent withdraws the consent to sensitive facts
    withdraw_sensitive(parent)
    # then what may still be sent about the sensitive service says only that there is news
    for made in (waiting_sensitive, sms_pending):
        made.refresh_from_db()
        text = f"{made.title_zh} {made.title_en} {made.body_zh} {made.body_en}"
        assert childcare.name_zh not in text and childcare.name_en not in text
        assert made.title_en == "News for you in the portal" and made.title_zh != made.title_en
    # while the push about a service that tells nothing sensitive, and what was delivered, stay
    waiting_plain.refresh_from_db()
    delivered.refresh_from_db()
    assert checkup.name_en in waiting_plain.title_en
    assert childcare.name_en in delivered.title_en


# -- closing the account -------------------------------------------------------------------------


def test_closing_the_account_withdraws_an_open_case_which_can_no_longer_be_decided(open_case, parent, caseworker):
    # when the parent closes their account while the case waits
    citizen_erase(citizen=parent)
    # then the case is withdrawn, with a history row, and holds no evidence any more
    case = Case.objects.get(pk=open_case.pk)
    assert case.state == CaseState.WITHDRAWN and case.evidence == []
    assert [event.action for event in case.events.all()] == ["opened", "withdrawn"]
    # and deciding it is refused with a clear conflict, in the service and in the API
    with pytest.raises(CaseConflict) as refused:
        case_approve(case_id=case.pk, actor=caseworker, reason_code="criteria_met", version=case.version)
    assert refused.value.code == "person_erased"
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user=caseworker)
    response = client.post(
        f"/api/v1/casework/cases/{case.pk}/reject/",
        {"reason_code": "data_wrong", "text": "", "version": case.version},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "person_erased"
    assert "closed their account" in response.json()["error"]["message"]
    assert Case.objects.get(pk=case.pk).state == CaseState.WITHDRAWN


def test_closing_the_account_erases_what_the_person_wrote_in_an_objection(open_case, parent, caseworker):
    # given a decision the parent objected to, in their own words
    case_reject(case_id=open_case.pk, actor=caseworker, reason_code="other", text="出生信息待核实", version=1)
    objected = case_object(citizen=parent, case_id=open_case.pk, text="我的孩子是今年三月出生的，住在青秀区")
    assert CaseObjection.objects.get(event__case=objected).text.startswith("我的孩子")
    # when the parent closes the account
    citizen_erase(citizen=parent)
    # then their words are gone; the history still says that they objected, and when
    assert not CaseObjection.objects.exists()
    history = list(CaseEvent.objects.filter(case=objected).values_list("action", "text"))
    assert ("objected", "") in history
    assert not any("我的孩子" in text for _, text in history)
    # and the caseworker's decision, an administrative act, is kept as it was made
    assert ("rejected", "出生信息待核实") in history


def test_closing_the_account_removes_household_links(parent, other_citizen):
    household = Household.objects.create(external_id="HH-450103-1")
    household.members.add(parent, other_citizen)
    citizen_erase(citizen=parent)
    assert list(household.members.all()) == [other_citizen]
    assert not parent.households.exists()


def test_closing_the_account_deletes_the_persons_pushes(parent, catalog):
    service = ServiceItem.objects.get(code=CHECKUP)
    push_create(citizen=parent, service=service, trigger="sweep", key="k", title="t", body="b")
    citizen_erase(citizen=parent)
    assert not Push.objects.filter(citizen=parent).exists()


# -- the floors ----------------------------------------------------------------------------------

ABOVE_PROFILES = ("recommender", "services_portal.casework", "services_portal.counter", "services_portal.notifications")


@pytest.mark.parametrize("module", ["services/accounts.py", "services/consent.py", "services/access.py", "hooks.py"])
def test_profiles_erasure_and_consent_import_nothing_above_profiles(module):
    tree = ast.parse((ROOT / "profiles" / module).read_text())
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert not [name for name in imported if name and name.startswith(ABOVE_PROFILES)]
