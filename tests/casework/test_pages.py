"""The casework pages: the caseworker's queue and case page, the person's own cases, and the inbox."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from profiles.models import AccessLogEntry, Role
from services_portal.casework.models import Case, CaseState
from services_portal.casework.services import case_reject
from services_portal.catalog.models import ServiceItem
from services_portal.feeds.services import feed_batch_ingest
from services_portal.notifications.models import Notification
from tests.factories import MODEL_BACKEND, StaffFactory, birth_row, citizen_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
CHILDCARE = "gx-childcare-subsidy"


def signed_in(client, user):
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def html_of(response) -> str:
    return response.content.decode()


def case_make(citizen, *, service: str = CHILDCARE, amount: str | None = "3600", period: str = "2026") -> Case:
    """A case as detection leaves it, without going through a feed: for the queue's filters and order."""
    return Case.objects.create(
        citizen=citizen,
        service=ServiceItem.objects.get(code=service),
        period=period,
        region_code=citizen.region_code,
        amount_cny=Decimal(amount) if amount is not None else None,
        evidence=[],
        criteria=[],
    )


@pytest.fixture
def open_case(django_capture_on_commit_callbacks, catalog, health_feed, parent):
    """The parent's childcare-subsidy case (3600 yuan: two approvals), opened by a birth from the health feed."""
    with django_capture_on_commit_callbacks(execute=True):
        feed_batch_ingest(account=health_feed, batch_id="H-1", rows=[birth_row(parent)])
    return Case.objects.get(citizen=parent, service__code=CHILDCARE)


@pytest.fixture
def outsider(db):
    """A caseworker in Liuzhou (450200): Nanning's cases are none of theirs."""
    return StaffFactory(username="liuzhou-caseworker", role=Role.CASEWORKER, region_scope="450200")


def post_decision(client, case, decision, *, version, reason="", text="", **headers):
    data = {"decision": decision, "reason_code": reason, "text": text, "version": version}
    return client.post(f"/casework/{case.pk}/", data, **headers)


# -- the queue -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "heading", "region", "name_field"),
    [(EN, "Case queue", "Qingxiu District, Nanning City", "name_en"), (ZH, None, "南宁市青秀区", "name_zh")],
    ids=["en", "zh"],
)
def test_the_queue_shows_open_cases_in_the_page_language(
    client, open_case, caseworker, parent, headers, heading, region, name_field
):
    # when the caseworker opens the queue
    response = signed_in(client, caseworker).get("/casework/", **headers)
    # then the case is listed with its service, region, amount, age and state, but nothing that
    # identifies the person: opening the case is the logged read
    html = html_of(response)
    assert response.status_code == 200
    assert f'href="/casework/{open_case.pk}/"' in html
    assert getattr(open_case.service, name_field) in html
    assert parent.resident_id_masked not in html and parent.name not in html
    assert region in html and ("3,600.00" if heading else "3600.00") in html
    if heading:
        assert f"<h1>{heading}</h1>" in html and "0 days" in html and "In review" in html
    else:
        assert '<html lang="zh-Hans">' in html and "审核中" in html
    # and listing the queue is not a read of anyone's record
    assert not AccessLogEntry.objects.exists()


def test_the_queue_filters_by_service_and_region_and_sorts(client, catalog, caseworker):
    # given open cases in two districts of Nanning, and one decided case
    qingxiu = citizen_make(region_code="450103", name="甲")
    xingning = citizen_make(region_code="450102", name="乙")
    small = case_make(qingxiu, amount="100")
    large = case_make(xingning, amount="5000")
    other_service = case_make(qingxiu, service="gx-elderly-allowance", amount="300")
    decided = case_make(xingning, service="gx-elderly-allowance", amount="999")
    Case.objects.filter(pk=decided.pk).update(state=CaseState.APPROVED)
    signed_in(client, caseworker)

    def listed(query: str = "") -> list[int]:
        response = client.get(f"/casework/{query}", **EN)
        assert response.status_code == 200
        return [int(number) for number in re.findall(r'href="/casework/(\d+)/"', html_of(response))]

    # oldest first by default; decided cases are not in the queue
    assert listed() == [small.pk, large.pk, other_service.pk]
    assert listed("?sort=amount") == [large.pk, other_service.pk, small.pk]
    assert listed("?sort=region") == [large.pk, small.pk, other_service.pk]
    assert listed(f"?service={CHILDCARE}") == [small.pk, large.pk]
    assert listed("?region=450102") == [large.pk]
    assert listed("?region=450100&service=gx-elderly-allowance") == [other_service.pk]


def test_a_region_outside_the_scope_is_not_a_choice(client, catalog, caseworker):
    case_make(citizen_make(region_code="450103"))
    response = signed_in(client, caseworker).get("/casework/?region=450203", **EN)
    html = html_of(response)
    assert response.status_code == 400
    assert 'id="id_region_error"' in html and 'href="#id_region"' in html
    # the filters that are valid still apply: the case in scope is listed
    assert "1 case waits for a decision" in html


def test_the_queue_pages_keep_the_filters(client, catalog, caseworker):
    citizen = citizen_make(region_code="450103")
    for year in range(2000, 2025):
        case_make(citizen, period=str(year))
    html = html_of(signed_in(client, caseworker).get(f"/casework/?service={CHILDCARE}&sort=amount", **EN))
    assert "25 cases wait for a decision" in html and len(re.findall(r'href="/casework/\d+/"', html)) == 20
    assert f'href="?service={CHILDCARE}&amp;sort=amount&amp;page=2"' in html


def test_elder_mode_shows_fewer_cases_a_page(client, catalog, caseworker):
    citizen = citizen_make(region_code="450103")
    for year in range(2000, 2010):
        case_make(citizen, period=str(year))
    client.cookies["display"] = "elder"
    html = html_of(signed_in(client, caseworker).get("/casework/", **EN))
    assert len(re.findall(r'href="/casework/\d+/"', html)) == 6


def test_the_queue_costs_the_same_queries_for_more_cases(client, catalog, caseworker):
    signed_in(client, caseworker)
    citizen = citizen_make(region_code="450103")
    case_make(citizen, period="2001")
    client.get("/casework/")  # the new session's first request records its browser and address
    with CaptureQueriesContext(connection) as one:
        client.get("/casework/")
    for year in range(2002, 2012):
        case_make(citizen_make(region_code="450102"), period=str(year))
    with CaptureQueriesContext(connection) as eleven:
        client.get("/casework/")
    assert len(eleven) == len(one)


def test_a_caseworker_of_another_city_sees_nothing_and_reads_nothing(client, open_case, outsider):
    signed_in(client, outsider)
    # the Nanning case is not in the Liuzhou queue
    html = html_of(client.get("/casework/", **EN))
    assert "0 cases wait for a decision" in html and f"/casework/{open_case.pk}/" not in html
    # opening it answers as if there were no such case, and nothing is logged
    assert client.get(f"/casework/{open_case.pk}/").status_code == 404
    assert post_decision(client, open_case, "approve", version=1, reason="criteria_met").status_code == 404
    assert not AccessLogEntry.objects.exists()
    assert Case.objects.get(pk=open_case.pk).state == CaseState.IN_REVIEW


def test_only_caseworkers_open_the_casework_pages(client, open_case, parent):
    assert client.get("/casework/").status_code == 302  # to sign in
    counter = StaffFactory(role=Role.COUNTER_STAFF, region_scope="450100")
    for user in (parent.user, counter):
        signed_in(client, user)
        assert client.get("/casework/").status_code == 403
        assert client.get(f"/casework/{open_case.pk}/").status_code == 403


# -- the case page ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("headers", "criterion_field"), [(EN, "label_en"), (ZH, "label_zh")], ids=["en", "zh"])
def test_the_case_page_shows_the_person_evidence_and_history(client, open_case, caseworker, headers, criterion_field):
    response = signed_in(client, caseworker).get(f"/casework/{open_case.pk}/", **headers)
    html = html_of(response)
    assert response.status_code == 200
    assert open_case.citizen.name in html and open_case.citizen.resident_id_masked in html
    assert open_case.criteria[0][criterion_field] in html
    # the evidence, with its department and source in the page language
    if headers is EN:
        assert "Children&#x27;s dates of birth" in html and "Guangxi Health Commission" in html
        assert "Government department" in html and "Opened by data matching" in html
    else:
        assert "子女出生日期" in html and "广西壮族自治区卫生健康委员会" in html
        assert "政府部门" in html and "通过数据比对发起" in html
    # both decision forms carry the version the caseworker saw
    assert html.count('name="version" value="1"') == 2


def test_opening_a_case_writes_one_access_log_row(client, open_case, caseworker):
    response = signed_in(client, caseworker).get(f"/casework/{open_case.pk}/")
    [entry] = AccessLogEntry.objects.all()
    assert (entry.actor, entry.subject_id, entry.purpose, entry.channel) == (
        caseworker,
        open_case.citizen_id,
        "casework",
        "page",
    )
    assert "children_birth_dates" in entry.fields and "resident_id_masked" in entry.fields
    assert entry.request_id == response["X-Request-ID"]


def test_two_caseworkers_approve_a_large_amount(client, open_case, caseworker, second_caseworker, parent):
    # when the first caseworker approves
    signed_in(client, caseworker)
    response = post_decision(client, open_case, "approve", version=1, reason="criteria_met", **EN)
    # then they are back at the queue, told that a second approval is needed
    assert response.status_code == 302 and response["Location"] == "/casework/"
    html = html_of(client.get("/casework/", **EN))
    assert f"Case {open_case.pk}: your approval is recorded" in html
    assert "Waiting for a second approval" in html
    # and on the case page they cannot approve again
    html = html_of(client.get(f"/casework/{open_case.pk}/", **EN))
    assert "You gave the first approval" in html
    assert 'value="approve"' not in html and 'value="reject"' in html
    # when a different caseworker approves
    signed_in(client, second_caseworker)
    html = html_of(client.get(f"/casework/{open_case.pk}/", **EN))
    assert f"{caseworker.username} gave the first approval" in html and 'value="approve"' in html
    response = post_decision(client, open_case, "approve", version=2, reason="criteria_met_after_check", **EN)
    # then the case is approved and the person told
    assert response.status_code == 302
    assert Case.objects.get(pk=open_case.pk).state == CaseState.APPROVED
    assert Notification.objects.filter(citizen=parent, title_en__startswith="Approved").exists()
    assert f"Case {open_case.pk} is approved" in html_of(client.get("/casework/", **EN))


def test_a_stale_version_gets_a_conflict_page_with_the_case_as_it_is(client, open_case, caseworker, second_caseworker):
    # given the first caseworker approved while the second was looking at version 1
    signed_in(client, caseworker)
    post_decision(client, open_case, "approve", version=1, reason="criteria_met")
    # when the second caseworker sends their decision on version 1
    signed_in(client, second_caseworker)
    response = post_decision(client, open_case, "reject", version=1, reason="data_wrong", **EN)
    # then the page says so (409), nothing changed, and the forms now carry the current version
    html = html_of(response)
    assert response.status_code == 409
    assert "Someone else decided this case while you were looking at it" in html and 'role="alert"' in html
    assert "Waiting for a second approval" in html
    assert html.count('name="version" value="2"') == 2
    assert Case.objects.get(pk=open_case.pk).state == CaseState.AWAITING_SECOND


def test_a_decided_case_answers_409_without_forms(client, open_case, caseworker, second_caseworker):
    case_reject(case_id=open_case.pk, actor=caseworker, reason_code="data_wrong", version=1)
    signed_in(client, second_caseworker)
    response = post_decision(client, open_case, "approve", version=2, reason="criteria_met", **EN)
    html = html_of(response)
    assert response.status_code == 409 and "This case has already been decided." in html
    assert 'name="version"' not in html and "Decided on" in html


def test_a_rejection_needs_a_reason_and_text_for_other(client, open_case, caseworker):
    signed_in(client, caseworker)
    # no reason
    response = post_decision(client, open_case, "reject", version=1, **EN)
    html = html_of(response)
    assert response.status_code == 400
    assert 'id="reject-reason_code_error"' in html and 'href="#reject-reason_code_0"' in html
    assert "Choose a reason from the list." in html
    # "other" without an explanation
    response = post_decision(client, open_case, "reject", version=1, reason="other", text="  ", **EN)
    html = html_of(response)
    assert response.status_code == 400
    assert 'id="reject-text_error"' in html and "Explain the reason." in html
    # the choice made is kept, and the case is unchanged
    assert re.search(r'value="other"[^>]*checked', html)
    assert Case.objects.get(pk=open_case.pk).state == CaseState.IN_REVIEW
    # with the explanation, it is rejected
    response = post_decision(client, open_case, "reject", version=1, reason="other", text="出生信息待核实")
    assert response.status_code == 302
    assert Case.objects.get(pk=open_case.pk).state == CaseState.REJECTED


def test_a_form_without_its_version_is_refused(client, open_case, caseworker):
    response = signed_in(client, caseworker).post(
        f"/casework/{open_case.pk}/", {"decision": "approve", "reason_code": "criteria_met"}, **EN
    )
    assert response.status_code == 400 and "The form is out of date." in html_of(response)
    assert Case.objects.get(pk=open_case.pk).state == CaseState.IN_REVIEW


# -- the person's own cases ------------------------------------------------------------------------


@pytest.fixture
def rejected_case(open_case, caseworker):
    return case_reject(case_id=open_case.pk, actor=caseworker, reason_code="other", text="出生信息待核实", version=1)


@pytest.mark.parametrize("headers", [EN, ZH], ids=["en", "zh"])
def test_the_person_sees_their_case_without_staff_names(client, rejected_case, caseworker, parent, headers):
    signed_in(client, parent.user)
    html = html_of(client.get("/me/cases/", **headers))
    assert f'href="/me/cases/{rejected_case.pk}/"' in html
    response = client.get(f"/me/cases/{rejected_case.pk}/", **headers)
    html = html_of(response)
    assert response.status_code == 200
    assert caseworker.username not in html
    assert "出生信息待核实" in html and 'name="text"' in html
    if headers is EN:
        assert "Rejected" in html and "Caseworker" in html and "Other reason (explained in the text)" in html
    else:
        assert "未批准" in html and "经办人员" in html


def test_an_objection_puts_the_case_back_in_the_queue(client, rejected_case, caseworker, parent):
    signed_in(client, parent.user)
    # an empty objection is refused on its field
    response = client.post(f"/me/cases/{rejected_case.pk}/", {"text": " "}, **EN)
    assert response.status_code == 400 and 'id="objection-text_error"' in html_of(response)
    # when the person says why they object
    response = client.post(f"/me/cases/{rejected_case.pk}/", {"text": "孩子确实是今年出生的"}, **EN)
    # then they see it was sent, and the case waits for a decision again
    assert response.status_code == 302 and response["Location"] == f"/me/cases/{rejected_case.pk}/"
    html = html_of(client.get(response["Location"], **EN))
    assert "Your objection is sent." in html and "The person objected" in html and 'name="text"' not in html
    assert Case.objects.get(pk=rejected_case.pk).state == CaseState.IN_REVIEW
    html = html_of(signed_in(client, caseworker).get("/casework/", **EN))
    assert f'href="/casework/{rejected_case.pk}/"' in html


def test_a_person_cannot_open_someone_elses_case(client, rejected_case, other_citizen, caseworker):
    signed_in(client, other_citizen.user)
    assert f"/me/cases/{rejected_case.pk}/" not in html_of(client.get("/me/cases/"))
    assert client.get(f"/me/cases/{rejected_case.pk}/").status_code == 404
    assert client.post(f"/me/cases/{rejected_case.pk}/", {"text": "不对"}).status_code == 404
    assert Case.objects.get(pk=rejected_case.pk).state == CaseState.REJECTED
    # and staff have no /me/ cases
    assert signed_in(client, caseworker).get("/me/cases/").status_code == 404


# -- the inbox -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("headers", "title_field"), [(EN, "title_en"), (ZH, "title_zh")], ids=["en", "zh"])
def test_the_inbox_shows_the_decision_and_marks_it_read(client, rejected_case, parent, headers, title_field):
    notification = Notification.objects.get(citizen=parent)
    signed_in(client, parent.user)
    # the decision is there, unread, in the page language
    html = html_of(client.get("/me/inbox/", **headers))
    assert getattr(notification, title_field) in html
    assert f'action="/me/inbox/{notification.pk}/read/"' in html
    # when the person marks it read
    response = client.post(f"/me/inbox/{notification.pk}/read/", **headers)
    # then it is read, and the button is gone
    assert response.status_code == 302 and response["Location"] == "/me/inbox/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    html = html_of(client.get("/me/inbox/", **headers))
    assert f'action="/me/inbox/{notification.pk}/read/"' not in html
