"""The whole loop in a real Chromium, on PostgreSQL, Redis and a real Celery worker (DESIGN section 12):
a parent applies for the birth bundle (一件事一次办) in one form, with the facts the portal holds
prefilled and one upload; three departments accept and approve their cases on their own pages, one
returns its case for a clearer certificate (补正) and the parent sends it again; finance makes the
payment file and reads the bank's result file back; the parent sees the childcare subsidy paid, with
its amount and date, and rates it (好差评). The worker texts her each step. The pages of the end of the
loop have no WCAG 2.2 AA violations (axe-core) in Chinese, English and elder mode.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.conf import settings
from django.utils import timezone

from profiles.models import Role
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from services_portal.casework.models import Application, Case, CaseState
from services_portal.notifications.tasks import deliver_pushes
from services_portal.payments.models import Payment
from services_portal.ratings.models import Rating
from tests.casework.test_materials import pdf_bytes
from tests.conftest import postgres_only, required
from tests.e2e.conftest import VARIANTS, submit
from tests.e2e.test_accessibility import check_page
from tests.e2e.test_apply_pages import CONTINUE, SEND
from tests.e2e.test_casework_pages import sign_in_as
from tests.factories import StaffFactory, mother_of_a_newborn
from tests.workers import wait_for, worker_start, worker_stop

pytestmark = pytest.mark.e2e

CHILDCARE = "gx-childcare-subsidy"  # 3,600 CNY a year: two approvals, then paid
HUKOU = "gx-newborn-hukou"  # public security returns it for a clearer certificate


def step(page, site: str, case: Case, decision: str, **fields) -> None:
    """A caseworker's step on the case page: the form of `decision`, its fields filled, sent."""
    page.goto(f"{site}/casework/{case.pk}/")
    form = page.locator(f"form:has(input[name=decision][value={decision}])")
    for name, value in fields.items():
        form.locator(f"input[name={name}][value={value}]").check()
    submit(page, f"form:has(input[name=decision][value={decision}]) button[type=submit]")


def test_a_parent_applies_for_the_birth_bundle_and_follows_it_to_payment(new_context, site, tmp_path):
    postgres_only("a worker process shares the test database")
    if "Redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        if required("REQUIRE_REDIS"):
            pytest.fail("REQUIRE_REDIS is set but the channel layer is not Redis")
        pytest.skip("the worker takes its tasks from Redis")
    # given a Nanning mother whose baby's birth the health department delivered, who takes text messages
    mother = mother_of_a_newborn()
    mother.phone = "13800000009"
    mother.save(update_fields=["phone"])
    consent_grant(citizen=mother, purpose=Purpose.NOTIFY_SMS, channel="web")
    # and the caseworkers of the three departments of the bundle, a second approver, and finance
    staff = {
        name: StaffFactory(username=name, role=role, region_scope="450100", department=department)
        for name, role, department in [
            ("health", Role.CASEWORKER, "health"),
            ("health-second", Role.CASEWORKER, "health"),
            ("police", Role.CASEWORKER, "public_security"),
            ("insurance", Role.CASEWORKER, "healthcare_security"),
            ("finance", Role.FINANCE, ""),
        ]
    }
    worker = worker_start(
        broker=settings.CELERY_BROKER_URL,
        SMS_BACKEND="services_portal.core.sms.FileBackend",
        SMS_FILE_PATH=str(tmp_path),
        PRIVATE_MEDIA_ROOT=settings.PRIVATE_MEDIA_ROOT,
        PUSH_DAILY_LIMIT="100",
    )
    try:
        deliver_pushes.app.conf.task_always_eager = False  # the worker delivers; the fixture resets this
        browsers = {}

        def browser_of(user):
            if user.pk not in browsers:
                context = new_context(VARIANTS["zh"])
                sign_in_as(context, site, user)
                browsers[user.pk] = context.new_page()
            return browsers[user.pk]

        # when she applies for the whole bundle in one form: the birth is prefilled with its source
        page = browser_of(mother.user)
        page.goto(site + "/bundles/birth/apply/")
        held = page.locator("input[name='confirm.children_birth_dates']")
        assert held.count() == 1
        certificate = tmp_path / "certificate.pdf"
        certificate.write_bytes(pdf_bytes())
        held.check()
        assert page.locator("input[type=file]").count() == 1  # one upload for six services
        page.locator("input[name='material.birth_medical_certificate']").set_input_files(str(certificate))
        page.locator("input[name=bank_name]").fill("中国工商银行")
        page.locator("input[name=account_number]").fill("6222021234567890128")
        page.locator("input[name=holder_name]").fill("李华")
        submit(page, CONTINUE)
        page.locator("input[name=declaration]").check()
        submit(page, SEND)

        # then one application, split into a case per service, each in its department's queue
        application = Application.objects.get(citizen=mother)
        assert page.url.endswith(f"/me/applications/{application.pk}/")
        cases = {case.service.code: case for case in application.cases.select_related("service__department")}
        assert len(cases) == 6 and {case.state for case in cases.values()} == {CaseState.SUBMITTED}
        departments = {case.service.department.code for case in cases.values()}
        assert departments == {"health", "public_security", "healthcare_security"}
        caseworker_of = {"health": "health", "public_security": "police", "healthcare_security": "insurance"}

        # when each department accepts its cases; public security returns the hukou case for a clearer
        # certificate, and the others approve
        for code, case in cases.items():
            caseworker = browser_of(staff[caseworker_of[case.service.department.code]])
            step(caseworker, site, case, "accept")
            if code == HUKOU:
                step(caseworker, site, case, "return", materials="birth_medical_certificate")
            else:
                step(caseworker, site, case, "approve", reason_code="criteria_met")
        states = dict(application.cases.values_list("service__code", "state"))
        assert states[HUKOU] == CaseState.RETURNED
        assert states[CHILDCARE] == CaseState.AWAITING_SECOND  # above 3,000 CNY: a second caseworker
        step(browser_of(staff["health-second"]), site, cases[CHILDCARE], "approve", reason_code="criteria_met")

        # the mother sends the certificate again from her case page, and public security approves
        page.goto(f"{site}/me/cases/{cases[HUKOU].pk}/")
        page.locator("input[type=file]").set_input_files(str(certificate))
        submit(page, "form[enctype='multipart/form-data'] button[type=submit]")
        assert Case.objects.get(pk=cases[HUKOU].pk).state == CaseState.IN_REVIEW
        step(browser_of(staff["police"]), site, cases[HUKOU], "approve", reason_code="criteria_met")
        assert set(application.cases.values_list("state", flat=True)) == {CaseState.APPROVED}

        # when finance makes the payment file and reads the bank's result file back
        payment = Payment.objects.get(case=cases[CHILDCARE])
        finance = browser_of(staff["finance"])
        finance.goto(site + "/finance/payments/")
        with finance.expect_download() as download:
            finance.locator("form[action$='/finance/payment-batches/'] button[type=submit]").click()
        rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))  # noqa: SIM115
        assert [(row["reference"], row["amount_cny"], row["account_number"]) for row in rows] == [
            (payment.reference, "3600.00", "6222021234567890128")
        ]
        results = tmp_path / "results.csv"
        results.write_text(
            "batch,reference,result,amount_cny,paid_on,failure_code,failure_reason\n"
            f"{rows[0]['batch']},{payment.reference},paid,3600.00,{timezone.localdate().isoformat()},,\n",
            encoding="utf-8",
        )
        finance.goto(site + "/finance/payments/")
        finance.locator("form[action$='/finance/payment-results/'] input[type=file]").set_input_files(str(results))
        submit(finance, "form[action$='/finance/payment-results/'] button[type=submit]")

        # then the subsidy is paid and its case delivered; the mother sees the amount and the date
        assert Payment.objects.get(pk=payment.pk).state == "paid"
        assert Case.objects.get(pk=cases[CHILDCARE].pk).state == CaseState.DELIVERED
        page.goto(f"{site}/me/cases/{cases[CHILDCARE].pk}/")
        assert "3600.00" in page.content() and "已拨付" in page.content()  # zh writes no thousands separator

        # and she rates it: very satisfied, done in one go
        page.locator("form[action$='/rating/'] input[name=level][value='5']").check()
        page.locator("form[action$='/rating/'] input[name=reasons][value=done_in_one_go]").check()
        submit(page, "form[action$='/rating/'] button[type=submit]")
        rating = Rating.objects.get(case=cases[CHILDCARE])
        assert (rating.level, rating.reasons) == (5, ["done_in_one_go"])

        # and the worker texted her each step: received, accepted, returned, approved, done
        messages = tmp_path / "messages.jsonl"
        wait_for(
            lambda: messages.exists() and len(messages.read_text().splitlines()) >= 6 * 3 + 2,
            seconds=90,
            what="a text message for every step of every case",
        )
        assert {json.loads(line)["phone"] for line in messages.read_text().splitlines()} == {mother.phone}

        # and the pages at the end of the loop have no WCAG 2.2 AA violations, in zh, en and elder mode
        problems: list[str] = []
        for variant in VARIANTS.values():
            for user, pages in [
                (
                    mother.user,
                    {"application": f"/me/applications/{application.pk}/", "paid": f"/me/cases/{cases[CHILDCARE].pk}/"},
                ),
                (staff["finance"], {"finance": "/finance/payments/"}),
                (staff["health"], {"case-delivered": f"/casework/{cases[CHILDCARE].pk}/"}),
            ]:
                context = new_context(variant)
                sign_in_as(context, site, user)
                seen = context.new_page()
                for name, path in pages.items():
                    seen.goto(site + path)
                    check_page(seen, variant, f"loop-{name}", problems)
        assert not problems, "\n\n".join(problems)
    finally:
        worker_stop(worker)
