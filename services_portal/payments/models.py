"""Payments (拨付) of approved benefits: what is paid to whom, for which period, into which account,
and where it stands:

    pending (waiting for the next payment file; without a bank account it waits for one)
    pending -> sent (in a payment file handed to the bank: PaymentBatch)
    sent -> paid | failed (the bank's result file)
    failed -> pending (finance sends it again, once the person gave another account)
    pending -> cancelled (the person closed their account, or the case was rejected after an objection)

Every step is a row of the append-only PaymentEvent history. The account number is kept encrypted
(django-fernet-encrypted-fields) as it was when the payment was sent, beside its masked form.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField

from profiles.models import Citizen, User
from services_portal.casework.models import Case


class PaymentState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent to the bank")
    SENT = "sent", _("Sent to the bank")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Payment failed")
    CANCELLED = "cancelled", _("Stopped")


class PaymentBatch(models.Model):
    """A payment file handed to the bank: who made it, when, its rows and total, and the SHA-256 of the
    file, which the same payments always reproduce (services.payment_batch_file)."""

    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    count = models.PositiveIntegerField()
    total_cny = models.DecimalField(max_digits=14, decimal_places=2)
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment file")
        verbose_name_plural = _("payment files")

    def __str__(self) -> str:
        return f"batch {self.pk}"

    @property
    def filename(self) -> str:
        return f"payments-{self.pk:06d}.csv"


class Payment(models.Model):
    """One payment of an approved case's amount for its benefit period (a monthly benefit's case is one
    month: each month's case has its own payment)."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="payment")
    citizen = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="payments")
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    period = models.CharField(_("benefit period"), max_length=10)
    # the person's region when it was scheduled: finance staff see the payments of their region
    region_code = models.CharField(max_length=6, db_index=True)
    # the account it goes to: taken from the person's latest bank account when the payment file is made
    # NULL while none: the encrypted field stores an empty value as NULL
    account_number = EncryptedCharField(max_length=19, null=True, blank=True)  # noqa: DJ001
    account_masked = models.CharField(_("account"), max_length=24, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    holder_name = models.CharField(_("account holder"), max_length=100, blank=True)
    state = models.CharField(max_length=10, choices=PaymentState, default=PaymentState.PENDING, db_index=True)
    # what the payment file and the bank's result file call it: "P" and the case number in 10 digits
    reference = models.CharField(max_length=20, unique=True)
    batch = models.ForeignKey(PaymentBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    sent_at = models.DateTimeField(null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    failure_code = models.CharField(max_length=40, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "region_code"], name="payment_state_region")]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return self.reference


class PaymentAction(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled on approval")
    SENT = "sent", _("Sent to the bank")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    RESENT = "resent", _("To be sent again")
    CANCELLED = "cancelled", _("Stopped: the account was closed or the case rejected")


class PaymentEvent(models.Model):
    """The payment history: who did what, when, in which payment file. Rows are only ever added."""

    append_only = True

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=20, choices=PaymentAction)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(PaymentBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=40, blank=True)
    text = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("payment history entry")
        verbose_name_plural = _("payment history entries")

    def __str__(self) -> str:
        return f"{self.payment_id} {self.action}"
