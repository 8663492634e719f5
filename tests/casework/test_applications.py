"""Applying: the form asks only what the portal lacks (免填报), a bundle (一件事一次办) is one form split into
one case per service routed to its department, the rules advise and departments decide, and bad input
stores nothing."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from profiles.models import FactSource, FactValue, Role
from profiles.services.accounts import citizen_erase
from services_portal.casework import hooks
from services_portal.casework.errors import CaseConflict
from services_portal.casework.models import (
    Application,
    Case,
    CaseAction,
    CaseOrigin,
    CaseState,
    MaterialFile,
)
from services_portal.casework.services import case_accept, case_return
from services_portal.casework.services.applications import (
    AlreadyApplied,
    application_form_for,
    application_submit,
    case_resubmit,
)
from services_portal.catalog.models import Bundle, ServiceItem
from services_portal.core.errors import PortalError
from tests.casework.test_materials import EXE, pdf_upload, png_upload, private_storage_in
from tests.conftest import postgres_only
from tests.factories import StaffFactory, citizen_make, mother_of_a_newborn

MATERNITY = "gx-maternity-allowance"
HUKOU = "gx-newborn-hukou"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path, monkeypatch):
    return private_storage_in(tmp_path, settings, monkeypatch)


@pytest.fixture
def mother(catalog):
    """A Nanning mother of a baby born 20 days ago (the health department said so), who agreed to data
    matching and sensitive facts but not to benefits without applying: she applies."""
    citizen = mother_of_a_newborn()
    return citizen


@pytest.fixture
def birth():
    return Bundle.objects.get(code="birth")


def submit(citizen, *, bundle=None, services=(), files=None, **overrides):
    arguments = {
        "citizen": citizen,
        "services": list(services),
        "bundle": bundle,
        "confirmed": ["children_birth_dates"],
        # what the bundle asks (the maternity allowance's facts); a service alone may ask nothing
        "given": {"medical_insurance_type": "resident", "is_pregnant": "no"} if bundle else {},
        "files": files if files is not None else {"birth_medical_certificate": [pdf_upload()]},
        "declared": True,
        **overrides,
    }
    return application_submit(**arguments)


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# -- the form -----------------------------------------------------------------------------------


def test_the_form_prefills_what_is_held_with_its_source_and_asks_only_what_is_missing(mother, birth):
    form = application_form_for(mother, services=[], bundle=birth)

    held = {fact.definition.key: fact for fact in form.held}
    assert set(held) == {"children_birth_dates"}
    assert held["children_birth_dates"].source == FactSource.DEPARTMENT_FEED
    assert held["children_birth_dates"].department == "health"
    assert {fact.key for fact in form.asked} == {"medical_insurance_type", "is_pregnant"}
    assert [material.code for material in form.uploads] == ["birth_medical_certificate"]
    assert len(form.uploads[0].services) == 5
    assert {verdict.service.code: verdict.outcome for verdict in form.verdicts}[HUKOU] == "eligible"
    assert not form.standing


def test_sensitive_facts_are_not_asked_without_the_consent_to_hold_them(catalog, birth):
    form = application_form_for(citizen_make(), services=[], bundle=birth)

    assert {fact.key for fact in form.asked} == {"medical_insurance_type"}


# -- submitting a bundle ------------------------------------------------------------------------


def test_a_bundle_is_one_application_split_into_a_case_per_service_each_with_its_department(mother, birth, monkeypatch):
    told = []
    listen = [*hooks.on_case_event.steps, lambda case, event: told.append((case.service.code, event.action))]
    monkeypatch.setattr(hooks.on_case_event, "steps", listen)

    application = submit(mother, bundle=birth)

    cases = list(application.cases.select_related("service__department").order_by("id"))
    assert len(cases) == 6
    assert {case.service.department.code for case in cases} == {"health", "public_security", "healthcare_security"}
    assert all(case.state == CaseState.SUBMITTED and case.origin == CaseOrigin.ONLINE for case in cases)
    assert all(case.region_code == "450103" and case.version == 1 for case in cases)
    assert [list(case.events.values_list("action", flat=True)) for case in cases] == [[CaseAction.SUBMITTED]] * 6
    assert sorted(told) == sorted((case.service.code, CaseAction.SUBMITTED) for case in cases)
    # the one upload, once for all of them
    assert MaterialFile.objects.filter(application=application).count() == 1
    assert application.declared_at is not None


def test_the_answers_become_the_persons_own_facts_and_the_application_keeps_what_was_confirmed(mother, birth):
    application = submit(mother, bundle=birth)

    recorded = FactValue.objects.get(citizen=mother, key="medical_insurance_type", superseded_at__isnull=True)
    assert recorded.source == FactSource.SELF_DECLARED
    facts = {item["fact"]: item for item in application.facts}
    assert facts["children_birth_dates"]["source"] == FactSource.DEPARTMENT_FEED
    assert facts["children_birth_dates"]["department"] == "health"
    assert facts["medical_insurance_type"] == {
        "fact": "medical_insurance_type",
        "value": "resident",
        "source": FactSource.SELF_DECLARED,
        "department": "",
    }


def test_not_eligible_may_still_apply_and_the_case_carries_the_verdict_with_its_reasons(mother, birth):
    application = submit(mother, bundle=birth)

    maternity = application.cases.get(service__code=MATERNITY)
    assert maternity.eligibility == "not_eligible"
    statuses = {item["key"]: item["status"] for item in maternity.criteria}
    assert statuses == {"employee_insured": "not_met", "pregnant_or_new_mother": "met"}
    assert application.cases.get(service__code=HUKOU).eligibility == "eligible"


def test_at_the_counter_the_facts_are_the_counter_staffs_and_the_cases_say_so(mother, birth):
    staff = StaffFactory(role=Role.COUNTER_STAFF, region_scope="450100")

    application = submit(mother, bundle=birth, origin=CaseOrigin.COUNTER, staff=staff)

    assert application.staff == staff
    assert set(application.cases.values_list("origin", flat=True)) == {CaseOrigin.COUNTER}
    recorded = FactValue.objects.get(citizen=mother, key="medical_insurance_type", superseded_at__isnull=True)
    assert (recorded.source, recorded.recorded_by) == (FactSource.COUNTER_STAFF, staff)
    assert MaterialFile.objects.get(application=application).uploaded_by == staff


# -- bad input: a clear error, nothing stored ---------------------------------------------------


def assert_nothing_stored(citizen, private_media):
    assert not Application.objects.filter(citizen=citizen).exists()
    assert not Case.objects.filter(citizen=citizen).exists()
    assert not FactValue.objects.filter(citizen=citizen, key="medical_insurance_type").exists()
    assert stored_files(private_media) == []


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ({"birth_medical_certificate": [pdf_upload(name="certificate.png")]}, "extension_mismatch"),
        ({"birth_medical_certificate": [SimpleUploadedFile("certificate.pdf", EXE)]}, "type_not_allowed"),
        ({"birth_medical_certificate": [SimpleUploadedFile("certificate.pdf", b"")]}, "empty"),
        ({}, "material_missing"),
    ],
)
def test_a_bad_file_refuses_the_whole_application(mother, birth, private_media, files, code):
    with pytest.raises(PortalError) as refused:
        submit(mother, bundle=birth, files=files)

    assert refused.value.code == code
    assert "material.birth_medical_certificate" in refused.value.fields
    assert_nothing_stored(mother, private_media)


def test_a_file_too_large_and_too_many_files_are_refused(mother, birth, private_media, settings):
    settings.MATERIAL_MAX_BYTES = 200
    with pytest.raises(PortalError) as refused:
        submit(mother, bundle=birth)
    assert refused.value.code == "too_large"

    settings.MATERIAL_MAX_BYTES = 10 * 1024 * 1024
    settings.MATERIAL_MAX_FILES = 2
    with pytest.raises(PortalError) as refused:
        submit(mother, bundle=birth, files={"birth_medical_certificate": [pdf_upload(), png_upload(), pdf_upload()]})
    assert refused.value.code == "too_many_files"
    assert_nothing_stored(mother, private_media)


def test_a_failure_after_the_files_were_written_leaves_no_file_behind(mother, birth, private_media, monkeypatch):
    def fail(case, event):
        raise RuntimeError("the recommender is down")

    monkeypatch.setattr(hooks.on_case_event, "steps", [*hooks.on_case_event.steps, fail])

    with pytest.raises(RuntimeError):
        submit(mother, bundle=birth)

    assert_nothing_stored(mother, private_media)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"declared": False}, "declared"),
        ({"confirmed": []}, "children_birth_dates"),  # a held fact neither confirmed nor corrected
        ({"given": {"medical_insurance_type": "gold"}}, "medical_insurance_type"),
        ({"given": {"children_birth_dates": "2020-01-01"}}, "children_birth_dates"),  # a department's value
        ({"given": {"marital_status": "single"}}, "marital_status"),  # not asked
    ],
)
def test_answers_are_checked_before_anything_is_stored(mother, birth, private_media, overrides, field):
    with pytest.raises(PortalError) as refused:
        submit(mother, bundle=birth, **overrides)

    assert field in refused.value.fields
    assert_nothing_stored(mother, private_media)


def test_a_service_not_handled_online_cannot_be_applied_for(mother):
    offline = ServiceItem.objects.filter(online=False).first()

    with pytest.raises(PortalError) as refused:
        submit(mother, services=[offline], files={})

    assert refused.value.code == "not_online"


# -- twice ---------------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_answers_the_first_application(mother, birth):
    first = submit(mother, bundle=birth, idempotency_key="retry-1")
    again = submit(mother, bundle=birth, idempotency_key="retry-1")

    assert again.pk == first.pk
    assert Application.objects.filter(citizen=mother).count() == 1
    assert Case.objects.filter(citizen=mother).count() == 6


def test_applying_again_for_the_same_period_is_refused_with_a_link_to_the_first(mother):
    hukou = ServiceItem.objects.get(code=HUKOU)
    first = submit(mother, services=[hukou]).cases.get()

    with pytest.raises(AlreadyApplied) as refused:
        submit(mother, services=[hukou])

    assert refused.value.code == "already_applied"
    assert refused.value.fields["first_case"] == [f"/me/cases/{first.pk}/"]
    assert Case.objects.filter(citizen=mother).count() == 1


def test_after_a_withdrawal_one_may_apply_again(mother):
    from services_portal.casework.services import case_withdraw

    hukou = ServiceItem.objects.get(code=HUKOU)
    first = submit(mother, services=[hukou]).cases.get()
    case_withdraw(citizen=mother, case_id=first.pk)

    assert submit(mother, services=[hukou]).cases.get().pk != first.pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_make_one_application(catalog, birth, settings, tmp_path):
    postgres_only("SQLite serialises writers: the race needs PostgreSQL")
    citizen = citizen_make()
    hukou = ServiceItem.objects.get(code=HUKOU)
    results, barrier = [], threading.Barrier(2)

    def apply():
        barrier.wait()
        try:
            results.append(
                application_submit(
                    citizen=citizen,
                    services=[hukou],
                    confirmed=[],
                    given={},
                    files={"birth_medical_certificate": [pdf_upload()]},
                    declared=True,
                    idempotency_key="same",
                ).pk
            )
        except Exception as error:  # noqa: BLE001 - reported below
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=apply) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results)) == 1, results
    assert Application.objects.filter(citizen=citizen).count() == 1


# -- 补正 ----------------------------------------------------------------------------------------


@pytest.fixture
def returned(mother):
    caseworker = StaffFactory(role=Role.CASEWORKER, region_scope="450100")
    case = submit(mother, services=[ServiceItem.objects.get(code=HUKOU)]).cases.get()
    case = case_accept(case_id=case.pk, actor=caseworker, version=case.version)
    return case_return(
        case_id=case.pk, actor=caseworker, version=case.version, materials=["birth_medical_certificate"], text="模糊"
    )


def test_a_returned_case_resubmitted_with_the_file_goes_back_to_review(mother, returned):
    case = case_resubmit(
        citizen=mother, case_id=returned.pk, files={"birth_medical_certificate": [png_upload()]}, text="重新扫描"
    )

    assert case.state == CaseState.IN_REVIEW
    assert MaterialFile.objects.filter(application=case.application).count() == 2
    assert case.events.last().action == CaseAction.RESUBMITTED
    # the person's words are kept apart from the append-only history, to go with their account
    assert case.events.last().text == "" and case.events.last().objection.text == "重新扫描"


def test_resubmitting_needs_the_file_returned(mother, returned):
    with pytest.raises(PortalError) as refused:
        case_resubmit(citizen=mother, case_id=returned.pk, files={}, text="here")

    assert "material.birth_medical_certificate" in refused.value.fields


def test_resubmitting_after_the_deadline_is_refused_with_the_reason(mother, returned, private_media):
    Case.objects.filter(pk=returned.pk).update(resubmit_by=timezone.localdate() - datetime.timedelta(days=1))

    with pytest.raises(CaseConflict) as refused:
        case_resubmit(citizen=mother, case_id=returned.pk, files={"birth_medical_certificate": [png_upload()]})

    assert refused.value.code == "deadline_passed"
    assert (timezone.localdate() - datetime.timedelta(days=1)).isoformat() in refused.value.message
    assert Case.objects.get(pk=returned.pk).state == CaseState.RETURNED
    assert MaterialFile.objects.filter(application=returned.application).count() == 1


# -- closing the account ------------------------------------------------------------------------


def test_closing_the_account_erases_the_files_and_their_records(
    mother, birth, private_media, django_capture_on_commit_callbacks
):
    application = submit(mother, bundle=birth)
    assert len(stored_files(private_media)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        citizen_erase(citizen=mother)

    assert not MaterialFile.objects.filter(application=application).exists()
    assert stored_files(private_media) == []
