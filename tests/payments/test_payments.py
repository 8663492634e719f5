"""Payments (拨付): scheduled on approval, sent in a payment file, settled by the bank's result file."""

import datetime

import pytest
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from profiles.models import AccessLogEntry, AccessPurpose, FactSource, Role
from profiles.services.bank_accounts import bank_account_record
from services_portal.casework import hooks as casework_hooks
from services_portal.casework.models import Case, CaseState
from services_portal.casework.services import case_object
from services_portal.core.errors import PortalError
from services_portal.counter.models import OutreachTask
from services_portal.notifications.models import Notification
from services_portal.payments.models import Payment, PaymentAction, PaymentState
from services_portal.payments.services import (
    payment_batch_export,
    payment_batch_file,
    payment_resend,
    payment_results_import,
)
from tests.factories import StaffFactory

BOM = b"\xef\xbb\xbf"
RESULT_HEADER = "batch,reference,result,amount_cny,paid_on,failure_code,failure_reason\n"


def results(*rows: str) -> bytes:
    return (RESULT_HEADER + "".join(row + "\n" for row in rows)).encode()


def test_approval_schedules_one_payment(approved_case, approve, parent):
    # when a case with an amount is approved
    [payment] = Payment.objects.filter(case=approved_case)
    # then one payment waits, for the case's amount and period
    assert (payment.state, payment.amount_cny, payment.period) == (PaymentState.PENDING, 3600, approved_case.period)
    assert payment.reference == f"P{approved_case.pk:010d}"
    assert [event.action for event in payment.events.all()] == [PaymentAction.SCHEDULED]
    # and an objection and a second approval schedule nothing more
    case_object(citizen=parent, case_id=approved_case.pk, text="金额不对")
    approve(Case.objects.get(pk=approved_case.pk))
    assert Payment.objects.filter(case=approved_case).count() == 1


def test_a_case_without_an_amount_pays_nothing(open_case, approve):
    Case.objects.filter(pk=open_case.pk).update(amount_cny=None)
    approve(Case.objects.get(pk=open_case.pk))
    assert not Payment.objects.exists()


def test_the_payment_file_has_the_documented_format(approved_case, bank_account, finance, parent):
    # when finance makes the payment file
    exported = payment_batch_export(actor=finance)
    # then it is UTF-8 with a byte-order mark, CRLF, a header and one row a payment
    batch = exported.batch
    assert (
        exported.content
        == BOM
        + (
            "batch,reference,payee_name,bank_name,account_number,amount_cny,currency,period,service_code\r\n"
            f"{batch.pk},P{approved_case.pk:010d},李华,中国工商银行,6222021234567890128,3600.00,CNY,"
            f"{approved_case.period},gx-childcare-subsidy\r\n"
        ).encode()
    )
    # and the batch holds its count, total and hash; the payment is sent with its account kept masked
    assert (batch.count, batch.total_cny, batch.created_by) == (1, 3600, finance)
    import hashlib

    assert batch.sha256 == hashlib.sha256(exported.content).hexdigest()
    payment = Payment.objects.get(case=approved_case)
    assert (payment.state, payment.batch, payment.account_masked) == (PaymentState.SENT, batch, "6222 **** **** 0128")
    # and the same file can be had again, byte for byte
    assert payment_batch_file(actor=finance, batch=batch) == exported.content
    # and reading the account is in the person's access log
    logged = AccessLogEntry.objects.filter(subject=parent, actor=finance)
    assert logged.exists() and {entry.purpose for entry in logged} == {AccessPurpose.PAYMENT}
    # and there is nothing left to send
    with pytest.raises(PortalError) as caught:
        payment_batch_export(actor=finance)
    assert caught.value.code == "nothing_to_send"


def test_the_account_number_is_encrypted_in_the_payments_table(approved_case, bank_account, finance):
    payment_batch_export(actor=finance)
    with connection.cursor() as cursor:
        cursor.execute("SELECT account_number, account_masked FROM payments_payment")
        [(stored, masked)] = cursor.fetchall()
    assert "6222021234567890128" not in stored and masked == "6222 **** **** 0128"


def test_a_payment_waits_for_a_bank_account(approved_case, finance, parent):
    # given an approved payment of a person without a bank account
    with pytest.raises(PortalError):
        payment_batch_export(actor=finance)
    assert Payment.objects.get().state == PaymentState.PENDING
    # when they give one, the next payment file takes it
    bank_account_record(
        citizen=parent,
        bank_name="中国农业银行",
        account_number="6228480012345678903",
        holder_name=parent.name,
        source=FactSource.SELF_DECLARED,
    )
    exported = payment_batch_export(actor=finance)
    assert b"6228480012345678903" in exported.content


def test_paid_delivers_the_case_and_the_person_sees_the_date(
    django_capture_on_commit_callbacks, approved_case, bank_account, finance, parent
):
    # given a payment sent to the bank
    batch = payment_batch_export(actor=finance).batch
    reference = f"P{approved_case.pk:010d}"
    paid_on = timezone.localdate() - datetime.timedelta(days=1)
    # when the bank's result says it is paid
    report = payment_results_import(
        actor=finance, file=results(f"{batch.pk},{reference},paid,3600.00,{paid_on.isoformat()},,")
    )
    # then it is applied, the payment paid and the case delivered
    assert (report.paid, report.failed, report.already_applied, report.rejected) == (1, 0, 0, [])
    payment = Payment.objects.get(case=approved_case)
    assert (payment.state, payment.paid_on) == (PaymentState.PAID, paid_on)
    assert Case.objects.get(pk=approved_case.pk).state == CaseState.DELIVERED
    # and the person's case page shows the amount, the period and the day it was paid
    request = RequestFactory().get(f"/me/cases/{approved_case.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    request.user = parent.user
    html = "".join(casework_hooks.case_page_parts.collect(Case.objects.get(pk=approved_case.pk), request))
    assert "3,600.00" in html or "3600.00" in html
    assert approved_case.period in html and "6222 **** **** 0128" in html
    from django.utils import formats

    assert formats.date_format(paid_on, "DATE_FORMAT") in html


def test_failed_tells_the_person_and_opens_an_outreach_task(approved_case, bank_account, finance, parent):
    batch = payment_batch_export(actor=finance).batch
    reference = f"P{approved_case.pk:010d}"
    report = payment_results_import(
        actor=finance, file=results(f"{batch.pk},{reference},failed,3600.00,,ACCOUNT_CLOSED,账户已销户")
    )
    assert (report.failed, report.rejected) == (1, [])
    payment = Payment.objects.get(case=approved_case)
    assert (payment.state, payment.failure_code, payment.failure_reason) == (
        PaymentState.FAILED,
        "ACCOUNT_CLOSED",
        "账户已销户",
    )
    # the person is told in their inbox
    failed_news = Notification.objects.filter(citizen=parent, title_en__startswith="Payment failed")
    assert failed_news.count() == 1
    # and counter staff of their area have a task
    [task] = OutreachTask.objects.filter(citizen=parent)
    assert (task.reason, task.region_code, task.service_id) == ("payment_failed", "450103", approved_case.service_id)
    # the case stays approved; finance sends it again with the next file
    assert Case.objects.get(pk=approved_case.pk).state == CaseState.APPROVED
    payment_resend(actor=finance, payment_id=payment.pk)
    second = payment_batch_export(actor=finance).batch
    assert Payment.objects.get(pk=payment.pk).batch == second


def test_bad_rows_are_reported_and_the_rest_kept(approved_case, bank_account, finance):
    batch = payment_batch_export(actor=finance).batch
    reference = f"P{approved_case.pk:010d}"
    today = timezone.localdate().isoformat()
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    report = payment_results_import(
        actor=finance,
        file=results(
            f"{batch.pk},P9999999999,paid,10.00,{today},,",
            f"{batch.pk},{reference},paid,3500.00,{today},,",
            f"{batch.pk},{reference},maybe,3600.00,{today},,",
            f"{batch.pk},{reference},paid,3600.00,{tomorrow},,",
            f"{batch.pk},{reference},failed,3600.00,,,",
            f"{batch.pk + 1},{reference},paid,3600.00,{today},,",
            f"{batch.pk},{reference},paid,3600.00,{today},,",
        ),
    )
    assert [(row.line, row.reference) for row in report.rejected] == [
        (2, "P9999999999"),
        (3, reference),
        (4, reference),
        (5, reference),
        (6, reference),
        (7, reference),
    ]
    assert "3600.00" in report.rejected[1].reason
    # the good row is applied all the same
    assert report.paid == 1
    assert Payment.objects.get(case=approved_case).state == PaymentState.PAID


def test_a_file_that_is_not_a_result_file_is_refused_whole(approved_case, bank_account, finance):
    payment_batch_export(actor=finance)
    for content in (b"\xff\xfe\x00bad", b"reference,result\nP1,paid\n"):
        with pytest.raises(PortalError):
            payment_results_import(actor=finance, file=content)
    assert Payment.objects.get().state == PaymentState.SENT


def test_the_same_result_file_again_does_no_harm(approved_case, bank_account, finance, parent):
    batch = payment_batch_export(actor=finance).batch
    reference = f"P{approved_case.pk:010d}"
    file = results(f"{batch.pk},{reference},failed,3600.00,,ACCOUNT_CLOSED,").replace(b"\n", b"\r\n")
    payment_results_import(actor=finance, file=BOM + file)
    # when the bank delivers it again, even after the payment went back to pending
    again = payment_results_import(actor=finance, file=file)
    payment_resend(actor=finance, payment_id=Payment.objects.get().pk)
    third = payment_results_import(actor=finance, file=file)
    # then nothing more happens
    assert (again.already_applied, again.applied, again.rejected) == (1, 0, [])
    assert (third.already_applied, third.applied) == (1, 0)
    assert Payment.objects.get().state == PaymentState.PENDING
    assert OutreachTask.objects.filter(citizen=parent).count() == 1
    assert Payment.objects.get().events.filter(action=PaymentAction.FAILED).count() == 1


def test_only_finance_of_the_region_handles_payments(approved_case, bank_account, caseworker):
    with pytest.raises(PortalError) as caught:
        payment_batch_export(actor=caseworker)
    assert caught.value.status_code == 403
    elsewhere = StaffFactory(role=Role.FINANCE, region_scope="450200")
    with pytest.raises(PortalError):
        payment_batch_export(actor=elsewhere)
    assert Payment.objects.get().state == PaymentState.PENDING


def test_closing_the_account_stops_what_is_not_sent(approved_case, parent):
    from profiles.services.accounts import citizen_erase

    citizen_erase(citizen=parent)
    payment = Payment.objects.get()
    assert payment.state == PaymentState.CANCELLED


def test_an_objection_holds_the_payment_and_a_rejection_stops_it(
    approved_case, bank_account, finance, caseworker, parent
):
    from services_portal.casework.services import case_reject

    # given the person objected (to the amount, say): the case is back in review
    case_object(citizen=parent, case_id=approved_case.pk, text="金额不对")
    # then the payment does not go to the bank meanwhile
    with pytest.raises(PortalError):
        payment_batch_export(actor=finance)
    # and when the case is now rejected, the payment stops
    case = Case.objects.get(pk=approved_case.pk)
    case_reject(case_id=case.pk, actor=caseworker, reason_code="not_eligible", version=case.version)
    payment = Payment.objects.get()
    assert payment.state == PaymentState.CANCELLED
    assert payment.events.last().code == "case_rejected"


def test_the_payment_history_cannot_be_changed_on_postgresql(approved_case):
    from django.db import DatabaseError, transaction

    from tests.conftest import postgres_only

    postgres_only("the append-only trigger is PostgreSQL's")
    event = Payment.objects.get().events.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        type(event).objects.filter(pk=event.pk).update(code="changed")
