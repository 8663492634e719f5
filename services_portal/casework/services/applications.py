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

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles.display import fact_value_display
from profiles.facts import FACTS, FactsInvalid, Sensitivity, facts_clean
from profiles.facts.codec import fact_decode, fact_encode
from profiles.facts.registry import FactDefinition
from profiles.models import Citizen, FactSource, User
from profiles.permissions import allowed, in_scope
from profiles.purposes import Purpose
from profiles.selectors import consent_in_force, fact_values_for
from profiles.services.facts import fact_record
from services_portal.casework.errors import CaseConflict, CaseNotFound
from services_portal.casework.materials import (
    materials_check,
    materials_store,
    stored_files_delete,
)
from services_portal.casework.models import (
    STANDING_STATES,
    Application,
    Case,
    CaseAction,
    CaseOrigin,
    CaseState,
    MaterialFile,
)
from services_portal.casework.services.detection import benefit_period, criteria_record
from services_portal.casework.services.transitions import case_resubmitted, transition_record
from services_portal.catalog.models import Bundle, ServiceItem
from services_portal.catalog.rules import service_rules_build
from services_portal.core.errors import PortalError
from services_portal.core.i18n import pick
from services_portal.eligibility.engine import ServiceEligibility, Status, eligibility_evaluate
from services_portal.eligibility.facts import facts_for


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
    # the portal knows neither where the person lives nor their hukou: asked, and required (it routes the cases)
    region_needed: bool = False

    @property
    def uploads(self) -> tuple[Material, ...]:
        return tuple(material for material in self.materials if not material.shared)


class AlreadyApplied(CaseConflict):
    """An application for a service and period stands already: `case` is the first, whose page
    (`/me/cases/<id>/`) the error's field `first_case` gives."""

    def __init__(self, case: Case) -> None:
        url = case_url(case)
        message = _("You have already applied for %(service)s for this period: see your application.") % {
            "service": case.service.name
        }
        super().__init__("already_applied", message, fields={"services": [message], "first_case": [url]})
        self.case = case


def case_url(case: Case) -> str:
    """The person's page of their case (what notifications link to)."""
    return f"/me/cases/{case.pk}/"


def bundle_services(bundle: Bundle) -> list[ServiceItem]:
    """A bundle's services in its order."""
    return [
        item.service
        for item in bundle.items.select_related("service__department").prefetch_related("service__criteria")
    ]


def _distinct(services: Sequence[ServiceItem]) -> list[ServiceItem]:
    seen: set[int] = set()
    result = []
    for service in services:
        if service.pk not in seen:
            seen.add(service.pk)
            result.append(service)
    return result


def _services_of(services: Sequence[ServiceItem], bundle: Bundle | None) -> list[ServiceItem]:
    return _distinct(services) if services else (bundle_services(bundle) if bundle is not None else [])


# -- the form --------------------------------------------------------------------------------------

# Worked out from household registration (eligibility.facts.household_facts), which public security keeps.
_HOUSEHOLD_DEPARTMENT = "public_security"


def _status_words(status: Status) -> str:
    if status == Status.MET:
        return _("met")
    if status == Status.NOT_MET:
        return _("not met")
    return _("not known yet")


def _verdicts(services: Sequence[ServiceItem], results: Sequence[ServiceEligibility]) -> tuple[ServiceVerdict, ...]:
    return tuple(
        ServiceVerdict(
            service=service,
            outcome=result.outcome.value,
            reasons=tuple(
                _("%(criterion)s: %(status)s") % {"criterion": r.criterion.label, "status": _status_words(r.status)}
                for r in result.results
            ),
        )
        for service, result in zip(services, results, strict=True)
    )


def _evaluate(citizen: Citizen, services: Sequence[ServiceItem]) -> list[ServiceEligibility]:
    rules = [service_rules_build(service) for service in services]
    return eligibility_evaluate(facts=facts_for([citizen])[citizen.pk], on=timezone.localdate(), services=rules)


def _facts_read(services: Sequence[ServiceItem]) -> list[str]:
    """The stored facts the services' criteria read, in registry order."""
    wanted = {
        key
        for service in services
        for criterion in service_rules_build(service).criteria
        for key in criterion.compiled.needs
    }
    return [key for key in FACTS if key in wanted]


def _materials(services: Sequence[ServiceItem]) -> tuple[Material, ...]:
    """The catalog materials of the services, once per code: required if any service requires it, to be
    uploaded unless every service listing it obtains it itself (shared)."""
    found: dict[str, dict[str, Any]] = {}
    for service in services:
        for material in service.materials:
            entry = found.setdefault(
                material["code"], {"texts": material, "required": False, "shared": True, "services": []}
            )
            entry["required"] |= bool(material.get("required", True))
            entry["shared"] &= bool(material.get("shared", False))
            entry["services"].append(service.code)
    return tuple(
        Material(
            code=code,
            name=pick(entry["texts"]),
            required=entry["required"],
            shared=entry["shared"],
            services=tuple(entry["services"]),
        )
        for code, entry in found.items()
    )


def _standing(citizen: Citizen, services: Sequence[ServiceItem], on: datetime.date) -> dict[str, Case]:
    standing: dict[str, Case] = {}
    for service in services:
        case = (
            Case.objects.filter(
                citizen=citizen, service=service, period=benefit_period(service, on), state__in=STANDING_STATES
            )
            .select_related("service")
            .order_by("opened_at", "id")
            .first()
        )
        if case is not None:
            standing[service.code] = case
    return standing


def application_form_for(
    citizen: Citizen, *, services: Sequence[ServiceItem], bundle: Bundle | None = None
) -> ApplicationForm:
    """What the form shows (免填报): the facts the services' rules read that the portal holds, prefilled
    with their source to confirm; those it lacks, to ask (sensitive ones only while the person's consent
    to hold them stands: without it they stay unknown, and the department checks the materials); where
    the person lives when the portal does not know it (it routes the cases); the materials; the rules'
    verdicts; and the applications standing already. Without `services`, the bundle's."""
    services = _services_of(services, bundle)
    today = timezone.localdate()
    records = fact_values_for([citizen])[citizen.pk]
    values = facts_for([citizen])[citizen.pk]
    read = _facts_read(services)
    region_needed = not citizen.region_code and "hukou_region_code" not in records
    if region_needed and "region_code" not in read:
        read = [key for key in FACTS if key in {*read, "region_code"}]
    sensitive_ok = citizen.pk in consent_in_force([citizen], Purpose.SENSITIVE_FACTS)
    held: list[HeldFact] = []
    asked: list[FactDefinition] = []
    for key in read:
        definition = FACTS[key]
        record = records.get(key)
        if record is not None:
            held.append(
                HeldFact(
                    definition=definition,
                    value=fact_decode(key, record.value),
                    display=fact_value_display(key, record.value),
                    source=record.source,
                    department=record.department,
                )
            )
        elif key in values:  # worked out from the household the person is registered in
            held.append(
                HeldFact(
                    definition=definition,
                    value=values[key],
                    display=fact_value_display(key, fact_encode(values[key])),
                    source=FactSource.DEPARTMENT_FEED,
                    department=_HOUSEHOLD_DEPARTMENT,
                )
            )
        elif definition.sensitivity != Sensitivity.SENSITIVE or sensitive_ok:
            asked.append(definition)
    return ApplicationForm(
        services=tuple(services),
        bundle=bundle,
        held=tuple(held),
        asked=tuple(asked),
        materials=_materials(services),
        verdicts=_verdicts(services, _evaluate(citizen, services)),
        standing=_standing(citizen, services, today),
        region_needed=region_needed,
    )


# -- submitting ------------------------------------------------------------------------------------


def _services_check(services: Sequence[ServiceItem]) -> None:
    if not services:
        message = _("Choose a service to apply for.")
        raise PortalError("no_service", message, fields={"services": [message]})
    closed = [service for service in services if not (service.online and service.is_published)]
    if closed:
        message = _("%(services)s cannot be applied for online.") % {
            "services": "、".join(service.name for service in closed)
        }
        raise PortalError("not_online", message, fields={"services": [message]})


def _staff_check(origin: CaseOrigin | str, staff: User | None, citizen: Citizen) -> None:
    if origin == CaseOrigin.PROACTIVE:
        raise PortalError("invalid_origin", _("An application is made online or at a counter."))
    if origin == CaseOrigin.COUNTER and staff is None:
        raise PortalError("staff_required", _("An application at a counter is made by counter staff."))
    if staff is not None and (not allowed(staff, "citizen.assist") or not in_scope(staff, citizen.region_code)):
        raise CaseNotFound("not_found", _("This person is not registered in your area."))


def _facts_given(
    form: ApplicationForm, *, confirmed: Sequence[str], given: Mapping[str, Any]
) -> tuple[dict[str, Any], list[HeldFact]]:
    """The answers, clean, and the held facts confirmed; refused, with every error at once, when an
    answer is not valid or not asked, or a held fact is neither confirmed nor corrected."""
    held = {fact.definition.key: fact for fact in form.held}
    askable = {fact.key for fact in form.asked} | {
        key for key, fact in held.items() if fact.source != FactSource.DEPARTMENT_FEED
    }
    errors: dict[str, list[str]] = {}
    for key in given:
        if key not in askable:
            message = (
                _("This value comes from a government department. If it is wrong, report the error.")
                if key in held
                else _("This application does not ask for this.")
            )
            errors[key] = [message]
    try:
        clean = facts_clean({key: value for key, value in given.items() if key in askable}, today=timezone.localdate())
    except FactsInvalid as error:
        errors.update({key: [e.message for e in errs] for key, errs in error.errors.items()})
        clean = {}
    for key in held:
        if key not in confirmed and key not in clean and key not in errors:
            errors[key] = [_("Confirm that this is still true, or correct it.")]
    if form.region_needed and "region_code" not in clean and "region_code" not in errors:
        errors["region_code"] = [_("Say where you live: it decides which office handles your application.")]
    if errors:
        order = {key: index for index, key in enumerate(FACTS)}
        ordered = {key: errors[key] for key in sorted(errors, key=lambda key: order.get(key, len(order)))}
        raise PortalError("invalid_facts", _("Some answers need correcting."), fields=ordered)
    return clean, [fact for key, fact in held.items() if key not in clean]


def _declaration_check(declared: bool) -> None:
    if not declared:
        message = _("Confirm the declaration: that what you gave is true and complete.")
        raise PortalError("declaration_required", message, fields={"declared": [message]})


def _by_key(citizen: Citizen, key: str) -> Application | None:
    return Application.objects.filter(citizen=citizen, idempotency_key=key).first() if key else None


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
    """Apply (see the module's description). Everything is checked before anything is written; then in
    one transaction the answers are recorded as the person's own facts (self-declared, or counter staff's
    when `staff` submits for them), the files stored, and one case opened per service, each with the
    rules' verdict for the caseworker (the rules advise: "not eligible" may still apply) and its
    SUBMITTED history row. The same `idempotency_key` again (a client's retry, even a concurrent one)
    answers the application it made."""
    idempotency_key = idempotency_key.strip()[:80]
    existing = _by_key(citizen, idempotency_key)
    if existing is not None:
        return existing
    services = _services_of(services, bundle)
    _services_check(services)
    _staff_check(origin, staff, citizen)
    form = application_form_for(citizen, services=services, bundle=bundle)
    if form.standing:
        raise AlreadyApplied(next(iter(form.standing.values())))
    clean, held = _facts_given(form, confirmed=confirmed, given=given)
    uploads = form.uploads
    checked = materials_check(
        files,
        allowed_codes={material.code for material in uploads},
        required=[material.code for material in uploads if material.required],
    )
    _declaration_check(declared)
    source = FactSource.COUNTER_STAFF if staff is not None else FactSource.SELF_DECLARED
    stored: list[str] = []
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    application = Application.objects.create(
                        citizen=citizen,
                        bundle=bundle,
                        origin=origin,
                        staff=staff,
                        idempotency_key=idempotency_key,
                        facts=[
                            *(
                                {
                                    "fact": fact.definition.key,
                                    "value": fact_encode(fact.value),
                                    "source": fact.source,
                                    "department": fact.department,
                                }
                                for fact in held
                            ),
                            *(
                                {"fact": key, "value": fact_encode(value), "source": source, "department": ""}
                                for key, value in clean.items()
                            ),
                        ],
                        declared_at=timezone.now(),
                    )
            except IntegrityError:
                found = _by_key(citizen, idempotency_key)  # the same submission, made meanwhile by a retry
                if found is None:
                    raise
                return found
            _facts_record(citizen, clean, source=source, staff=staff)
            materials_store(application, checked, uploaded_by=staff, stored=stored)
            _cases_open(application, services, staff=staff)
    except BaseException:
        stored_files_delete(stored)
        raise
    return application


def _facts_record(citizen: Citizen, clean: Mapping[str, Any], *, source: FactSource, staff: User | None) -> None:
    current = fact_values_for([citizen])[citizen.pk]
    for key, value in clean.items():
        held = current.get(key)
        if held is not None and held.value == fact_encode(value):
            continue
        fact_record(citizen=citizen, key=key, value=value, source=source, recorded_by=staff)


def _cases_open(application: Application, services: Sequence[ServiceItem], *, staff: User | None) -> list[Case]:
    """One case per service, with what the rules say now that the answers are recorded, each routed to
    the queue of where the person lives (else of their hukou) and its department; the first step of
    each is its submission, recorded as every step is (transition_record)."""
    citizen = application.citizen
    today = timezone.localdate()
    results = _evaluate(citizen, services)
    region = citizen.region_code
    if not region:
        hukou = fact_values_for([citizen])[citizen.pk].get("hukou_region_code")
        region = str(hukou.value) if hukou is not None else ""
    cases = []
    for service, result in zip(services, results, strict=True):
        case = Case(
            citizen=citizen,
            service=service,
            origin=application.origin,
            application=application,
            period=benefit_period(service, today),
            region_code=region,
            amount_cny=service.benefit_amount_cny,
            criteria=criteria_record(result),
            eligibility=result.outcome.value,
            state=CaseState.SUBMITTED,
            version=0,  # the submission below is its first step: version 1
        )
        try:
            with transaction.atomic():
                case.save(force_insert=True)
        except IntegrityError:  # an application for the same period made meanwhile
            first = _standing(citizen, [service], today).get(service.code)
            if first is None:
                raise
            raise AlreadyApplied(first) from None
        transition_record(case, to=CaseState.SUBMITTED, action=CaseAction.SUBMITTED, actor=staff, tell=True)
        cases.append(case)
    return cases


# -- 补正 ---------------------------------------------------------------------------------------


def case_resubmit(
    *,
    citizen: Citizen,
    case_id: int,
    files: Mapping[str, Sequence[UploadedFile]],
    text: str = "",
    staff: User | None = None,
) -> Case:
    """补正: the person (or counter staff for them) sends what a returned case asked for by its deadline:
    a file for each material returned (and any other of the service's), and words if they like. Refused
    after the deadline. The case goes back to review (or to intake if it was not yet accepted)."""
    if staff is not None:
        _staff_check(CaseOrigin.COUNTER, staff, citizen)
    text = text.strip()[:2000]
    stored: list[str] = []
    try:
        with transaction.atomic():
            case = _returned_locked(citizen, case_id)
            allowed_codes = {
                material["code"] for material in case.service.materials if not material.get("shared", False)
            }
            required = [code for code in case.returned_materials if code in allowed_codes]
            held = MaterialFile.objects.filter(application_id=case.application_id).count() if case.application_id else 0
            checked = materials_check(files, allowed_codes=allowed_codes, required=required, held=held)
            if not checked and not text:
                message = _("Send the files asked for, or write what the department asked to know.")
                raise PortalError("nothing_sent", message, fields={"text": [message]})
            if checked:
                if case.application is None:  # a proactive case: its files need an application to belong to
                    case.application = Application.objects.create(
                        citizen=citizen,
                        origin=CaseOrigin.COUNTER if staff is not None else CaseOrigin.ONLINE,
                        staff=staff,
                        declared_at=timezone.now(),
                    )
                    case.save(update_fields=["application"])
                materials_store(case.application, checked, uploaded_by=staff, stored=stored)
            returned = case.events.filter(action=CaseAction.RETURNED).order_by("-created_at", "-id").first()
            case_resubmitted(
                case, returned_at=returned.created_at if returned else timezone.now(), actor=staff, text=text
            )
    except BaseException:
        stored_files_delete(stored)
        raise
    return case


def _returned_locked(citizen: Citizen, case_id: int) -> Case:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("citizen", "service", "application")
        .filter(pk=case_id, citizen=citizen)
        .first()
    )
    if case is None:
        raise CaseNotFound("not_found", _("Not found."))
    if case.state != CaseState.RETURNED:
        raise CaseConflict(
            "not_returned", _("This application was not returned to you: there is nothing to send for it now.")
        )
    if case.resubmit_by is not None and timezone.localdate() > case.resubmit_by:
        raise CaseConflict(
            "deadline_passed",
            _(
                "The deadline to send what was asked for was %(date)s and it has passed: the department decides "
                "on what it has. You can apply again if it is refused."
            )
            % {"date": case.resubmit_by.isoformat()},
        )
    return case
