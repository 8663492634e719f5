"""Reading payments: finance staff see those of their region (each read of a bank account logged); a
person sees their own."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from profiles.models import AccessChannel, AccessPurpose, Citizen, User
from profiles.permissions import allowed, scope_prefix
from profiles.services.access import access_record
from services_portal.casework.models import Case
from services_portal.payments.models import Payment, PaymentBatch, PaymentState


def payments_in_scope(user: User) -> QuerySet[Payment]:
    """The payments of the people in a finance staff member's region; none for anyone else."""
    prefix = scope_prefix(user) if allowed(user, "payments.manage") else None
    if prefix is None:
        return Payment.objects.none()
    payments = Payment.objects.all()
    return payments.filter(region_code__startswith=prefix) if prefix else payments


def payments_for(
    user: User,
    *,
    state: str = "",
    period: str = "",
    service: str = "",
    batch: int | None = None,
    without_account: bool = False,
) -> QuerySet[Payment]:
    """The finance list, filtered, newest first."""
    payments = payments_in_scope(user).select_related("case__service", "citizen", "batch")
    if state:
        payments = payments.filter(state=state)
    if period:
        payments = payments.filter(period__startswith=period)
    if service:
        payments = payments.filter(case__service__code=service)
    if batch is not None:
        payments = payments.filter(batch_id=batch)
    if without_account:
        payments = payments.filter(state=PaymentState.PENDING, citizen__bank_accounts__isnull=True)
    return payments.order_by("-created_at", "-id")


@dataclass(frozen=True)
class Totals:
    count: int
    amount_cny: Decimal


def payment_totals(payments: QuerySet[Payment]) -> dict[str, Totals]:
    """Count and amount per state of a set of payments, and over all of them ("all")."""
    totals = {state: Totals(0, Decimal("0")) for state in PaymentState.values}
    rows = payments.order_by().values("state").annotate(count=Count("id"), amount=Sum("amount_cny"))
    for row in rows:
        totals[row["state"]] = Totals(row["count"], row["amount"] or Decimal("0"))
    totals["all"] = Totals(
        sum(each.count for each in totals.values()), sum((each.amount_cny for each in totals.values()), Decimal("0"))
    )
    return totals


def payment_reads_log(
    user: User, payments: list[Payment], *, channel: AccessChannel | str, request_id: str = ""
) -> None:
    """Showing payments to finance staff shows each person's name and (masked) bank account: a read of
    their data, logged once a person a page."""
    for citizen_id in sorted({payment.citizen_id for payment in payments}):
        access_record(
            actor=user,
            subject=Citizen(pk=citizen_id),
            fields=["bank_account", "name"],
            purpose=AccessPurpose.PAYMENT,
            channel=channel,
            request_id=request_id,
        )


def payment_batches_for(user: User) -> QuerySet[PaymentBatch]:
    """The payment files wholly within the user's region (a file holds account numbers: one made by
    finance of a wider region is theirs alone)."""
    in_scope = payments_in_scope(user).filter(batch__isnull=False)
    outside = Payment.objects.filter(batch__isnull=False).exclude(pk__in=in_scope.values("pk"))
    return (
        PaymentBatch.objects.filter(pk__in=in_scope.values("batch_id"))
        .exclude(pk__in=outside.values("batch_id"))
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def payment_batch_get_for(user: User, batch_id: int) -> PaymentBatch:
    batch = payment_batches_for(user).filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    return batch


def payments_of_case(case: Case) -> list[Payment]:
    """The payments of one case, for its own person (the caller has found the case among theirs)."""
    return list(Payment.objects.filter(case=case).order_by("created_at", "id"))


def payments_of(citizen: Citizen) -> QuerySet[Payment]:
    return Payment.objects.filter(citizen=citizen).select_related("case__service").order_by("created_at", "id")
