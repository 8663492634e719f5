"""WCAG 2.2 AA (axe-core) on applying and following an application, in Chinese, English and elder mode.

A mother whose baby's birth the health department delivered applies for the birth bundle (一件事一次办)
in a real Chromium without scripts mattering: the form, the form sent back with its errors, the check
page, the application's page; then a caseworker returns one case for a clearer certificate and she
opens it (补正, with its file input and the withdraw button). Screenshots go to
test-artifacts/screenshots/<variant>-<page>.png.
"""

from __future__ import annotations

import pytest

from profiles.models import Role
from services_portal.casework.models import Application, CaseState
from services_portal.casework.services import case_accept, case_return
from tests.casework.test_materials import pdf_bytes
from tests.e2e.conftest import VARIANTS, submit
from tests.e2e.test_accessibility import check_page
from tests.e2e.test_casework_pages import sign_in_as
from tests.factories import StaffFactory, mother_of_a_newborn

pytestmark = pytest.mark.e2e

CONTINUE = "form[enctype] button[type=submit]"
SEND = "button[name=action][value=submit]"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_apply_pages_have_no_wcag_violations(new_context, site, variant, tmp_path):
    mother = mother_of_a_newborn()
    context = new_context(variant)
    sign_in_as(context, site, mother.user)
    page = context.new_page()
    problems: list[str] = []

    page.goto(site + "/bundles/birth/apply/")
    check_page(page, variant, "apply-form", problems)
    # sent without confirming the birth: the errors beside their fields
    submit(page, CONTINUE)
    assert page.locator(".error-summary").is_visible()
    check_page(page, variant, "apply-form-errors", problems)
    # filled in: the check page
    certificate = tmp_path / "certificate.pdf"
    certificate.write_bytes(pdf_bytes())
    page.locator("input[name='confirm.children_birth_dates']").check()
    page.locator("input[name='material.birth_medical_certificate']").set_input_files(str(certificate))
    page.locator("input[name=bank_name]").fill("中国工商银行")
    page.locator("input[name=account_number]").fill("622202100012")
    page.locator("input[name=holder_name]").fill("李华")
    submit(page, CONTINUE)
    assert page.locator("input[name=declaration]").count() == 1
    check_page(page, variant, "apply-check", problems)
    page.locator("input[name=declaration]").check()
    submit(page, SEND)
    application = Application.objects.get(citizen=mother)
    assert page.url.endswith(f"/me/applications/{application.pk}/")
    check_page(page, variant, "application", problems)

    # one case returned for a clearer certificate
    caseworker = StaffFactory(role=Role.CASEWORKER, region_scope="450100")
    case = application.cases.get(service__code="gx-newborn-hukou")
    case = case_accept(case_id=case.pk, actor=caseworker, version=case.version)
    case_return(case_id=case.pk, actor=caseworker, version=case.version, materials=["birth_medical_certificate"])
    assert application.cases.get(pk=case.pk).state == CaseState.RETURNED
    page.goto(site + f"/me/cases/{case.pk}/")
    check_page(page, variant, "my-case-returned", problems)
    page.goto(site + "/me/cases/")
    check_page(page, variant, "my-applications", problems)

    if problems:
        print("\n\n".join(problems))
    assert not problems, "\n\n".join(problems)
