"""The fact registry: every fact the portal knows about a person, defined once.

Feeds deliver facts, profiles store them, eligibility criteria read them, the recommender turns
them into features and the screener asks for them, all by the keys defined here.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rule_engine import DataType

from profiles.purposes import Purpose
from services_portal.core.errors import PortalError
from services_portal.reference import regions


class FactType(StrEnum):
    DATE = "date"
    DATE_LIST = "date_list"
    INTEGER = "integer"
    MONEY = "money"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    REGION = "region"
    TEXT = "text"
    PHONE = "phone"


class Sensitivity(StrEnum):
    ORDINARY = "ordinary"
    SENSITIVE = "sensitive"  # PIPL art. 28: health, disability, financial accounts/income, minors


RULE_TYPES: dict[FactType, Any] = {
    FactType.DATE: DataType.DATETIME,
    FactType.DATE_LIST: DataType.ARRAY(DataType.DATETIME),
    FactType.INTEGER: DataType.FLOAT,
    FactType.MONEY: DataType.FLOAT,
    FactType.BOOLEAN: DataType.BOOLEAN,
    FactType.CHOICE: DataType.STRING,
    FactType.REGION: DataType.STRING,
    FactType.TEXT: DataType.STRING,
    FactType.PHONE: DataType.STRING,
}

EARLIEST_DATE = datetime.date(1900, 1, 1)


class FactValueError(ValueError):
    """A value that the registry refuses; the message is in the active language."""

    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = str(message)


class FactsInvalid(ValueError):
    """One or more facts were refused; `errors` maps each fact key to its messages."""

    def __init__(self, errors: dict[str, list[FactValueError]]) -> None:
        super().__init__("; ".join(f"{key}: {e.message}" for key, errs in errors.items() for e in errs))
        self.errors = errors

    def portal_error(self, message: str) -> PortalError:
        """The same refusal as the one error type the API and the pages show, one message a field."""
        return PortalError(
            "invalid_facts", message, fields={key: [e.message for e in errors] for key, errors in self.errors.items()}
        )


@dataclass(frozen=True)
class Choice:
    value: str
    label: Promise


@dataclass(frozen=True)
class FactDefinition:
    key: str
    type: FactType
    label: Promise
    question: Promise
    topic: str
    departments: tuple[str, ...]
    sensitivity: Sensitivity = Sensitivity.ORDINARY
    unit: str = ""
    choices: tuple[Choice, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    allow_future: bool = False
    hint: Promise | str = ""
    # An identity fact (the name and mobile number a department holds) only proves who a person is
    # (profiles.identity): accepted from departments without the data-matching consent, never used for
    # eligibility, recommendations or pushes, never stated by the person or the counter. See IDENTITY_BASIS.
    identity: bool = False
    # For a list fact, how a person answers "none" (no children): the forms' checkbox label. An empty
    # list is that answer, distinct from leaving the question unanswered.
    none_answer: Promise | str = ""

    @property
    def purpose(self) -> Purpose | None:
        """The consent purpose that unlocks this fact when a department delivers it; none for an
        identity fact, which the law's duty to verify identity covers (IDENTITY_BASIS)."""
        if self.identity:
            return None
        if self.sensitivity == Sensitivity.SENSITIVE:
            return Purpose.SENSITIVE_FACTS
        return Purpose.DATA_MATCHING

    @property
    def rule_type(self) -> Any:
        return RULE_TYPES[self.type]

    def choice_label(self, value: str) -> str:
        for choice in self.choices:
            if choice.value == value:
                return str(choice.label)
        return value

    def parse(self, raw: Any, *, today: datetime.date) -> Any:
        """Turn a raw value (from JSON, a form or a CSV cell) into the fact's Python value."""
        parser = _PARSERS[self.type]
        return parser(self, raw, today)


# -- parsers -------------------------------------------------------------------------------------


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _parse_date(fact: FactDefinition, raw: Any, today: datetime.date) -> datetime.date:
    if isinstance(raw, datetime.datetime):
        value = raw.date()
    elif isinstance(raw, datetime.date):
        value = raw
    elif isinstance(raw, str):
        try:
            value = datetime.date.fromisoformat(raw.strip())
        except ValueError:
            raise FactValueError("invalid_date", _("Enter a real date, for example 2024-03-15.")) from None
    else:
        raise FactValueError("invalid_date", _("Enter a real date, for example 2024-03-15."))
    if value < EARLIEST_DATE:
        raise FactValueError("date_too_early", _("The date must be after 1 January 1900."))
    if not fact.allow_future and value > today:
        raise FactValueError("date_in_future", _("The date cannot be in the future."))
    return value


# The text a form (or a CSV cell) sends for a list fact answered "none"; from JSON, an empty list says it.
NONE_ANSWER = "none"


def _parse_date_list(fact: FactDefinition, raw: Any, today: datetime.date) -> list[datetime.date]:
    items: Iterable[Any]
    if isinstance(raw, str) and raw.strip().lower() == NONE_ANSWER:
        items = []
    elif isinstance(raw, str):
        items = [part for part in re.split(r"[,\s;，；]+", raw) if part]
    elif isinstance(raw, (list, tuple)):
        items = raw
    else:
        raise FactValueError("invalid_date_list", _("Enter one or more dates, separated by commas."))
    values = sorted(_parse_date(fact, item, today) for item in items)
    if fact.maximum is not None and len(values) > fact.maximum:
        raise FactValueError("too_many", _("Enter at most %(count)d dates.") % {"count": fact.maximum})
    return values


# No fact counts or costs more; beyond it a number is an error of the sender's, not a value to store.
LARGEST_NUMBER = 10**12


def _check_range(fact: FactDefinition, value: Decimal | int) -> None:
    if fact.minimum is not None and value < fact.minimum:
        if fact.minimum == 0:
            raise FactValueError("negative", _("The value cannot be negative."))
        raise FactValueError("too_small", _("The value must be at least %(min)s.") % {"min": fact.minimum})
    if fact.maximum is not None and value > fact.maximum:
        raise FactValueError("too_large", _("The value must be at most %(max)s.") % {"max": fact.maximum})


def _parse_integer(fact: FactDefinition, raw: Any, today: datetime.date) -> int:
    if isinstance(raw, bool):
        raise FactValueError("invalid_number", _("Enter a whole number."))
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer() or isinstance(raw, str) and re.fullmatch(r"\s*-?\d+\s*", raw):
        # a string of thousands of digits is refused before int() spends time (or refuses) on it
        value = int(raw) if len(str(raw)) <= 40 else LARGEST_NUMBER + 1
    else:
        raise FactValueError("invalid_number", _("Enter a whole number."))
    if abs(value) > LARGEST_NUMBER:
        raise FactValueError("too_large", _("The value must be at most %(max)s.") % {"max": LARGEST_NUMBER})
    _check_range(fact, value)
    return value


def _parse_money(fact: FactDefinition, raw: Any, today: datetime.date) -> Decimal:
    if isinstance(raw, bool):
        raise FactValueError("invalid_amount", _("Enter an amount in yuan, for example 850."))
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise FactValueError("invalid_amount", _("Enter an amount in yuan, for example 850.")) from None
    if not value.is_finite():
        raise FactValueError("invalid_amount", _("Enter an amount in yuan, for example 850."))
    if abs(value) > LARGEST_NUMBER:
        raise FactValueError("too_large", _("The value must be at most %(max)s.") % {"max": LARGEST_NUMBER})
    _check_range(fact, value)
    return value.quantize(Decimal("0.01"))


_TRUE = {"true", "yes", "1", "y", "on", "是"}
_FALSE = {"false", "no", "0", "n", "off", "否"}


def _parse_boolean(fact: FactDefinition, raw: Any, today: datetime.date) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FactValueError("invalid_boolean", _("Answer yes or no."))


def _parse_choice(fact: FactDefinition, raw: Any, today: datetime.date) -> str:
    value = str(raw).strip()
    if value not in {choice.value for choice in fact.choices}:
        allowed = ", ".join(str(choice.label) for choice in fact.choices)
        raise FactValueError("invalid_choice", _("Choose one of: %(allowed)s.") % {"allowed": allowed})
    return value


def _parse_region(fact: FactDefinition, raw: Any, today: datetime.date) -> str:
    value = str(raw).strip()
    if not re.fullmatch(r"\d{6}", value):
        raise FactValueError("invalid_region", _("Enter a 6-digit administrative division code, like 450102."))
    if regions.get(value) is None:
        raise FactValueError("unknown_region", _("%(code)s is not a region code that exists.") % {"code": value})
    return value


def _parse_text(fact: FactDefinition, raw: Any, today: datetime.date) -> str:
    value = " ".join(str(raw if raw is not None else "").split())
    if not value:
        raise FactValueError("blank", _("Enter a value."))
    if fact.maximum is not None and len(value) > fact.maximum:
        raise FactValueError("too_long", _("Enter at most %(count)d characters.") % {"count": fact.maximum})
    return value


def _parse_phone(fact: FactDefinition, raw: Any, today: datetime.date) -> str:
    value = re.sub(r"[\s-]+", "", str(raw if raw is not None else ""))
    value = value.removeprefix("+86")
    if not re.fullmatch(r"1[0-9]{10}", value, re.ASCII):
        raise FactValueError("invalid_phone", _("Enter an 11-digit mobile number that starts with 1."))
    return value


_PARSERS = {
    FactType.DATE: _parse_date,
    FactType.DATE_LIST: _parse_date_list,
    FactType.INTEGER: _parse_integer,
    FactType.MONEY: _parse_money,
    FactType.BOOLEAN: _parse_boolean,
    FactType.CHOICE: _parse_choice,
    FactType.REGION: _parse_region,
    FactType.TEXT: _parse_text,
    FactType.PHONE: _parse_phone,
}


# -- the registry --------------------------------------------------------------------------------

SENSITIVE = Sensitivity.SENSITIVE
# The departments that hold a person's name and mobile number as they registered them in person.
IDENTITY_DEPARTMENTS = ("public_security", "civil_affairs", "hrss", "health")
# Why departments may deliver identity facts without the person's data-matching consent (PIPL art. 13(3):
# to fulfil a legal duty): the State Council's Provisions on Online Government Services (国务院令第716号,
# 《国务院关于在线政务服务的若干规定》) require online government services to verify the applicant's identity.
# They are used for nothing else (FactDefinition.identity).
IDENTITY_BASIS = "国务院令第716号《国务院关于在线政务服务的若干规定》"
# A residence address (province to flat) fits well within this; a longer one is a sender's error.
ADDRESS_LENGTH = 200

FACTS: dict[str, FactDefinition] = {
    fact.key: fact
    for fact in (
        FactDefinition(
            "birth_date",
            FactType.DATE,
            _("Date of birth"),
            _("What is your date of birth?"),
            "about_you",
            ("public_security", "health"),
        ),
        FactDefinition(
            "sex",
            FactType.CHOICE,
            _("Sex"),
            _("What is your sex?"),
            "about_you",
            ("public_security",),
            choices=(Choice("female", _("Female")), Choice("male", _("Male"))),
        ),
        FactDefinition(
            "region_code",
            FactType.REGION,
            _("Where you live"),
            _("Where do you live?"),
            "about_you",
            ("public_security", "civil_affairs"),
        ),
        FactDefinition(
            # where counter staff find a person they must visit (the outreach list); no criterion reads it
            "address",
            FactType.TEXT,
            _("Home address"),
            _("What is your home address?"),
            "about_you",
            ("public_security", "civil_affairs"),
            maximum=ADDRESS_LENGTH,
            hint=_("The street, number, building and flat where you live now, so that staff can visit you."),
        ),
        FactDefinition(
            "hukou_region_code",
            FactType.REGION,
            _("Household registration (hukou) place"),
            _("Where is your household registration (hukou)?"),
            "about_you",
            ("public_security",),
        ),
        FactDefinition(
            "hukou_type",
            FactType.CHOICE,
            _("Household registration type"),
            _("Is your household registration urban or rural?"),
            "about_you",
            ("public_security",),
            choices=(Choice("urban", _("Urban")), Choice("rural", _("Rural"))),
        ),
        FactDefinition(
            "marital_status",
            FactType.CHOICE,
            _("Marital status"),
            _("What is your marital status?"),
            "family",
            ("civil_affairs",),
            choices=(
                Choice("single", _("Single")),
                Choice("married", _("Married")),
                Choice("divorced", _("Divorced")),
                Choice("widowed", _("Widowed")),
            ),
        ),
        FactDefinition(
            "household_size",
            FactType.INTEGER,
            _("People in your household"),
            _("How many people live in your household, counting you?"),
            "family",
            ("public_security", "civil_affairs"),
            unit="people",
            minimum=1,
            maximum=30,
        ),
        FactDefinition(
            "household_income_monthly_per_capita",
            FactType.MONEY,
            _("Household income per person per month"),
            _("What is your household's monthly income per person?"),
            "money",
            ("civil_affairs",),
            sensitivity=SENSITIVE,
            unit="CNY",
            minimum=0,
            hint=_("All income of the household in a month, divided by the number of people, in yuan."),
        ),
        FactDefinition(
            "income_monthly",
            FactType.MONEY,
            _("Your own monthly income"),
            _("What is your own income in a month?"),
            "money",
            ("civil_affairs", "hrss", "taxation"),
            sensitivity=SENSITIVE,
            unit="CNY",
            minimum=0,
            hint=_(
                "Wages, pension and other income before tax, in yuan. Household income is worked out from everyone's."
            ),
        ),
        FactDefinition(
            "children_birth_dates",
            FactType.DATE_LIST,
            _("Children's dates of birth"),
            _("What are your children's dates of birth?"),
            "family",
            ("health", "public_security"),
            sensitivity=SENSITIVE,
            maximum=12,
            hint=_('One date per child, separated by commas. If you have no children, tick "I have no children".'),
            none_answer=_("I have no children"),
        ),
        FactDefinition(
            "is_pregnant",
            FactType.BOOLEAN,
            _("Pregnant"),
            _("Are you pregnant?"),
            "family",
            ("health",),
            sensitivity=SENSITIVE,
        ),
        FactDefinition(
            "education_level",
            FactType.CHOICE,
            _("Highest education"),
            _("What is your highest education?"),
            "work",
            ("education",),
            choices=(
                Choice("none", _("No schooling")),
                Choice("primary", _("Primary school")),
                Choice("junior_secondary", _("Junior secondary school")),
                Choice("senior_secondary", _("Senior secondary school")),
                Choice("vocational", _("Vocational school")),
                Choice("junior_college", _("Junior college")),
                Choice("bachelor", _("Bachelor's degree")),
                Choice("master", _("Master's degree")),
                Choice("doctorate", _("Doctorate")),
            ),
        ),
        FactDefinition(
            "graduation_date",
            FactType.DATE,
            _("Date of graduation"),
            _("When did you graduate from your last school or university?"),
            "work",
            ("education",),
        ),
        FactDefinition(
            "employment_status",
            FactType.CHOICE,
            _("Work situation"),
            _("What is your work situation?"),
            "work",
            ("hrss",),
            choices=(
                Choice("employed", _("Employed")),
                Choice("self_employed", _("Self-employed")),
                Choice("unemployed", _("Unemployed and looking for work")),
                Choice("student", _("Student")),
                Choice("retired", _("Retired")),
                Choice("not_in_labour_force", _("Not working and not looking for work")),
            ),
        ),
        FactDefinition(
            "unemployment_insured",
            FactType.BOOLEAN,
            _("Unemployment insurance paid"),
            _("Did you pay unemployment insurance for at least a year before losing your job?"),
            "work",
            ("hrss",),
        ),
        FactDefinition(
            "medical_insurance_type",
            FactType.CHOICE,
            _("Medical insurance"),
            _("Which basic medical insurance do you have?"),
            "health",
            ("healthcare_security",),
            choices=(
                Choice("employee", _("Employee medical insurance")),
                Choice("resident", _("Urban and rural resident medical insurance")),
                Choice("none", _("None")),
            ),
        ),
        FactDefinition(
            "pension_insured",
            FactType.BOOLEAN,
            _("Pension insurance paid"),
            _("Have you paid into basic pension insurance?"),
            "work",
            ("hrss",),
        ),
        FactDefinition(
            "retirement_date",
            FactType.DATE,
            _("Retirement date"),
            _("When did you retire, or when will you retire?"),
            "work",
            ("hrss",),
            allow_future=True,
        ),
        FactDefinition(
            "disability_level",
            FactType.INTEGER,
            _("Disability level"),
            _("What disability level is on your disability certificate?"),
            "health",
            ("disabled_federation",),
            sensitivity=SENSITIVE,
            minimum=0,
            maximum=4,
            hint=_("1 is the most severe and 4 the mildest. Enter 0 if you have no disability certificate."),
        ),
        FactDefinition(
            "chronic_illness",
            FactType.BOOLEAN,
            _("Long-term illness"),
            _("Do you have a chronic or serious long-term illness?"),
            "health",
            ("healthcare_security", "health"),
            sensitivity=SENSITIVE,
        ),
        FactDefinition(
            "medical_out_of_pocket_annual",
            FactType.MONEY,
            _("Medical costs paid yourself this year"),
            _("How much did you pay yourself for medical care in the last 12 months?"),
            "health",
            ("healthcare_security",),
            sensitivity=SENSITIVE,
            unit="CNY",
            minimum=0,
            hint=_("What insurance did not pay, in yuan."),
        ),
        FactDefinition(
            "is_veteran",
            FactType.BOOLEAN,
            _("Veteran"),
            _("Have you served in the armed forces?"),
            "about_you",
            ("veterans_affairs",),
        ),
        FactDefinition(
            "owns_home",
            FactType.BOOLEAN,
            _("Owns a home"),
            _("Does your household own a home?"),
            "money",
            ("housing",),
        ),
        FactDefinition(
            "full_name",
            FactType.TEXT,
            _("Name on record"),
            _("What is your full name?"),
            "about_you",
            IDENTITY_DEPARTMENTS,
            maximum=100,
            identity=True,
        ),
        FactDefinition(
            "mobile_phone",
            FactType.PHONE,
            _("Mobile number on record"),
            _("What is your mobile number?"),
            "about_you",
            IDENTITY_DEPARTMENTS,
            identity=True,
        ),
        FactDefinition(
            "business_registered_date",
            FactType.DATE,
            _("Business registration date"),
            _("When did you register your business?"),
            "work",
            ("market_regulation",),
            hint=_("Leave empty if you have not registered a business."),
        ),
    )
}

TOPICS: dict[str, Promise] = {
    "about_you": _("About you"),
    "family": _("Your family"),
    "work": _("Study and work"),
    "money": _("Income and housing"),
    "health": _("Health"),
}


# The facts that only prove who a person is, and those the portal may use for anything else.
IDENTITY_FACTS = frozenset(key for key, fact in FACTS.items() if fact.identity)


# A derived fact a person can state directly where the stored fact would be too much to ask:
# the anonymous screener asks for an age, not a date of birth.
AGE_ANSWER = FactDefinition(
    "age", FactType.INTEGER, _("Age"), _("How old are you?"), "about_you", (), unit="years", minimum=0, maximum=130
)


def facts_clean(
    raw: Mapping[str, Any], *, today: datetime.date, answers: Mapping[str, FactDefinition] | None = None
) -> dict[str, Any]:
    """Validate raw fact values against the registry; raise FactsInvalid with every error at once.

    `answers` adds definitions a caller accepts beyond the stored facts (the screener's age).
    Blank values are left out (an unknown fact), not refused. For a list fact an empty list (or the
    text "none") is an answer, "none", and kept as []; elsewhere an empty list is blank.
    """
    known = {**FACTS, **(answers or {})}
    clean: dict[str, Any] = {}
    errors: dict[str, list[FactValueError]] = {}
    for key, value in raw.items():
        fact = known.get(key)
        if fact is None:
            errors[key] = [FactValueError("unknown_fact", _("%(key)s is not a fact the portal knows.") % {"key": key})]
            continue
        if _blank(value) or (value == [] and fact.type != FactType.DATE_LIST):
            continue
        try:
            clean[key] = fact.parse(value, today=today)
        except FactValueError as error:
            errors[key] = [error]
    if errors:
        raise FactsInvalid(errors)
    return clean
