"""The bank account a person's benefits are paid into (profiles.models.BankAccount)."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _
from stdnum import luhn

from profiles.models import BankAccount, Citizen, FactSource, User
from services_portal.core.errors import PortalError

ACCOUNT_DIGITS_MIN = 12
ACCOUNT_DIGITS_MAX = 19
# Bank cards (16 to 19 digits, UnionPay's 62... and others) carry a Luhn check digit; passbook and
# corporate-style account numbers (12 to 15 digits) have no common check.
CARD_DIGITS_MIN = 16
_SPACES = re.compile(r"\s+")


def account_number_clean(raw: str) -> str:
    """The account number as digits only, or PortalError with the reason on the field."""
    number = _SPACES.sub("", raw or "")

    def refuse(code: str, message: str) -> PortalError:
        return PortalError(code, message, fields={"account_number": [message]})

    if not number:
        raise refuse("account_number_required", _("Enter the account number."))
    if not number.isdigit() or not number.isascii():
        raise refuse("account_number_digits", _("An account number has only digits."))
    if not ACCOUNT_DIGITS_MIN <= len(number) <= ACCOUNT_DIGITS_MAX:
        raise refuse(
            "account_number_length",
            _("An account number has %(min)d to %(max)d digits; this one has %(count)d.")
            % {"min": ACCOUNT_DIGITS_MIN, "max": ACCOUNT_DIGITS_MAX, "count": len(number)},
        )
    if len(number) >= CARD_DIGITS_MIN and not luhn.is_valid(number):
        raise refuse(
            "account_number_check",
            _("This card number is not valid: check the digits against your bank card."),
        )
    return number


def _name_key(name: str) -> str:
    return _SPACES.sub("", name or "").casefold()


@transaction.atomic
def bank_account_record(
    *,
    citizen: Citizen,
    bank_name: str,
    account_number: str,
    holder_name: str,
    source: FactSource | str,
    staff: User | None = None,
) -> BankAccount:
    """Record the account the person's benefits are paid into; it replaces the last one for every
    payment not yet sent (payments read the latest when they make the bank's file). The account must
    be the person's own: its holder's name must be theirs when the portal knows it."""
    errors: dict[str, list[str]] = {}
    try:
        number = account_number_clean(account_number)
    except PortalError as error:
        errors.update(error.fields)
        number = ""
    bank_name = bank_name.strip()
    holder_name = holder_name.strip()
    if not bank_name:
        errors["bank_name"] = [_("Enter the name of the bank.")]
    if not holder_name:
        errors["holder_name"] = [_("Enter the name of the account holder.")]
    elif citizen.name and _name_key(holder_name) != _name_key(citizen.name):
        errors["holder_name"] = [_("Benefits are paid only into an account in your own name.")]
    if source not in FactSource.values:
        errors["source"] = [_("Not a known source.")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise PortalError("invalid_bank_account", first, fields=errors)
    account = BankAccount(
        citizen=citizen,
        bank_name=bank_name[:100],
        account_number=number,
        holder_name=holder_name[:100],
        source=source,
        recorded_by=staff,
    )
    account.full_clean()
    account.save()
    return account
