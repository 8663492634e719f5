"""The citizen's application API (/api/v1/me/application-form/, /me/applications/, resubmission and
withdrawal) and the files served to the applicant and to staff (/me/files/, /casework/files/)."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from profiles.models import AccessLogEntry, AccessPurpose, Role
from services_portal.casework.models import Application, Case, CaseState, MaterialFile
from services_portal.casework.services import case_accept, case_return
from tests.casework.test_materials import EXE, pdf_bytes, png_bytes, private_storage_in
from tests.factories import MODEL_BACKEND, StaffFactory, mother_of_a_newborn

HUKOU = "gx-newborn-hukou"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path, monkeypatch):
    return private_storage_in(tmp_path, settings, monkeypatch)


@pytest.fixture
def mother(catalog):
    citizen = mother_of_a_newborn()
    return citizen


def client_for(user, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user=user)
    return client


def certificate(name: str = "certificate.pdf", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes() if content is None else content, content_type="application/pdf")


def bundle_body(**overrides):
    return {
        "bundle": "birth",
        "confirmed": ["children_birth_dates"],
        "medical_insurance_type": "resident",
        "is_pregnant": "false",
        "declared": "true",
        "material.birth_medical_certificate": certificate(),
        **overrides,
    }


def hukou_body():
    return {
        "services": [HUKOU],
        "confirmed": ["children_birth_dates"],
        "declared": "true",
        "material.birth_medical_certificate": certificate(),
    }


def apply(user, body, **headers):
    return client_for(user).post("/api/v1/me/applications/", body, format="multipart", headers=headers)


def error(response):
    return response.json()["error"]


# -- the form -----------------------------------------------------------------------------------


def test_the_form_of_a_bundle_shows_held_facts_with_their_source_and_asks_the_rest(mother):
    response = client_for(mother.user).get("/api/v1/me/application-form/", {"bundle": "birth"})

    assert response.status_code == 200
    body = response.json()
    assert len(body["services"]) == 6
    [held] = body["held"]
    assert (held["fact"], held["source"], held["department"], held["correctable"]) == (
        "children_birth_dates",
        "department_feed",
        "health",
        False,
    )
    assert held["source_label"] == "Government department"
    asked = {fact["fact"]: fact for fact in body["asked"]}
    assert set(asked) == {"medical_insurance_type", "is_pregnant"}
    assert [choice["value"] for choice in asked["medical_insurance_type"]["choices"]] == [
        "employee",
        "resident",
        "none",
    ]
    uploads = [material for material in body["materials"] if not material["shared"]]
    assert [(m["code"], m["field"]) for m in uploads] == [
        ("birth_medical_certificate", "material.birth_medical_certificate")
    ]
    assert {verdict["service"]: verdict["outcome"] for verdict in body["verdicts"]}[HUKOU] == "eligible"
    assert body["standing"] == []


def test_the_form_needs_a_known_service_or_bundle(mother):
    client = client_for(mother.user)

    assert client.get("/api/v1/me/application-form/").status_code == 400
    assert client.get("/api/v1/me/application-form/", {"service": "no-such-service"}).status_code == 404


# -- applying -----------------------------------------------------------------------------------


def test_applying_for_a_bundle_answers_the_application_with_a_case_per_service(mother):
    response = apply(mother.user, bundle_body(), **{"Idempotency-Key": "k-1"})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["cases"]) == 6
    assert {case["service"]["department"]["code"] for case in body["cases"]} == {
        "health",
        "public_security",
        "healthcare_security",
    }
    maternity = next(case for case in body["cases"] if case["service"]["code"] == "gx-maternity-allowance")
    assert maternity["state"] == CaseState.SUBMITTED
    assert maternity["eligibility"] == "not_eligible"  # the rules advise: applying is still allowed
    assert {item["key"]: item["status"] for item in maternity["criteria"]}["employee_insured"] == "not_met"
    [upload] = body["files"]
    assert upload["material"] == "birth_medical_certificate"
    assert upload["url"] == f"/me/files/{upload['id']}/"


def test_a_retry_with_the_same_idempotency_key_answers_the_same_application_with_200(mother):
    first = apply(mother.user, bundle_body(), **{"Idempotency-Key": "k-1"})
    again = apply(mother.user, bundle_body(), **{"Idempotency-Key": "k-1"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Application.objects.filter(citizen=mother).count() == 1


def test_applying_twice_for_the_same_period_is_refused_with_a_link_to_the_first(mother):
    first = apply(mother.user, hukou_body())
    again = apply(mother.user, hukou_body())

    assert first.status_code == 201
    assert again.status_code == 409
    assert error(again)["code"] == "already_applied"
    assert error(again)["fields"]["first_case"] == [f"/me/cases/{first.json()['cases'][0]['id']}/"]


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (certificate("certificate.pdf", EXE), "type_not_allowed"),
        (certificate("setup.exe", EXE), "type_not_allowed"),
        (certificate("certificate.pdf", b""), "empty"),
        (certificate("certificate.png", pdf_bytes()), "extension_mismatch"),
    ],
)
def test_a_bad_file_is_a_clear_error_and_nothing_is_stored(mother, private_media, upload, code):
    response = apply(mother.user, bundle_body(**{"material.birth_medical_certificate": upload}))

    assert response.status_code == 400
    assert error(response)["code"] == code
    assert error(response)["fields"]["material.birth_medical_certificate"]
    assert not Application.objects.filter(citizen=mother).exists()
    assert not MaterialFile.objects.exists()
    assert not private_media.exists() or not any(path.is_file() for path in private_media.rglob("*"))


def test_a_file_too_large_or_too_many_files_are_refused(mother, settings):
    settings.MATERIAL_MAX_BYTES = 100
    assert error(apply(mother.user, bundle_body()))["code"] == "too_large"

    settings.MATERIAL_MAX_BYTES = 10 * 1024 * 1024
    settings.MATERIAL_MAX_FILES = 1
    body = bundle_body()
    body["material.birth_medical_certificate"] = [certificate(), certificate()]
    response = apply(mother.user, body)
    assert (response.status_code, error(response)["code"]) == (400, "too_many_files")


def test_without_the_declaration_nothing_is_submitted(mother):
    response = apply(mother.user, bundle_body(declared="false"))

    assert response.status_code == 400
    assert "declared" in error(response)["fields"]
    assert not Case.objects.filter(citizen=mother).exists()


def test_my_applications_list_and_detail_are_mine_only(mother, other_citizen):
    made = apply(mother.user, bundle_body()).json()

    mine = client_for(mother.user).get("/api/v1/me/applications/").json()
    assert [item["id"] for item in mine["results"]] == [made["id"]]
    assert client_for(mother.user).get(f"/api/v1/me/applications/{made['id']}/").json() == made
    assert client_for(other_citizen.user).get(f"/api/v1/me/applications/{made['id']}/").status_code == 404
    assert client_for(other_citizen.user).get("/api/v1/me/applications/").json()["results"] == []


def test_staff_cannot_use_the_citizen_api(mother):
    caseworker = StaffFactory(role=Role.CASEWORKER, region_scope="450100")

    assert client_for(caseworker).get("/api/v1/me/application-form/", {"bundle": "birth"}).status_code == 403


# -- on a case: 补正 and withdrawal --------------------------------------------------------------


@pytest.fixture
def returned(mother):
    made = apply(mother.user, hukou_body())
    caseworker = StaffFactory(role=Role.CASEWORKER, region_scope="450100")
    case = Case.objects.get(pk=made.json()["cases"][0]["id"])
    case = case_accept(case_id=case.pk, actor=caseworker, version=case.version)
    return case_return(case_id=case.pk, actor=caseworker, version=case.version, materials=["birth_medical_certificate"])


def test_a_returned_case_is_resubmitted_with_the_file(mother, returned):
    response = client_for(mother.user).post(
        f"/api/v1/me/cases/{returned.pk}/resubmission/",
        {"text": "clearer scan", "material.birth_medical_certificate": SimpleUploadedFile("scan.png", png_bytes())},
        format="multipart",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == CaseState.IN_REVIEW


def test_resubmitting_after_the_deadline_is_refused_with_the_reason(mother, returned):
    Case.objects.filter(pk=returned.pk).update(resubmit_by=timezone.localdate() - datetime.timedelta(days=2))

    response = client_for(mother.user).post(
        f"/api/v1/me/cases/{returned.pk}/resubmission/",
        {"material.birth_medical_certificate": SimpleUploadedFile("scan.png", png_bytes())},
        format="multipart",
    )

    assert response.status_code == 409
    assert error(response)["code"] == "deadline_passed"
    assert "has passed" in error(response)["message"]


def test_withdrawing_an_application(mother, other_citizen):
    made = apply(mother.user, hukou_body())
    case_id = made.json()["cases"][0]["id"]

    assert client_for(other_citizen.user).post(f"/api/v1/me/cases/{case_id}/withdrawal/").status_code == 404
    response = client_for(mother.user).post(f"/api/v1/me/cases/{case_id}/withdrawal/")
    assert response.status_code == 200
    assert response.json()["state"] == CaseState.WITHDRAWN


# -- the files ----------------------------------------------------------------------------------


def page_client(user) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def uploaded(mother):
    made = apply(mother.user, bundle_body()).json()
    return MaterialFile.objects.get(pk=made["files"][0]["id"])


def test_the_file_is_served_to_the_applicant_as_a_private_download(mother, uploaded):
    response = page_client(mother.user).get(f"/me/files/{uploaded.pk}/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_another_citizen_gets_404(other_citizen, uploaded):
    assert page_client(other_citizen.user).get(f"/me/files/{uploaded.pk}/").status_code == 404


def test_a_caseworker_in_scope_reads_the_file_and_the_read_is_logged(mother, uploaded):
    caseworker = StaffFactory(role=Role.CASEWORKER, region_scope="450100")

    response = page_client(caseworker).get(f"/casework/files/{uploaded.pk}/")

    assert response.status_code == 200
    entry = AccessLogEntry.objects.get(subject=mother, actor=caseworker)
    assert entry.purpose == AccessPurpose.CASEWORK
    assert entry.fields == ["material:birth_medical_certificate"]


def test_staff_out_of_scope_get_404_and_nothing_is_logged(mother, uploaded):
    elsewhere = StaffFactory(role=Role.CASEWORKER, region_scope="450200")
    other_department = StaffFactory(role=Role.CASEWORKER, region_scope="450100", department="taxation")
    auditor = StaffFactory(role=Role.AUDITOR, region_scope="")

    for user in (elsewhere, other_department, auditor):
        assert page_client(user).get(f"/casework/files/{uploaded.pk}/").status_code == 404
    assert not AccessLogEntry.objects.filter(subject=mother).exists()


def test_a_department_caseworker_reads_the_files_of_its_own_cases(mother, uploaded):
    health = StaffFactory(role=Role.CASEWORKER, region_scope="450100", department="health")

    assert page_client(health).get(f"/casework/files/{uploaded.pk}/").status_code == 200


def test_counter_staff_serving_the_person_may_read_logged_as_counter_service(mother, uploaded):
    counter = StaffFactory(role=Role.COUNTER_STAFF, region_scope="450100")

    assert page_client(counter).get(f"/casework/files/{uploaded.pk}/").status_code == 200
    assert AccessLogEntry.objects.get(subject=mother).purpose == AccessPurpose.COUNTER_SERVICE


def test_the_form_says_which_application_stands_already(mother):
    first = apply(mother.user, hukou_body()).json()["cases"][0]

    body = client_for(mother.user).get("/api/v1/me/application-form/", {"service": HUKOU}).json()

    assert body["standing"] == [
        {"service": HUKOU, "case_id": first["id"], "url": f"/me/cases/{first['id']}/", "state": "submitted"}
    ]


def test_a_service_whose_materials_are_all_obtained_by_the_department_takes_json(mother):
    """The birth medical certificate itself: the hospital's registration form is shared, nothing to upload."""
    response = client_for(mother.user).post(
        "/api/v1/me/applications/",
        {"services": ["gx-birth-medical-certificate"], "confirmed": ["children_birth_dates"], "declared": True},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["files"] == []
    assert response.json()["cases"][0]["service"]["department"]["code"] == "health"
