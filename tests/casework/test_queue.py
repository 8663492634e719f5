"""The caseworker's queue and case page for applications and proactive cases alike: origin, due date,
overdue flag and counts, the filters, department scope, the steps by state; and the same in the API."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from profiles.models import Role
from services_portal.casework.models import Case, CaseOrigin, CaseState
from tests.casework.test_transitions import CERTIFICATE, CHILDCARE, application_case, client_for, file_give
from tests.factories import MODEL_BACKEND, StaffFactory, citizen_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
ELDERLY = "gx-elderly-allowance"  # civil affairs


def signed_in(client, user):
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def listed(html: str) -> list[int]:
    return [int(number) for number in re.findall(r'href="/casework/(\d+)/"', html)]


def material_file_url(pk: int) -> str | None:
    try:
        return reverse("casework:material_file", args=[pk])
    except NoReverseMatch:  # served by the "applications" part once it is there
        return None


@pytest.fixture
def health_worker(db):
    return StaffFactory(role=Role.CASEWORKER, region_scope="450100", department="health")


@pytest.fixture
def desk(catalog, parent):
    """The health commission's Nanning desk: an application waiting for intake, one overdue in review,
    one returned (its due date past, but the clock stops while the applicant holds it), one decided; a
    civil-affairs case; a Liuzhou one."""
    today = timezone.localdate()
    long_ago = today - datetime.timedelta(days=3)
    submitted = application_case(parent)
    overdue = application_case(parent, service=CHILDCARE, state=CaseState.IN_REVIEW, due_on=long_ago)
    other = citizen_make(region_code="450102", name="乙")
    returned = application_case(other, state=CaseState.RETURNED, due_on=long_ago, resubmit_by=today)
    decided = application_case(other, service=CHILDCARE, state=CaseState.APPROVED)
    elderly = application_case(other, service=ELDERLY, state=CaseState.IN_REVIEW, due_on=long_ago)
    liuzhou = application_case(citizen_make(region_code="450202"), state=CaseState.IN_REVIEW, due_on=long_ago)
    Case.objects.filter(pk=overdue.pk).update(origin=CaseOrigin.PROACTIVE, application=None)
    return {
        "submitted": submitted,
        "overdue": overdue,
        "returned": returned,
        "decided": decided,
        "elderly": elderly,
        "liuzhou": liuzhou,
    }


# -- the queue page --------------------------------------------------------------------------------


def test_the_queue_shows_origin_due_date_overdue_and_counts(client, desk, health_worker):
    response = signed_in(client, health_worker).get("/casework/", **EN)
    html = response.content.decode()
    assert response.status_code == 200
    # waiting for a caseworker, of the health commission, in Nanning: oldest first
    assert listed(html) == [desk["submitted"].pk, desk["overdue"].pk]
    assert "Applied online" in html and "Found by data matching" in html
    assert "Set when it is accepted" in html
    # the overdue flag in words, not only in colour, once
    assert html.count("Overdue: past its time limit") == 1
    counts = dict(re.findall(r"<dt>([^<]+)</dt><dd><a [^>]*>(\d+)</a>", html))
    assert counts == {
        "Waiting for a caseworker": "2",
        "Overdue: past their time limit": "1",
        "Submitted, waiting to be accepted": "1",
        "Returned, waiting for the applicant": "1",
    }


def test_the_queue_filters_by_state_origin_and_overdue(client, desk, health_worker):
    signed_in(client, health_worker)

    def ids(query: str) -> list[int]:
        response = client.get(f"/casework/{query}", **EN)
        assert response.status_code == 200
        return listed(response.content.decode())

    assert ids("?overdue=on") == [desk["overdue"].pk]
    assert ids("?state=returned") == [desk["returned"].pk]
    assert ids("?state=decided") == [desk["decided"].pk]
    assert ids("?state=submitted") == [desk["submitted"].pk]
    assert ids("?origin=proactive") == [desk["overdue"].pk]
    assert ids("?origin=counter") == []
    assert ids(f"?service={CHILDCARE}&state=approved") == [desk["decided"].pk]
    # a caseworker of no department sees every department's cases
    everyone = StaffFactory(role=Role.CASEWORKER, region_scope="450100")
    signed_in(client, everyone)
    assert set(ids("")) == {desk["submitted"].pk, desk["overdue"].pk, desk["elderly"].pk}
    # a service of another department is not a choice for the health commission
    signed_in(client, health_worker)
    assert client.get(f"/casework/?service={ELDERLY}", **EN).status_code == 400


def test_the_queue_page_costs_a_bounded_number_of_queries(client, desk, health_worker, django_assert_max_num_queries):
    signed_in(client, health_worker)
    client.get("/casework/")  # the session's first request records its browser
    for period in range(2000, 2030):
        application_case(citizen_make(region_code="450103"), state=CaseState.IN_REVIEW, period=str(period))
    with django_assert_max_num_queries(9):
        response = client.get("/casework/?overdue=on&sort=due")
    assert response.status_code == 200


# -- the case page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [EN, ZH], ids=["en", "zh"])
def test_the_case_page_shows_the_application(client, desk, health_worker, headers):
    case = desk["submitted"]
    upload = file_give(case)
    html = signed_in(client, health_worker).get(f"/casework/{case.pk}/", **headers).content.decode()
    # the facts as confirmed, with their source; the rules' advice with each criterion's status
    if headers is EN:
        assert "Children&#x27;s dates of birth" in html and "Declared by the applicant" in html
        assert "Has a baby" in html and "Not known" in html and "may qualify" in html
        assert "Applied online" in html
    else:
        assert "子女出生日期" in html and "有婴儿" in html and "未知" in html and "申请人申报" in html
    # the material, linked where staff may open it
    assert upload.name in html
    url = material_file_url(upload.pk)
    if url is not None:
        assert f'href="{url}"' in html
    # a submitted application: accept, refuse or return for more, each on the version seen
    assert re.findall(r'name="decision" value="(\w+)"', html) == ["accept", "refuse", "return"]
    assert html.count('name="version" value="1"') == 3
    default = (timezone.localdate() + datetime.timedelta(days=15)).isoformat()
    assert f'value="{default}"' in html and f'value="{CERTIFICATE}"' in html


def test_a_missing_material_is_shown_as_missing(client, desk, health_worker):
    html = signed_in(client, health_worker).get(f"/casework/{desk['submitted'].pk}/", **EN).content.decode()
    assert "Missing: required" in html


def test_accepting_and_refusing_from_the_page(client, desk, health_worker):
    signed_in(client, health_worker)
    case = desk["submitted"]
    response = client.post(f"/casework/{case.pk}/", {"decision": "accept", "version": 1}, **EN)
    assert response.status_code == 302 and response["Location"] == "/casework/"
    assert f"Case {case.pk} is accepted" in client.get("/casework/", **EN).content.decode()
    # a second accept on the version seen before: the conflict page, showing the case as it is
    response = client.post(f"/casework/{case.pk}/", {"decision": "accept", "version": 1}, **EN)
    html = response.content.decode()
    assert response.status_code == 409 and "Someone else decided this case" in html
    assert re.findall(r'name="decision" value="(\w+)"', html) == ["return", "approve", "reject"]
    assert 'name="version" value="2"' in html


def test_a_refusal_without_reason_is_shown_on_its_field(client, desk, health_worker):
    signed_in(client, health_worker)
    case = desk["submitted"]
    response = client.post(f"/casework/{case.pk}/", {"decision": "refuse", "version": 1, "reason_code": ""}, **EN)
    html = response.content.decode()
    assert response.status_code == 400 and 'id="refuse-reason_code_error"' in html
    response = client.post(
        f"/casework/{case.pk}/",
        {"decision": "refuse", "version": 1, "reason_code": "form_unusable", "text": ""},
        **EN,
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == CaseState.REFUSED
    html = client.get(f"/casework/{case.pk}/", **EN).content.decode()
    assert "Not accepted on" in html and "The application cannot be read" in html


def test_returning_from_the_page_with_a_past_deadline_is_refused_on_the_field(client, desk, health_worker):
    signed_in(client, health_worker)
    case = desk["submitted"]
    data = {"decision": "return", "version": 1, "materials": [CERTIFICATE], "text": "", "resubmit_by": "2020-01-01"}
    response = client.post(f"/casework/{case.pk}/", data, **EN)
    html = response.content.decode()
    assert response.status_code == 400 and 'id="return-resubmit_by_error"' in html
    assert re.search(rf'value="{CERTIFICATE}"[^>]*checked', html)
    data["resubmit_by"] = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    assert client.post(f"/casework/{case.pk}/", data, **EN).status_code == 302
    case.refresh_from_db()
    assert (case.state, case.returned_materials) == (CaseState.RETURNED, [CERTIFICATE])
    html = client.get(f"/casework/{case.pk}/", **EN).content.decode()
    assert "Waiting for the applicant" in html and 'name="decision"' not in html


def test_an_approved_free_service_is_delivered_from_the_page(client, catalog, parent, health_worker):
    case = application_case(parent, state=CaseState.APPROVED)
    signed_in(client, health_worker)
    html = client.get(f"/casework/{case.pk}/", **EN).content.decode()
    assert re.findall(r'name="decision" value="(\w+)"', html) == ["deliver"]
    response = client.post(f"/casework/{case.pk}/", {"decision": "deliver", "version": 1, "text": ""}, **EN)
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == CaseState.DELIVERED


def test_a_paying_approved_case_offers_no_delivery(client, desk, health_worker):
    html = signed_in(client, health_worker).get(f"/casework/{desk['decided'].pk}/", **EN).content.decode()
    assert 'name="decision"' not in html and "delivered when the payment is made" in html


def test_another_departments_case_page_is_not_found(client, desk, health_worker):
    signed_in(client, health_worker)
    assert client.get(f"/casework/{desk['elderly'].pk}/").status_code == 404
    assert client.post(f"/casework/{desk['elderly'].pk}/", {"decision": "accept", "version": 1}).status_code == 404


# -- the API ---------------------------------------------------------------------------------------


def test_the_api_queue_has_origin_due_date_and_overdue(desk, health_worker, django_assert_num_queries):
    client = client_for(health_worker)
    with django_assert_num_queries(2):  # the count and the page
        response = client.get("/api/v1/casework/cases/")
    rows = {row["id"]: row for row in response.json()["results"]}
    assert list(rows) == [desk["submitted"].pk, desk["overdue"].pk]
    overdue = rows[desk["overdue"].pk]
    assert (overdue["origin"], overdue["overdue"], overdue["state"]) == ("proactive", True, "in_review")
    assert rows[desk["submitted"].pk]["due_on"] is None and rows[desk["submitted"].pk]["eligibility"] == "maybe"
    response = client.get("/api/v1/casework/cases/", {"overdue": "true"})
    assert [row["id"] for row in response.json()["results"]] == [desk["overdue"].pk]
    response = client.get("/api/v1/casework/cases/", {"state": "returned"})
    assert [row["id"] for row in response.json()["results"]] == [desk["returned"].pk]
    assert client.get("/api/v1/casework/cases/", {"overdue": "yes"}).status_code == 400
    counts = client.get("/api/v1/casework/cases/counts/").json()
    assert counts == {"waiting": 2, "overdue": 1, "returned": 1, "submitted": 1}


def test_the_api_detail_has_facts_criteria_and_materials(desk, health_worker):
    case = desk["submitted"]
    upload = file_give(case)
    body = client_for(health_worker, "en").get(f"/api/v1/casework/cases/{case.pk}/").json()
    assert body["origin"] == "online" and body["eligibility"] == "maybe"
    assert body["criteria"] == [{"key": "child", "label": "Has a baby", "status": "unknown"}]
    [fact] = body["facts"]
    assert (fact["fact"], fact["source"], fact["value"]) == ("children_birth_dates", "self_declared", ["2026-11-01"])
    [material] = body["materials"]
    assert (material["id"], material["material"], material["size"], material["pages"]) == (
        upload.pk,
        CERTIFICATE,
        120_000,
        2,
    )
    assert material["url"] == material_file_url(upload.pk)
    assert body["materials_required"] == [CERTIFICATE]
