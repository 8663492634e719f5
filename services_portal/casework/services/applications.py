"""Applying (online, or at a counter for the person): one service, or a bundle (一件事一次办) asked once
and split into one case per service, each routed to its department.

INTERFACE (agreed between the helpers building it; bodies to be written):
- application_form_for(citizen, *, services) -> ApplicationForm: what the form shows: the facts held
  (prefilled, with their source, to confirm), the facts to ask (the registry's fields), the materials
  to upload (the union over the services, one per code, shared ones listed as obtained by the
  department), and per service the rules' verdict with reasons.
- application_submit(...) -> Application: validates everything first (nothing half-stored), records
  the facts given as self-declared (or counter) facts, stores the files (casework.materials), opens
  one case per service in state SUBMITTED with origin, eligibility and criteria, writes a SUBMITTED
  history row per case (transitions.transition_record), due dates come at acceptance.
- case_resubmit(...) -> Case: 补正: the returned case back in review, with the new files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from profiles.facts.registry import FactDefinition
from profiles.models import Citizen, User
from services_portal.casework.models import Application, Case, CaseOrigin
from services_portal.catalog.models import Bundle, ServiceItem


@dataclass(frozen=True)
class HeldFact:
    """A fact the portal holds on the person, shown prefilled for them to confirm (免填报)."""

    definition: FactDefinition
    value: Any  # the decoded value
    display: str  # the value in words, in the active language
    source: str  # FactSource value: self_declared / department_feed / counter_staff
    department: str  # department code, "" unless from a feed


@dataclass(frozen=True)
class Material:
    """A material of the catalog, once per code over the services applied for."""

    code: str
    name: str  # in the active language
    required: bool
    shared: bool  # obtained by the department itself (shared e-licences): nothing to upload
    services: tuple[str, ...]  # the codes of the services that list it


@dataclass(frozen=True)
class ServiceVerdict:
    """What the rules say of one service for the person: advice, the department decides."""

    service: ServiceItem
    outcome: str  # eligibility.engine.Outcome value
    reasons: tuple[str, ...]  # each criterion's label with met / not met / unknown, in words


@dataclass(frozen=True)
class ApplicationForm:
    services: tuple[ServiceItem, ...]
    bundle: Bundle | None
    held: tuple[HeldFact, ...]
    asked: tuple[FactDefinition, ...]  # the facts the rules of these services read that the portal lacks
    materials: tuple[Material, ...]
    verdicts: tuple[ServiceVerdict, ...]
    # an application standing already for a service and its period: applying again is refused
    standing: Mapping[str, Case] = field(default_factory=dict)

    @property
    def uploads(self) -> tuple[Material, ...]:
        return tuple(material for material in self.materials if not material.shared)


def application_form_for(
    citizen: Citizen, *, services: Sequence[ServiceItem], bundle: Bundle | None = None
) -> ApplicationForm:
    raise NotImplementedError


def application_submit(
    *,
    citizen: Citizen,
    services: Sequence[ServiceItem],
    bundle: Bundle | None = None,
    confirmed: Sequence[str],  # keys of the held facts the person confirmed as still true
    given: Mapping[str, Any],  # raw answers to the asked facts, validated by the fact registry
    files: Mapping[str, Sequence[UploadedFile]],  # material code -> the files uploaded for it
    declared: bool,  # the declaration ticked: refused without it
    origin: CaseOrigin = CaseOrigin.ONLINE,
    staff: User | None = None,  # counter staff submitting for the person (origin COUNTER)
    idempotency_key: str = "",
) -> Application:
    raise NotImplementedError


def case_resubmit(
    *,
    citizen: Citizen,
    case_id: int,
    files: Mapping[str, Sequence[UploadedFile]],
    text: str = "",
    staff: User | None = None,
) -> Case:
    raise NotImplementedError
