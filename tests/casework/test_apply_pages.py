"""The citizen's pages of applying and tracking: the apply form (免填报: held facts prefilled with their
source, only what is missing asked), check your answers and the declaration, one form for a bundle
(一件事一次办), the application's page (办件进度), 补正 and withdrawing on the case page."""

from __future__ import annotations

import datetime
import html as html_lib
import re

import pytest
from django.conf import settings
from django.utils import timezone

from profiles.models import BankAccount, ConsentChannel, FactSource, Role
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from profiles.services.facts import fact_record
from services_portal.casework.models import Application, Case, CaseState, MaterialFile
from services_portal.casework.services import case_accept, case_return
from tests.casework.test_materials import EXE, pdf_upload, png_upload
from tests.factories import MODEL_BACKEND, StaffFactory, citizen_make, mother_of_a_newborn

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
HUKOU = "gx-newborn-hukou"
CERTIFICATE = "birth_medical_certificate"
FILE_FIELD = f"material.{CERTIFICATE}"
CONFIRM_BIRTHS = "confirm.children_birth_dates"
# a 12-digit passbook account: no check digit to get right
BANK = {"bank_name": "中国工商银行", "account_number": "622202100012", "holder_name": "李华"}


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    return tmp_path / "private"


@pytest.fixture
def mother(catalog):
    """A Nanning mother (李华) of a baby born 20 days ago, as the health department said; she agreed to
    data matching and sensitive facts, and applies herself."""
    citizen = mother_of_a_newborn()
    return citizen


@pytest.fixture
def signed_in(client, mother):
    client.force_login(mother.user, backend=MODEL_BACKEND)
    return client


def page(response) -> str:
    return response.content.decode()


def hidden_fields(text: str) -> dict[str, list[str]]:
    """The hidden inputs of a page, as a browser would post them again."""
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text):
        fields.setdefault(html_lib.unescape(name), []).append(html_lib.unescape(value))
    return fields


def form_key(text: str) -> str:
    return hidden_fields(text)["idempotency_key"][0]


def answers_for_service(client, url: str, **extra) -> dict:
    """The form's first POST for the newborn's hukou: the birth confirmed, the certificate uploaded."""
    key = form_key(page(client.get(url, **EN)))
    return {"step": "answers", "idempotency_key": key, CONFIRM_BIRTHS: "on", FILE_FIELD: pdf_upload(), **extra}


def to_check_page(client, url: str, data: dict, **headers):
    response = client.post(url, data, **(headers or EN))
    assert response.status_code == 200, page(response)
    assert "Check your answers" in page(response) or "检查" in page(response)
    return response


def submit_from(client, url: str, check_page: str, *, declaration: bool = True, **headers):
    data = {**hidden_fields(check_page), "action": "submit"}
    if declaration:
        data["declaration"] = "on"
    return client.post(url, data, **(headers or EN))


def apply_for_hukou(client) -> Application:
    url = f"/services/{HUKOU}/apply/"
    check = to_check_page(client, url, answers_for_service(client, url))
    response = submit_from(client, url, page(check))
    assert response.status_code == 302
    return Application.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


# -- the ways in ----------------------------------------------------------------------------------


def test_the_service_page_offers_to_apply_and_a_visitor_signs_in_first(client, catalog):
    html = page(client.get(f"/services/{HUKOU}/", **EN))
    assert f'href="/services/{HUKOU}/apply/"' in html and "Apply online" in html
    # a service done only at a counter has no such button
    assert "/apply/" not in page(client.get("/services/gx-id-card-renewal/", **EN))
    assert client.get("/services/gx-id-card-renewal/apply/").status_code in (302, 404)
    # the bundle page offers one application for all
    assert 'href="/bundles/birth/apply/"' in page(client.get("/services/bundles/birth/", **EN))
    # a visitor is sent to sign in, and back to the form afterwards
    response = client.get(f"/services/{HUKOU}/apply/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login") or "login" in response["Location"]
    assert f"next=/services/{HUKOU}/apply/" in response["Location"].replace("%2F", "/")


def test_a_service_not_done_online_has_no_form(signed_in):
    assert signed_in.get("/services/gx-id-card-renewal/apply/").status_code == 404


# -- the form -------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [EN, ZH], ids=["en", "zh"])
def test_the_bundle_form_prefills_what_is_held_and_asks_only_what_is_missing(signed_in, headers):
    response = signed_in.get("/bundles/birth/apply/", **headers)
    html = page(response)
    assert response.status_code == 200
    # the birth the health department delivered, with its source, to confirm or report
    assert f'name="{CONFIRM_BIRTHS}"' in html and "/me/facts/" in html
    # the facts the maternity allowance reads that the portal lacks, asked with the registry's fields
    assert 'name="medical_insurance_type"' in html and 'name="is_pregnant"' in html
    assert 'name="children_birth_dates"' not in html  # held: not asked again
    # one upload for the whole bundle, and a bank account since the childcare subsidy pays money
    assert html.count(f'name="{FILE_FIELD}"') == 1 and 'enctype="multipart/form-data"' in html
    assert 'name="account_number"' in html
    if headers is EN:
        assert "Government department" in html and "Guangxi Health Commission" in html
        assert "Apply once" in html and "What the rules say" in html
        assert "Obtained by the department" in html or "obtains these itself" in html
    else:
        assert '<html lang="zh-Hans">' in html
        assert "政府部门" in html and "广西壮族自治区卫生健康委员会" in html


def test_a_form_with_mistakes_shows_each_error_next_to_its_field_and_keeps_the_file(signed_in):
    url = f"/services/{HUKOU}/apply/"
    key = form_key(page(signed_in.get(url, **EN)))
    # when the person neither confirms the birth nor uploads a readable certificate
    response = signed_in.post(
        url, {"step": "answers", "idempotency_key": key, FILE_FIELD: pdf_upload(name="cert.exe")}, **EN
    )
    html = page(response)
    # then each error is beside its field and listed above the form
    assert response.status_code == 400
    assert f'id="id_{CONFIRM_BIRTHS}_error"' in html and f'id="id_{FILE_FIELD}_error"' in html
    assert "There is a problem" in html and f'href="#id_{CONFIRM_BIRTHS}"' in html
    assert not Application.objects.exists()
    # a good file is kept while the rest is corrected: it need not be chosen again
    response = signed_in.post(
        url, {"step": "answers", "idempotency_key": key, FILE_FIELD: pdf_upload(name="scan.pdf")}, **EN
    )
    html = page(response)
    assert response.status_code == 400 and "scan.pdf" in html and 'name="held"' in html
    response = signed_in.post(url, {**hidden_fields(html), "step": "answers", CONFIRM_BIRTHS: "on"}, **EN)
    assert response.status_code == 200 and "Check your answers" in page(response) and "scan.pdf" in page(response)


def test_a_bad_answer_is_refused_by_the_registry_on_its_field(signed_in):
    url = "/bundles/birth/apply/"
    key = form_key(page(signed_in.get(url, **EN)))
    data = {"step": "answers", "idempotency_key": key, CONFIRM_BIRTHS: "on", FILE_FIELD: pdf_upload()}
    response = signed_in.post(url, {**data, "medical_insurance_type": "platinum", **BANK, "account_number": "12"}, **EN)
    html = page(response)
    assert response.status_code == 400
    assert 'id="id_medical_insurance_type_error"' in html and 'id="id_account_number_error"' in html


def test_an_exe_renamed_is_refused(signed_in):
    url = f"/services/{HUKOU}/apply/"
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = answers_for_service(signed_in, url, **{FILE_FIELD: SimpleUploadedFile("birth.pdf", EXE)})
    response = signed_in.post(url, data, **EN)
    assert response.status_code == 400 and f'id="id_{FILE_FIELD}_error"' in page(response)


# -- check your answers, the declaration, submitting ------------------------------------------------


def test_applying_for_one_service_checks_the_answers_then_submits_once(signed_in, mother, private_media):
    url = f"/services/{HUKOU}/apply/"
    check = page(to_check_page(signed_in, url, answers_for_service(signed_in, url)))
    # the check page sums up, and asks for the declaration
    assert "certificate.pdf" in check and 'name="declaration"' in check and 'name="held"' in check
    assert not Application.objects.exists()
    # without the declaration nothing is sent, and the error is beside the box
    response = submit_from(signed_in, url, check, declaration=False)
    assert response.status_code == 400 and 'id="id_declaration_error"' in page(response)
    assert not Application.objects.exists()
    # with it, one application, then its page (POST/redirect/GET)
    first = submit_from(signed_in, url, check)
    again = submit_from(signed_in, url, check)  # a second click, or the browser's retry
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    [application] = Application.objects.filter(citizen=mother)
    assert first["Location"] == f"/me/applications/{application.pk}/"
    [case] = application.cases.all()
    assert case.state == CaseState.SUBMITTED and case.service.code == HUKOU
    assert MaterialFile.objects.filter(application=application, material=CERTIFICATE).count() == 1
    # the files held for the check page are gone; the application's own are kept
    held = private_media / "held"
    assert not held.exists() or not [path for path in held.rglob("*") if path.is_file()]
    # the page tells what happens next and shows the history
    html = page(signed_in.get(first["Location"], **EN))
    assert "Your application is sent" in html and "Application submitted" in html
    assert "Ministry" in html or "Public Security" in html
    assert f'href="/me/cases/{case.pk}/"' in html and "Applied online" in html


def test_changing_the_answers_from_the_check_page_keeps_them_and_the_file(signed_in):
    url = f"/services/{HUKOU}/apply/"
    check = page(to_check_page(signed_in, url, answers_for_service(signed_in, url)))
    response = signed_in.post(url, {**hidden_fields(check), "action": "change"}, **EN)
    html = page(response)
    assert response.status_code == 200 and "certificate.pdf" in html
    assert re.search(rf'name="{re.escape(CONFIRM_BIRTHS)}"[^>]*checked', html)


def test_the_rules_saying_not_eligible_still_let_the_person_apply(client, catalog):
    # given a parent whose youngest child is two years old: too old for the newborn's hukou, say the rules
    parent = citizen_make(region_code="450103")
    for purpose in (Purpose.DATA_MATCHING, Purpose.SENSITIVE_FACTS):
        consent_grant(citizen=parent, purpose=purpose, channel=ConsentChannel.WEB)
    born = timezone.localdate() - datetime.timedelta(days=730)
    fact_record(
        citizen=parent,
        key="children_birth_dates",
        value=[born.isoformat()],
        source=FactSource.DEPARTMENT_FEED,
        department="health",
    )
    client.force_login(parent.user, backend=MODEL_BACKEND)
    url = f"/services/{HUKOU}/apply/"
    html = page(client.get(url, **EN))
    assert "result-not_eligible" in html and "You can still apply: the department decides." in html
    # when they apply all the same
    response = submit_from(client, url, page(to_check_page(client, url, answers_for_service(client, url))))
    # then the case is opened, carrying the rules' advice for the department
    assert response.status_code == 302
    case = Case.objects.get(citizen=parent)
    assert case.eligibility == "not_eligible" and case.state == CaseState.SUBMITTED
    html = page(client.get(f"/me/cases/{case.pk}/", **EN))
    assert "The rules said you did not qualify. The department decides." in html and "Not met" in html


def test_applying_twice_is_refused_with_a_link_to_the_first(signed_in, mother):
    application = apply_for_hukou(signed_in)
    case = application.cases.get()
    for headers in (EN, ZH):
        response = signed_in.get(f"/services/{HUKOU}/apply/", **headers)
        assert response.status_code == 409
        assert f'href="/me/cases/{case.pk}/"' in page(response)
    assert "You have applied already" in page(signed_in.get(f"/services/{HUKOU}/apply/", **EN))
    assert Application.objects.filter(citizen=mother).count() == 1


def test_the_birth_bundle_is_one_form_one_application_and_one_tracking_page(signed_in, mother):
    url = "/bundles/birth/apply/"
    key = form_key(page(signed_in.get(url, **EN)))
    data = {
        "step": "answers",
        "idempotency_key": key,
        CONFIRM_BIRTHS: "on",
        "medical_insurance_type": "employee",
        "is_pregnant": "false",
        FILE_FIELD: png_upload(),
        **BANK,
    }
    check = page(to_check_page(signed_in, url, data))
    assert "Employee" in check or "employee" in check.lower()
    response = submit_from(signed_in, url, check)
    assert response.status_code == 302
    [application] = Application.objects.filter(citizen=mother)
    assert application.bundle.code == "birth"
    cases = list(application.cases.select_related("service__department"))
    assert len(cases) == 6
    assert {case.service.department.code for case in cases} == {"health", "public_security", "healthcare_security"}
    assert MaterialFile.objects.filter(application=application).count() == 1  # asked once
    assert BankAccount.objects.filter(citizen=mother).count() == 1
    # one page follows them all, in both languages
    for headers, name_field, submitted in ((EN, "name_en", "Application submitted"), (ZH, "name_zh", "已提交申请")):
        html = page(signed_in.get(response["Location"], **headers))
        for case in cases:
            assert f'href="/me/cases/{case.pk}/"' in html and getattr(case.service, name_field) in html
            assert case.service.department.name_en in html if headers is EN else case.service.department.name_zh in html
        assert html.count(submitted) == 6
    # and each case is on the person's list
    html = page(signed_in.get("/me/cases/", **EN))
    assert all(f'href="/me/cases/{case.pk}/"' in html for case in cases)
    assert f'href="/me/applications/{application.pk}/"' in html


def test_a_refusal_at_submitting_comes_back_on_its_field_with_the_file_kept(signed_in, mother):
    # given answers that pass the form but an account in someone else's name, which only recording it refuses
    url = "/bundles/birth/apply/"
    key = form_key(page(signed_in.get(url, **EN)))
    data = {"step": "answers", "idempotency_key": key, CONFIRM_BIRTHS: "on", FILE_FIELD: pdf_upload(), **BANK}
    check = page(to_check_page(signed_in, url, {**data, "holder_name": "王五"}))
    # when the person sends it
    response = submit_from(signed_in, url, check)
    # then the form comes back with the error on the holder's name, the file still held, nothing stored
    html = page(response)
    assert response.status_code == 400 and 'id="id_holder_name_error"' in html
    assert "Benefits are paid only into an account in your own name." in html and "certificate.pdf" in html
    assert not Application.objects.exists() and not BankAccount.objects.exists()
    # corrected, it goes through without choosing the file again
    fixed = {**hidden_fields(html), "step": "answers", CONFIRM_BIRTHS: "on", **BANK}
    response = submit_from(signed_in, url, page(to_check_page(signed_in, url, fixed)))
    assert response.status_code == 302
    assert MaterialFile.objects.filter(application__citizen=mother).count() == 1


def test_a_person_kept_their_bank_account_sees_it_masked(signed_in, mother):
    from profiles.services.bank_accounts import bank_account_record

    bank_account_record(citizen=mother, source=FactSource.SELF_DECLARED, **BANK)
    html = page(signed_in.get("/bundles/birth/apply/", **EN))
    assert 'name="bank_choice"' in html and "0012" in html and "622202100012" not in html


def test_someone_else_cannot_open_the_application(client, signed_in, catalog):
    application = apply_for_hukou(signed_in)
    client.force_login(citizen_make(name="王芳").user, backend=MODEL_BACKEND)
    assert client.get(f"/me/applications/{application.pk}/").status_code == 404


# -- 补正 and withdrawing -------------------------------------------------------------------------------


@pytest.fixture
def returned(signed_in):
    caseworker = StaffFactory(role=Role.CASEWORKER, region_scope="450100")
    case = apply_for_hukou(signed_in).cases.get()
    case = case_accept(case_id=case.pk, actor=caseworker, version=case.version)
    return case_return(
        case_id=case.pk, actor=caseworker, version=case.version, materials=[CERTIFICATE], text="照片模糊，请重新扫描"
    )


@pytest.mark.parametrize("headers", [EN, ZH], ids=["en", "zh"])
def test_a_returned_case_says_what_is_missing_and_by_when(signed_in, returned, headers):
    html = page(signed_in.get(f"/me/cases/{returned.pk}/", **headers))
    assert "照片模糊，请重新扫描" in html and 'name="action" value="resubmit"' in html
    assert f'name="{FILE_FIELD}"' in html
    if headers is EN:
        assert "More is needed from you" in html and "Birth medical certificate" in html
        assert "Returned for more information" in html and "Caseworker" in html


def test_resubmitting_sends_the_file_and_puts_the_case_back_in_review(signed_in, returned):
    url = f"/me/cases/{returned.pk}/"
    # nothing sent: the error is on the file's field
    response = signed_in.post(url, {"action": "resubmit", "text": ""}, **EN)
    assert response.status_code == 400 and f'id="resubmit-{FILE_FIELD}_error"' in page(response)
    # with the file
    response = signed_in.post(url, {"action": "resubmit", FILE_FIELD: png_upload(), "text": "重新扫描了"}, **EN)
    assert response.status_code == 302 and response["Location"] == url
    assert Case.objects.get(pk=returned.pk).state == CaseState.IN_REVIEW
    html = page(signed_in.get(url, **EN))
    assert "More information sent" in html and "is with the department" in html
    assert 'value="resubmit"' not in html
    # the application's page: the case back in review, with its promised date and the whole history
    case = Case.objects.get(pk=returned.pk)
    html = page(signed_in.get(f"/me/applications/{case.application_id}/", **EN))
    assert "Decision due by" in html and "The department is reviewing it and decides by" in html
    for step in ("Application submitted", "Accepted", "Returned for more information", "More information sent"):
        assert step in html, step


def test_withdrawing_an_undecided_application(signed_in):
    case = apply_for_hukou(signed_in).cases.get()
    url = f"/me/cases/{case.pk}/"
    assert 'name="action" value="withdraw"' in page(signed_in.get(url, **EN))
    # the box must be ticked
    response = signed_in.post(url, {"action": "withdraw"}, **EN)
    assert response.status_code == 400 and 'id="withdraw-withdraw_error"' in page(response)
    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED
    response = signed_in.post(url, {"action": "withdraw", "withdraw": "on"}, **EN)
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == CaseState.WITHDRAWN
    html = page(signed_in.get(url, **EN))
    assert "Your application is withdrawn" in html and 'value="withdraw"' not in html
    # a withdrawn application does not stand: applying again is possible
    assert signed_in.get(f"/services/{HUKOU}/apply/", **EN).status_code == 200


# -- languages and elder mode -------------------------------------------------------------------------


def test_the_pages_follow_the_language_cookie_and_elder_mode(signed_in):
    application = apply_for_hukou(signed_in)
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    signed_in.cookies["display"] = "elder"
    for url in (f"/services/{HUKOU}/apply/", "/bundles/birth/apply/", f"/me/applications/{application.pk}/"):
        response = signed_in.get(url)
        html = page(response)
        assert response.status_code in (200, 409), url
        assert 'class="elder"' in html and '<html lang="zh-Hans">' in html, url
    html = page(signed_in.get(f"/me/applications/{application.pk}/"))
    assert "网上申请" in html or "在线" in html


# -- the files held between the form and the check page ------------------------------------------------


def test_held_files_are_only_the_uploaders_and_go_after_a_while(catalog, mother, private_media):
    from services_portal.casework.held_uploads import held_read, held_sweep, held_token, uploads_hold
    from services_portal.casework.materials import material_check

    # given a file held for the mother's check page
    held = uploads_hold([material_check(CERTIFICATE, pdf_upload())])
    token = held_token(mother, held)
    assert [item.name for item in held_read(mother, token)] == ["certificate.pdf"]
    # someone else's page cannot carry it, nor a forged token
    assert held_read(citizen_make(name="王芳"), token) == []
    assert held_read(mother, token[:-2] + "xx") == []
    # a sweep now keeps it; one after the time allowed removes it
    assert held_sweep() == 0 and held_read(mother, token)
    assert held_sweep(timezone.now() + datetime.timedelta(hours=5)) == 1
    assert held_read(mother, token) == []
    assert not [path for path in (private_media / "held").rglob("*") if path.is_file()]
