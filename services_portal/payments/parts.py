"""What payments add to pages that lower floors draw: the person's case page (casework.hooks
.case_page_parts) and their data export (profiles.hooks.export_sections)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles.models import Citizen
from profiles.selectors import bank_account_of
from services_portal.casework.models import Case
from services_portal.payments.models import Payment, PaymentState
from services_portal.payments.selectors import payments_of, payments_of_case


def payment_state_words(payment: Payment, *, has_account: bool) -> str:
    """Where a payment stands, as the person reads it."""
    if payment.state == PaymentState.PENDING:
        if not has_account:
            return _("Waiting for your bank account: give it and we will pay.")
        return _("Will be sent to your bank with the next payment run.")
    if payment.state == PaymentState.SENT:
        return _("Sent to your bank, waiting for the bank to pay it.")
    if payment.state == PaymentState.PAID:
        return _("Paid into your account.")
    if payment.state == PaymentState.FAILED:
        return _("The bank could not pay it. Check your bank account; it will be sent again.")
    return _("Stopped: it will not be paid.")


def case_payments_part(case: Case, request: HttpRequest) -> str:
    """The payments of the person's case: amount, period, account (masked), where each stands and the
    day it was paid; a link to give a bank account while one is missing."""
    payments = payments_of_case(case)
    if not payments:
        return ""
    account = bank_account_of(case.citizen)
    rows = [
        {
            "payment": payment,
            "account_masked": payment.account_masked
            if payment.state != PaymentState.PENDING or not account
            else account.masked,
            "state_words": payment_state_words(payment, has_account=account is not None),
        }
        for payment in payments
    ]
    waiting = any(payment.state in (PaymentState.PENDING, PaymentState.FAILED) for payment in payments)
    context = {"rows": rows, "missing_account": account is None and waiting, "account": account}
    return render_to_string("payments/_case_payments.html", context, request=request)


def payments_export_section(citizen: Citizen) -> dict[str, Any]:
    """The person's payments in their data export (the account number masked)."""

    def iso(moment: Any) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "payments": [
            {
                "case": payment.case_id,
                "service": payment.case.service.code,
                "amount_cny": f"{payment.amount_cny:.2f}",
                "period": payment.period,
                "state": payment.state,
                "state_label": payment.get_state_display(),
                "account_masked": payment.account_masked,
                "bank_name": payment.bank_name,
                "sent_at": iso(timezone.localtime(payment.sent_at)) if payment.sent_at else None,
                "paid_on": iso(payment.paid_on),
                "created_at": iso(timezone.localtime(payment.created_at)),
            }
            for payment in payments_of(citizen)
        ]
    }
