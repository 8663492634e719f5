"""Payments (拨付): scheduled when a case with an amount is approved, sent to the bank in a payment file,
settled by the bank's result file (docs/payments-csv.md describes both files).

A payment waits (pending) until the person has a bank account; the payment file takes each pending
payment's account from the person's latest one, so recording an account makes their payments go out
with the next file. A paid payment delivers its case; a failed one tells the person and opens an
outreach task at their counter.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from profiles.models import AccessChannel, AccessPurpose, BankAccount, Citizen, User
from profiles.permissions import allowed, scope_prefix
from profiles.services.access import access_record
from services_portal.casework.models import Case, CaseAction, CaseEvent, CaseState
from services_portal.casework.services import case_deliver, case_news_push
from services_portal.core.errors import PortalError
from services_portal.counter.services import OutreachRequest, outreach_tasks_open
from services_portal.payments.models import (
    Payment,
    PaymentAction,
    PaymentBatch,
    PaymentEvent,
    PaymentState,
)

# The payment file's columns, in order (docs/payments-csv.md).
PAYMENT_FILE_COLUMNS = (
    "batch",
    "reference",
    "payee_name",
    "bank_name",
    "account_number",
    "amount_cny",
    "currency",
    "period",
    "service_code",
)
# The bank's result file: the columns it must have (others are ignored).
RESULT_FILE_COLUMNS = ("batch", "reference", "result", "amount_cny", "paid_on", "failure_code", "failure_reason")
RESULT_FILE_MAX_ROWS = 100_000
# The outreach task's reason code (counter.models.OutreachReason.PAYMENT_FAILED).
OUTREACH_PAYMENT_FAILED = "payment_failed"

_FAILED_NEWS = (
    gettext_lazy("Payment failed: %(service)s"),
    gettext_lazy(
        "The bank could not pay your benefit into your account. Check your bank account on the portal or "
        "at your service counter, which will also contact you; the payment will be sent again."
    ),
)


class PaymentForbidden(PortalError):
    status_code = 403


def _finance(actor: User) -> None:
    if not allowed(actor, "payments.manage"):
        raise PaymentForbidden("forbidden", _("Only finance staff handle payments."))


def payment_reference(case: Case) -> str:
    """What the payment file and the bank's result file call a payment: "P" and the case number."""
    return f"P{case.pk:010d}"


def _event(payment: Payment, action: PaymentAction, *, actor: User | None = None, **extra: object) -> PaymentEvent:
    return PaymentEvent.objects.create(payment=payment, action=action, actor=actor, **extra)


# -- scheduling, on approval ----------------------------------------------------------------------


def payment_schedule(*, case: Case) -> Payment | None:
    """The payment of an approved case with an amount, in the caller's transaction: one per case (a
    monthly benefit's case covers one month: the next month's case has its own payment when approved).
    None when it exists already, or the case pays nothing."""
    if case.amount_cny is None or case.amount_cny <= 0:
        return None
    if Payment.objects.filter(case=case).exists():
        return None
    payment = Payment.objects.create(
        case=case,
        citizen=case.citizen,
        amount_cny=case.amount_cny,
        period=case.period,
        region_code=case.region_code or case.citizen.region_code,
        reference=payment_reference(case),
    )
    _event(payment, PaymentAction.SCHEDULED)
    return payment


def payments_case_event(case: Case, event: CaseEvent) -> None:
    """casework.hooks.on_case_event: an approval schedules the case's payment; a rejection (after the
    person objected and the case was decided again) stops it if it has not gone to the bank. While an
    objection is being decided the payment waits: the payment file takes only approved cases."""
    if event.action == CaseAction.APPROVED:
        payment_schedule(case=case)
    elif event.action == CaseAction.REJECTED:
        for payment in Payment.objects.select_for_update().filter(case=case, state=PaymentState.PENDING):
            payment.state = PaymentState.CANCELLED
            payment.save(update_fields=["state"])
            _event(payment, PaymentAction.CANCELLED, code="case_rejected")


def payments_account_closed(citizen: Citizen) -> None:
    """profiles.hooks.on_account_closed: nothing more is sent to a person who closed their account, and
    the account numbers go. The payments stay, as the accounting record of public money paid, with the
    masked number only (README: "For the data-protection officer")."""
    for payment in Payment.objects.select_for_update().filter(citizen=citizen, state=PaymentState.PENDING):
        payment.state = PaymentState.CANCELLED
        payment.save(update_fields=["state"])
        _event(payment, PaymentAction.CANCELLED, code="account_closed")
    Payment.objects.filter(citizen=citizen).update(account_number=None, holder_name="")


# -- the payment file ------------------------------------------------------------------------------


def _amount_text(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):f}"


def payment_file_render(batch: PaymentBatch, payments: Iterable[Payment]) -> bytes:
    """The payment file of a batch (docs/payments-csv.md): UTF-8 with a byte-order mark, CRLF, a header
    row, one row a payment in reference order. The same payments always give the same bytes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PAYMENT_FILE_COLUMNS)
    for payment in sorted(payments, key=lambda each: each.reference):
        writer.writerow(
            [
                batch.pk,
                payment.reference,
                payment.holder_name,
                payment.bank_name,
                payment.account_number,
                _amount_text(payment.amount_cny),
                "CNY",
                payment.period,
                payment.case.service.code,
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def _in_scope(payments: QuerySet[Payment], actor: User) -> QuerySet[Payment]:
    prefix = scope_prefix(actor)
    if prefix is None:
        return payments.none()
    return payments.filter(region_code__startswith=prefix) if prefix else payments


@dataclass(frozen=True)
class PaymentFile:
    batch: PaymentBatch
    content: bytes


@transaction.atomic
def payment_batch_export(*, actor: User) -> PaymentFile:
    """Make the payment file of every pending payment in the actor's region whose person has a bank
    account, and mark them sent. Each payment takes the person's latest account now; reading the
    account numbers is logged in each person's access log."""
    _finance(actor)
    pending = list(
        _in_scope(Payment.objects.select_for_update(of=("self",)), actor)
        .filter(state=PaymentState.PENDING, citizen__erased_at__isnull=True, case__state=CaseState.APPROVED)
        .select_related("case__service")
        .order_by("reference")
    )
    accounts: dict[int, BankAccount] = {}
    for account in BankAccount.objects.filter(citizen_id__in={payment.citizen_id for payment in pending}).order_by(
        "created_at", "id"
    ):
        accounts[account.citizen_id] = account  # the latest wins
    payments = [payment for payment in pending if payment.citizen_id in accounts]
    if not payments:
        raise PortalError("nothing_to_send", _("No payment is waiting to be sent with a bank account."))
    total = sum((payment.amount_cny for payment in payments), Decimal("0"))
    batch = PaymentBatch.objects.create(created_by=actor, count=len(payments), total_cny=total, sha256="")
    now = timezone.now()
    for payment in payments:
        account = accounts[payment.citizen_id]
        payment.account_number = account.account_number
        payment.account_masked = account.masked
        payment.bank_name = account.bank_name
        payment.holder_name = account.holder_name
        payment.state, payment.batch, payment.sent_at = PaymentState.SENT, batch, now
    Payment.objects.bulk_update(
        payments,
        ["account_number", "account_masked", "bank_name", "holder_name", "state", "batch", "sent_at"],
    )
    PaymentEvent.objects.bulk_create(
        PaymentEvent(payment=payment, action=PaymentAction.SENT, actor=actor, batch=batch) for payment in payments
    )
    for citizen_id in sorted({payment.citizen_id for payment in payments}):
        access_record(
            actor=actor,
            subject=Citizen(pk=citizen_id),
            fields=["bank_account", "name"],
            purpose=AccessPurpose.PAYMENT,
            channel=AccessChannel.EXPORT,
        )
    content = payment_file_render(batch, payments)
    batch.sha256 = hashlib.sha256(content).hexdigest()
    batch.save(update_fields=["sha256"])
    return PaymentFile(batch, content)


def payment_batch_file(*, actor: User, batch: PaymentBatch) -> bytes:
    """A payment file made before, once more (the download was lost): the same bytes, as its SHA-256
    shows. A person who closed their account since is no longer in it. Logged as a new read."""
    _finance(actor)
    payments = list(batch.payments.select_related("case__service"))
    for citizen_id in sorted({payment.citizen_id for payment in payments}):
        access_record(
            actor=actor,
            subject=Citizen(pk=citizen_id),
            fields=["bank_account", "name"],
            purpose=AccessPurpose.PAYMENT,
            channel=AccessChannel.EXPORT,
        )
    return payment_file_render(batch, [payment for payment in payments if payment.account_number])


@transaction.atomic
def payment_resend(*, actor: User, payment_id: int) -> Payment:
    """A failed payment back to pending: the next payment file sends it to the person's latest account
    (which they or the counter may have corrected after hearing it failed)."""
    _finance(actor)
    payment = _in_scope(Payment.objects.select_for_update(), actor).filter(pk=payment_id).first()
    if payment is None:
        raise PortalError("not_found", _("Not found."))
    if payment.state != PaymentState.FAILED:
        raise PortalError("wrong_state", _("Only a failed payment can be sent again."))
    payment.state = PaymentState.PENDING
    payment.save(update_fields=["state"])
    _event(payment, PaymentAction.RESENT, actor=actor)
    return payment


# -- the bank's result file ------------------------------------------------------------------------


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reference: str
    reason: str


@dataclass
class ResultsReport:
    """What importing a result file did: rows applied (paid, failed), rows applied before (the same
    file or row delivered again: nothing done), rows rejected with their line and reason."""

    paid: int = 0
    failed: int = 0
    already_applied: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def applied(self) -> int:
        return self.paid + self.failed


class _RowRejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _result_rows(file: bytes | IO[bytes]) -> csv.DictReader:
    content = file if isinstance(file, bytes) else file.read()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PortalError(
            "file_encoding", _("The result file must be UTF-8 text."), fields={"file": [_("Not UTF-8 text.")]}
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in RESULT_FILE_COLUMNS if name not in header]
    if missing:
        message = _("The result file lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)}
        raise PortalError("file_columns", message, fields={"file": [message]})
    reader.fieldnames = header
    return reader


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise _RowRejected(_("paid_on is not a date (YYYY-MM-DD): %(value)s") % {"value": text}) from None


def _result_apply(row: dict[str, str], *, actor: User, payments: QuerySet[Payment], report: ResultsReport) -> None:
    reference = (row.get("reference") or "").strip()
    result = (row.get("result") or "").strip().lower()
    if not reference:
        raise _RowRejected(_("No reference."))
    payment = (
        payments.select_for_update(of=("self",))
        .select_related("case__service", "citizen")
        .filter(reference=reference)
        .first()
    )
    if payment is None:
        raise _RowRejected(_("No payment with this reference."))
    try:
        batch_id = int((row.get("batch") or "").strip())
    except ValueError:
        raise _RowRejected(_("batch is not a payment file number.")) from None
    if result not in (PaymentState.PAID, PaymentState.FAILED):
        raise _RowRejected(_("result must be paid or failed."))
    try:
        amount = Decimal((row.get("amount_cny") or "").strip())
    except InvalidOperation:
        raise _RowRejected(_("amount_cny is not an amount.")) from None
    if amount != payment.amount_cny:
        raise _RowRejected(
            _("amount_cny %(amount)s differs from the payment's %(expected)s.")
            % {"amount": row.get("amount_cny"), "expected": _amount_text(payment.amount_cny)}
        )
    action = PaymentAction.PAID if result == PaymentState.PAID else PaymentAction.FAILED
    if payment.events.filter(batch_id=batch_id, action=action).exists():
        report.already_applied += 1
        return
    if payment.batch_id != batch_id or payment.state != PaymentState.SENT:
        if payment.events.filter(batch_id=batch_id, action__in=[PaymentAction.PAID, PaymentAction.FAILED]).exists():
            raise _RowRejected(_("This payment already has another result from that payment file."))
        raise _RowRejected(_("This payment was not sent in payment file %(batch)s.") % {"batch": batch_id})
    if result == PaymentState.PAID:
        paid_on = _date((row.get("paid_on") or "").strip())
        if paid_on > timezone.localdate():
            raise _RowRejected(_("paid_on is in the future."))
        payment.state, payment.paid_on = PaymentState.PAID, paid_on
        payment.save(update_fields=["state", "paid_on"])
        _event(payment, PaymentAction.PAID, actor=actor, batch_id=batch_id)
        case_deliver(case_id=payment.case_id, actor=None)
        report.paid += 1
        return
    code = (row.get("failure_code") or "").strip()[:40]
    if not code:
        raise _RowRejected(_("A failed payment needs a failure_code."))
    reason = (row.get("failure_reason") or "").strip()[:200]
    payment.state, payment.failure_code, payment.failure_reason = PaymentState.FAILED, code, reason
    payment.save(update_fields=["state", "failure_code", "failure_reason"])
    _event(payment, PaymentAction.FAILED, actor=actor, batch_id=batch_id, code=code, text=reason)
    _failure_tell(payment, batch_id)
    report.failed += 1


def _failure_tell(payment: Payment, batch_id: int) -> None:
    """The person hears that the payment failed, and counter staff of their area get a task to help
    them put it right (a wrong or closed account is often someone the portal does not reach online)."""
    citizen, service = payment.citizen, payment.case.service
    if citizen.erased_at is not None:
        return
    title, body = _FAILED_NEWS
    push = case_news_push(payment.case, key=f"payment:{payment.pk}:failed:{batch_id}", title=title, body=body)
    if push is None:
        return
    outreach_tasks_open(
        requests=[
            OutreachRequest(
                citizen_id=citizen.pk,
                push_id=push.pk,
                service_id=service.pk,
                region_code=citizen.region_code or payment.region_code,
                essential=True,
                reason=OUTREACH_PAYMENT_FAILED,
            )
        ]
    )


@transaction.atomic
def payment_results_import(*, actor: User, file: bytes | IO[bytes]) -> ResultsReport:
    """Apply the bank's result file (docs/payments-csv.md). Each row stands alone: a bad row is reported
    with its line and reason and the others are kept; a row applied before (the file delivered again)
    does nothing. Only payments in the actor's region are found."""
    _finance(actor)
    rows = _result_rows(file)
    report = ResultsReport()
    payments = _in_scope(Payment.objects.all(), actor)
    for index, row in enumerate(rows):
        if index >= RESULT_FILE_MAX_ROWS:
            raise PortalError(
                "file_too_long",
                _("A result file has at most %(count)d rows.") % {"count": RESULT_FILE_MAX_ROWS},
            )
        try:
            with transaction.atomic():
                _result_apply(row, actor=actor, payments=payments, report=report)
        except _RowRejected as rejected:
            report.rejected.append(RejectedRow(rows.line_num, (row.get("reference") or "").strip(), rejected.reason))
    return report
