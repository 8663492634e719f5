"""What the counter desk asks of the apps above it: the counter may not import them (they stand on
it), so each registers its step from its AppConfig.ready() and the desk calls the hook (see
services_portal.core.hooks). The protocols say what the desk reads of the answers.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from services_portal.core.hooks import Hook

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from profiles.facts.registry import FactDefinition
    from profiles.models import Citizen, User
    from services_portal.catalog.models import Bundle, ServiceItem
    from services_portal.counter.models import OutreachTask


class Suggestion(Protocol):
    """A service suggested for the person at the desk, with why."""

    @property
    def service(self) -> ServiceItem: ...

    @property
    def eligible(self) -> bool:
        """True: every criterion met; False: none failed but some fact is missing ("maybe")."""

    @property
    def criteria_met(self) -> int:
        """How many of the service's criteria the person meets (0 for a service open to anyone)."""

    @property
    def missing_facts(self) -> Sequence[str]:
        """Labels of the facts to ask the person about, to settle a "maybe"."""

    @property
    def reasons(self) -> Sequence[Any]:
        """The reasons, as the template recommender/_reasons.html draws them."""


class Suggestions(Protocol):
    """The services suggested for the person, best first."""

    @property
    def personalised(self) -> bool:
        """False: the list uses only the person's facts (no consent to use their activity)."""

    @property
    def items(self) -> Sequence[Suggestion]: ...


# The services to suggest for the person at the desk, at least `limit` of them where there are: the
# recommender answers (`collect`) with its "for you" list, Suggestions, which the desk puts in its own order.
desk_suggestions: Hook[[Citizen, int]] = Hook("desk_suggestions")


# -- applying for the person -------------------------------------------------------------------------
# Casework registers one step for each (casework/counter_desk.py): the desk asks for the application
# form, submits the application and reads its receipt through them.


class HeldFact(Protocol):
    """A fact the portal holds, read out for the person to confirm."""

    @property
    def definition(self) -> FactDefinition: ...

    @property
    def display(self) -> str: ...

    @property
    def source(self) -> str:
        """A FactSource value."""

    @property
    def department(self) -> str:
        """The department's code, for a value a department delivered."""


class Material(Protocol):
    """A material the services ask for, once per code."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def required(self) -> bool: ...

    @property
    def shared(self) -> bool:
        """True: the department obtains it itself; nothing to scan."""


class ApplicationForm(Protocol):
    """What the desk shows to apply: the facts held (to confirm), the facts to ask, the materials to
    scan, each service's verdict, and the services applied for already (applying again is refused)."""

    @property
    def services(self) -> Sequence[ServiceItem]: ...

    @property
    def bundle(self) -> Bundle | None: ...

    @property
    def held(self) -> Sequence[HeldFact]: ...

    @property
    def asked(self) -> Sequence[FactDefinition]: ...

    @property
    def materials(self) -> Sequence[Material]: ...

    @property
    def uploads(self) -> Sequence[Material]: ...

    @property
    def verdicts(self) -> Sequence[Any]: ...

    @property
    def standing(self) -> Mapping[str, Any]:
        """Service code -> the case standing for it already."""


@dataclass(frozen=True)
class CounterApplication:
    """An application staff submit for the person at the desk, after checking their ID card: the facts
    they confirmed and gave, the materials scanned (material code -> files), and whether the person
    confirmed and signed the declaration before the staff member."""

    citizen: Citizen
    staff: User
    services: Sequence[ServiceItem]
    bundle: Bundle | None
    confirmed: Sequence[str]
    given: Mapping[str, Any]
    files: Mapping[str, Sequence[UploadedFile]]
    declared: bool
    idempotency_key: str = ""


@dataclass(frozen=True)
class ReceiptCase:
    """One case of the application, as the receipt lists it."""

    case_id: int
    service: ServiceItem
    department: str
    state: str  # the state's label, in the active language
    due_on: datetime.date | None


@dataclass(frozen=True)
class ReceiptFile:
    material: str  # the material's name, in the active language
    name: str
    pages: int


@dataclass(frozen=True)
class Receipt:
    """What the desk hands the person once the application is in: its number, its cases (one per
    service, each with the department that decides), the files scanned and where to follow it."""

    application_id: int
    citizen_id: int
    submitted_at: datetime.datetime
    staff_name: str
    bundle: Bundle | None
    cases: Sequence[ReceiptCase]
    files: Sequence[ReceiptFile]
    tracking_link: str  # the person's page of the application, once signed in


@dataclass(frozen=True)
class OpenCase:
    """A case of the person not yet decided, as the desk lists it: the receipt's link when it was applied
    for at a counter."""

    case_id: int
    service: ServiceItem
    department: str
    state: str  # the state's label, in the active language
    opened_at: datetime.datetime
    counter_application_id: int | None


# The application form for the person and these services (a bundle's, when `bundle` is given).
application_form_at_counter: Hook[[Citizen, Sequence[ServiceItem], Bundle | None]] = Hook("application_form_at_counter")
# Submit the application (PortalError with the fields to correct, nothing stored); answers its Receipt.
application_at_counter: Hook[[CounterApplication]] = Hook("application_at_counter")
# The receipt of the person's application made at a counter; None when there is none of that number.
application_receipt_at_counter: Hook[[Citizen, int]] = Hook("application_receipt_at_counter")
# The person's cases not yet decided, oldest first (OpenCase): staff see what is under way.
open_cases_at_counter: Hook[[Citizen]] = Hook("open_cases_at_counter")

# After counter staff record what came of an outreach task (in its transaction): the reach ledger counts a
# call or a visit as the moment the person was reached.
on_outreach_outcome: Hook[[OutreachTask]] = Hook("on_outreach_outcome")
