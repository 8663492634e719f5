"""WCAG 2.2 AA (axe-core) on the account, /me/ and audit pages, in Chinese, English and elder mode.

A citizen signs up (with a mistake first), signs in through the form, and walks every page of their
account; an auditor then searches the access log; last, five wrong passwords show the lockout page.
Screenshots go to test-artifacts/screenshots/<variant>-<page>.png.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from profiles.models import ConsentChannel, FactSource, Role
from profiles.purposes import Purpose
from profiles.services.access import access_record
from profiles.services.consent import consent_grant
from profiles.services.facts import fact_record
from tests.e2e.conftest import VARIANTS, submit
from tests.e2e.test_accessibility import check_page
from tests.factories import PASSWORD, StaffFactory, citizen_make, resident_id_make

pytestmark = pytest.mark.e2e

SIGN_IN = "main form[action='/account/login/'] button[type=submit]"


def a_citizen_with_history():
    """A 70-year-old with facts from themselves and a department, an earlier value, and staff reads."""
    citizen = citizen_make(name="李华")
    for purpose in (Purpose.DATA_MATCHING, Purpose.PERSONALISATION):
        consent_grant(citizen=citizen, purpose=purpose, channel=ConsentChannel.WEB)
    born = (timezone.localdate() - datetime.timedelta(days=365 * 70)).isoformat()
    declared = {"birth_date": born, "household_size": 2, "owns_home": True, "marital_status": "widowed"}
    for key, value in declared.items():
        fact_record(citizen=citizen, key=key, value=value, source=FactSource.SELF_DECLARED)
    fact_record(citizen=citizen, key="household_size", value=1, source=FactSource.SELF_DECLARED)
    department = {"source": FactSource.DEPARTMENT_FEED, "department": "public_security"}
    fact_record(citizen=citizen, key="hukou_type", value="rural", **department)
    counter = StaffFactory(username="counter7", role=Role.COUNTER_STAFF)
    caseworker = StaffFactory(username="caseworker3", role=Role.CASEWORKER)
    access_record(actor=counter, subject=citizen, fields=["name"], purpose="counter_service", channel="page")
    access_record(actor=caseworker, subject=citizen, fields=["household_size"], purpose="casework", channel="api")
    return citizen


def sign_in(page, site: str, identifier: str, password: str = PASSWORD) -> None:
    page.goto(site + "/account/login/")
    page.locator("#id_username").fill(identifier)
    page.locator("#id_password").fill(password)
    submit(page, SIGN_IN)


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_account_pages_have_no_wcag_violations(page_for, site, variant):
    citizen = a_citizen_with_history()
    StaffFactory(username="auditor1", role=Role.AUDITOR, region_scope="")
    page = page_for(variant)
    problems: list[str] = []

    # Sign up: the page, then the page with errors (a wrong check digit, passwords that differ).
    page.goto(site + "/account/signup/")
    check_page(page, variant, "signup", problems)
    number = resident_id_make()
    page.locator("#id_resident_id").fill(number[:17] + ("0" if number[17] != "0" else "1"))
    page.locator("#id_name").fill("王芳")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD + "x")
    submit(page, "main form button[type=submit]")
    assert page.locator(".error-summary").is_visible()
    check_page(page, variant, "signup-errors", problems)
    # ... then right: a new account, not yet bound to anyone, is asked to prove who it is.
    page.locator("#id_resident_id").fill(number)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    submit(page, "main form button[type=submit]")
    assert page.url == site + "/me/"
    page.goto(site + "/account/verify/")
    check_page(page, variant, "verify", problems)
    submit(page, "form[action='/account/logout/'] button")
    page.goto(site + "/account/password-reset/")
    check_page(page, variant, "password-reset", problems)

    # Sign in through the form, with a wrong password first.
    page.goto(site + "/account/login/")
    check_page(page, variant, "login", problems)
    sign_in(page, site, citizen.resident_id, "not-the-password")
    assert page.locator(".error-summary").is_visible()
    check_page(page, variant, "login-error", problems)
    sign_in(page, site, citizen.resident_id)
    assert page.url == site + "/me/"
    check_page(page, variant, "profile", problems)

    page.goto(site + "/me/facts/")
    check_page(page, variant, "facts-edit", problems)
    page.locator("#id_household_size").fill("many")
    submit(page, "main form[action='/me/facts/'] button[type=submit]")
    assert page.locator(".error-summary").is_visible()
    check_page(page, variant, "facts-edit-errors", problems)

    for name, path in [
        ("tags", "/me/tags/"),
        ("consents", "/me/consents/"),
        ("access-log", "/me/access-log/"),
        ("export", "/me/export/"),
        ("close", "/me/close/"),
        ("devices", "/me/devices/"),
        ("password-change", "/account/password/"),
    ]:
        response = page.goto(site + path)
        assert response is not None and response.ok, f"{path} answered {response and response.status}"
        check_page(page, variant, name, problems)

    # The auditor searches the access log for the citizen.
    submit(page, "form[action='/account/logout/'] button")
    sign_in(page, site, "auditor1")
    assert page.url == site + "/audit/access-log/"
    page.locator("#id_subject").fill(citizen.resident_id)
    submit(page, "main form[role=search] button[type=submit]")
    assert page.locator("table.data-table tbody tr").count() == 3
    check_page(page, variant, "audit-search", problems)

    # Five wrong passwords: the lockout page.
    submit(page, "form[action='/account/logout/'] button")
    for _ in range(5):
        sign_in(page, site, citizen.resident_id, "not-the-password")
    assert "/account/login/" in page.url and page.locator("h1").count() == 1
    check_page(page, variant, "locked-out", problems)

    if problems:
        print("\n\n".join(problems))
    assert not problems, "\n\n".join(problems)
