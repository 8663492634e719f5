"""The 18-digit resident identity number (GB 11643-1999): checking, keyed hashing, masking.

The full number is never stored. A keyed hash (HMAC-SHA256 with RESIDENT_ID_HASH_KEY) finds a person
again; the masked form (4501**********1234) is what people and staff see.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _

from services_portal.core.errors import PortalError

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
# ASCII only: Python's \d also matches Arabic-Indic and other scripts' digits, which no ID card carries.
PATTERN = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
# Ten digits or more (of any script) is taken for an attempt at an ID number, however mistyped.
ATTEMPT_DIGITS = 10


class ResidentIdInvalid(PortalError):
    pass


def check_character(first_17: str) -> str:
    return CHECK_CHARACTERS[sum(int(digit) * weight for digit, weight in zip(first_17, WEIGHTS, strict=True)) % 11]


def resident_id_normalise(raw: str) -> str:
    """What was typed, as the number would be written: NFKC turns full-width digits and Ｘ (typed with a
    Chinese input method) into ASCII ones; spaces go and x is upper-cased. Not checked."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(raw or ""))).upper()


def resident_id_attempted(raw: str) -> bool:
    """Whether `raw` looks like someone meant to type an ID number (valid or not): ten digits or more."""
    return sum(character.isdigit() for character in resident_id_normalise(raw)) >= ATTEMPT_DIGITS


def resident_id_clean(raw: str, *, field: str = "resident_id") -> str:
    """The number in its canonical form (ASCII digits, upper-case X), or ResidentIdInvalid saying what
    is wrong. A full-width number is the same number; digits of other scripts are refused."""
    number = resident_id_normalise(raw)

    def refuse(code: str, message: str) -> ResidentIdInvalid:
        return ResidentIdInvalid(code, message, fields={field: [message]})

    if not number.isascii() and any(character.isdigit() for character in number):
        raise refuse("invalid_digits", _("Type the ID number with the digits 0 to 9 and X, as on the identity card."))
    if not PATTERN.fullmatch(number):
        raise refuse("invalid_format", _("A resident ID number has 18 characters: 17 digits and a digit or X."))
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise refuse("invalid_birth_date", _("The date of birth in this ID number does not exist.")) from None
    if born > datetime.date.today() or born.year < 1900:  # noqa: DTZ011 - a date of birth has no time zone
        raise refuse("invalid_birth_date", _("The date of birth in this ID number is not possible."))
    if check_character(number[:17]) != number[17]:
        raise refuse("wrong_check_digit", _("This ID number is not valid: check the last character and try again."))
    return number


def resident_ids_clean(raws: Iterable[str]) -> dict[str, str | ResidentIdInvalid]:
    """Each distinct number as `resident_id_clean` answers it (its canonical form, or the refusal to
    raise): a department's batch names tens of thousands. Those already written as the card has them
    are checked together (check digits and dates of birth on arrays); only the rest, which may need
    normalising or a message, go one by one."""
    distinct = set(raws)
    written = [raw for raw in distinct if PATTERN.fullmatch(raw)]  # ASCII: resident_id_normalise keeps it
    passed: set[str] = set()
    if written:
        characters = np.frombuffer("".join(written).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        digits = characters[:, :17].astype(np.int64) - ord("0")
        check = np.frombuffer(CHECK_CHARACTERS.encode("ascii"), dtype=np.uint8)[(digits @ np.array(WEIGHTS)) % 11]
        year = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
        month, day = digits[:, 10:12] @ np.array([10, 1]), digits[:, 12:14] @ np.array([10, 1])
        leap = (year % 4 == 0) & (year % 100 != 0) | (year % 400 == 0)
        month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 0, 12)]
        month_days = month_days + ((month == 2) & leap)
        today = datetime.date.today()  # noqa: DTZ011 - as resident_id_clean: a date of birth has no time zone
        ok = (
            (check == characters[:, 17])
            & (month >= 1)
            & (month <= 12)
            & (day >= 1)
            & (day <= month_days)
            & (year >= 1900)
            & (year * 10000 + month * 100 + day <= today.year * 10000 + today.month * 100 + today.day)
        )
        passed = {raw for raw, good in zip(written, ok.tolist(), strict=True) if good}
    answers: dict[str, str | ResidentIdInvalid] = {raw: raw for raw in passed}
    for raw in distinct - passed:
        try:
            answers[raw] = resident_id_clean(raw)
        except ResidentIdInvalid as error:
            answers[raw] = error
    return answers


def resident_id_hash(number: str) -> str:
    """A keyed hash of a clean number: stable for look-up, useless without the key."""
    key = settings.RESIDENT_ID_HASH_KEY.encode()
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()


def resident_ids_hash(numbers: Iterable[str]) -> dict[str, str]:
    """`resident_id_hash` of each distinct clean number, the key read once (a batch names thousands)."""
    key = settings.RESIDENT_ID_HASH_KEY.encode()
    return {number: hmac.digest(key, number.encode(), "sha256").hex() for number in set(numbers)}


def resident_id_mask(number: str) -> str:
    return f"{number[:4]}{'*' * 10}{number[-4:]}"


def birth_date_of(number: str) -> datetime.date:
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
