"""Reading at the counter desk: finding a person in the staff member's area, reading their record
(logged, with the purpose chosen at the look-up), checking a service for them, and the outreach list.

Everything is scoped to the staff member's region: a person or task outside it is "not found", so
that nobody learns who exists elsewhere. Finding a person shows nothing and logs nothing; every
page that shows them logs what it shows.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles.display import field_label
from profiles.facts.codec import fact_decode
from profiles.models import AccessChannel, AccessPurpose, Citizen, FactValue, Role, User
from profiles.permissions import PURPOSES, allowed, scope_prefix
from profiles.resident_id import resident_id_clean, resident_id_hash
from profiles.selectors import VERIFIED_PHONE_FACT, department_names
from profiles.services.access import IDENTITY_FIELDS, CitizenRecord, citizen_read_for, citizens_in_scope
from services_portal.catalog.models import Bundle, ServiceItem
from services_portal.catalog.rules import service_rules_build
from services_portal.core.errors import PortalError
from services_portal.counter import hooks
from services_portal.counter.hooks import ApplicationForm, OpenCase, Receipt, Suggestion, Suggestions
from services_portal.counter.models import OutreachOutcome, OutreachTask
from services_portal.eligibility.engine import ServiceEligibility, eligibility_evaluate
from services_portal.eligibility.facts import citizen_facts
from services_portal.reference import regions

# What the counter desk shows of who a person is: the staff may need to call them.
PERSON_FIELDS = (*IDENTITY_FIELDS, "phone")
# What the outreach list shows of each person on it, besides how to reach them (a phone, the address fact).
OUTREACH_LIST_FIELDS = ("resident_id_masked", "name")
ADDRESS = "address"
MOBILE_PHONE = VERIFIED_PHONE_FACT
# The purposes a look-up at the desk may give: those of counter staff (profiles.permissions.PURPOSES).
DESK_PURPOSES = tuple(purpose for purpose in AccessPurpose if purpose in PURPOSES[Role.COUNTER_STAFF])


class PersonNotFound(PortalError):
    """Nobody with these details in the staff member's area (whether or not they exist elsewhere)."""

    status_code = 404


class LookupAmbiguous(PortalError):
    """Name and mobile number fit more than one person in the area: the ID number settles it."""


def phone_clean(raw: str) -> str:
    return re.sub(r"[\s-]+", "", raw or "")


def counter_person_find(user: User, *, resident_id: str = "", name: str = "", phone: str = "") -> Citizen:
    """The one person in the staff member's area with this resident ID number, or else this name and
    mobile number. Raises PersonNotFound (also for someone outside the area) or LookupAmbiguous."""
    people = citizens_in_scope(user, action="citizen.assist")
    if resident_id:
        found = list(people.filter(resident_id_hash=resident_id_hash(resident_id_clean(resident_id)))[:2])
    else:
        found = list(people.filter(name=name.strip(), phone=phone_clean(phone))[:2]) if name.strip() else []
    if not found:
        raise PersonNotFound(
            "not_found", _("No one with these details is registered in your area. Check them with the person.")
        )
    if len(found) > 1:
        message = _("More than one person in your area has this name and mobile number. Ask for the ID number.")
        raise LookupAmbiguous("ambiguous", message, fields={"resident_id": [message]})
    return found[0]


def counter_person_get(user: User, citizen_id: int) -> Citizen:
    """A person the staff member may serve, to act for them; 404 otherwise. Not a read: nothing is shown."""
    citizen = citizens_in_scope(user, action="citizen.assist").select_related("guardian").filter(pk=citizen_id).first()
    if citizen is None:
        raise Http404
    return citizen


@transaction.atomic
def counter_person_read(
    user: User,
    *,
    citizen_id: int,
    purpose: str,
    facts: bool = True,
    also: Iterable[str] = (),
    channel: AccessChannel | str = AccessChannel.PAGE,
    request_id: str = "",
) -> CitizenRecord:
    """A page of the desk shows a person (profiles' `citizen_read_for`): someone the staff member may
    serve (404 otherwise), logged with the purpose of the visit and the fields shown: who they are and
    how to call them, their current facts (sensitive ones only while their consent stands) when
    `facts`, and `also` (such as "consents")."""
    return citizen_read_for(
        user,
        citizen_id=citizen_id,
        action="citizen.assist",
        purpose=purpose,
        channel=channel,
        fields=[*PERSON_FIELDS, *also],
        facts=() if facts else None,
        request_id=request_id,
    )


# How many of the recommender's services the desk considers before putting the targeted ones first.
DESK_CANDIDATES = 30


@dataclass(frozen=True)
class DeskSuggestions:
    """What the desk shows of the services suggested for a person, in the desk's order."""

    personalised: bool
    items: list[Suggestion]


def _desk_order(suggestion: Suggestion) -> tuple[int, int, bool]:
    """Services whose conditions the person meets first (the more conditions met, the earlier; essential
    assistance first among equals), then those they may qualify for, then those open to anyone: at the
    counter, what the person's situation earns them matters most."""
    met = suggestion.criteria_met
    group = 0 if suggestion.eligible and met else 1 if not suggestion.eligible else 2
    return group, -met, not suggestion.service.essential


def desk_recommendations(citizen: Citizen, *, limit: int) -> DeskSuggestions:
    """The recommender's services for the person, with their reasons (counter.hooks.desk_suggestions), in
    the desk's order (`_desk_order`), the recommender's order kept among equals. The caller has logged
    the read of the facts this uses."""
    answers: list[Suggestions] = hooks.desk_suggestions.collect(citizen, max(limit, DESK_CANDIDATES))
    if not answers:
        return DeskSuggestions(personalised=False, items=[])
    suggested = answers[0]
    return DeskSuggestions(suggested.personalised, sorted(suggested.items, key=_desk_order)[:limit])


def desk_services() -> QuerySet[ServiceItem]:
    """The services staff can check, apply for or print for a person: the published catalog."""
    return ServiceItem.objects.filter(is_published=True).select_related("department").order_by("code")


@dataclass(frozen=True)
class ServiceCheck:
    """One service evaluated for a person, as the screener does: per criterion met, not met or unknown."""

    service: ServiceItem
    eligibility: ServiceEligibility

    @property
    def ask_about(self) -> list[str]:
        """The facts to ask the person about to settle the unknown criteria, by name."""
        return [field_label(key) for key in self.eligibility.missing_facts]


def service_check(citizen: Citizen, *, service_code: str, on: datetime.date) -> ServiceCheck | None:
    """Whether the person qualifies for one published service and why; None for an unknown code.
    The caller has logged the read of the facts this uses."""
    service = desk_services().prefetch_related("criteria").filter(code=service_code).first()
    if service is None:
        return None
    rules = service_rules_build(service)
    (result,) = eligibility_evaluate(facts=citizen_facts(citizen), on=on, services=[rules])
    return ServiceCheck(service, result)


def services_chosen(codes: Sequence[str]) -> list[ServiceItem]:
    """Published services by code, in the order given, unknown codes left out."""
    found = {service.code: service for service in desk_services().filter(code__in=codes)}
    return [found[code] for code in dict.fromkeys(codes) if code in found]


def desk_bundles() -> QuerySet[Bundle]:
    """The bundles (一件事) staff can apply for at once: those with a published service."""
    return Bundle.objects.filter(services__is_published=True).distinct().order_by("code")


@dataclass(frozen=True)
class ApplyingFor:
    """What the person is at the desk to apply for: one service, or a bundle's published services."""

    services: list[ServiceItem]
    bundle: Bundle | None = None


def applying_for(*, service_code: str = "", bundle_code: str = "") -> ApplyingFor | None:
    """The published service, or the bundle with its published services in the bundle's order; None
    for an unknown code (or a bundle with nothing published)."""
    if bundle_code:
        bundle = desk_bundles().filter(code=bundle_code).first()
        if bundle is None:
            return None
        services = list(desk_services().filter(bundle_items__bundle=bundle).order_by("bundle_items__position", "code"))
        return ApplyingFor(services, bundle)
    found = services_chosen([service_code]) if service_code else []
    return ApplyingFor(found) if found else None


def counter_application_form(citizen: Citizen, applying: ApplyingFor) -> ApplicationForm:
    """The application form for the person (counter.hooks.application_form_at_counter): the facts held
    to read out, those to ask, the materials to scan. The caller has logged the read of the facts."""
    (form,) = hooks.application_form_at_counter.collect(citizen, applying.services, applying.bundle)
    return form


def counter_receipt_get(citizen: Citizen, application_id: int) -> Receipt:
    """The receipt of the person's application made at a counter (counter.hooks.
    application_receipt_at_counter); 404 when they made none of that number."""
    (receipt,) = hooks.application_receipt_at_counter.collect(citizen, application_id)
    if receipt is None:
        raise Http404
    return receipt


def counter_open_cases(citizen: Citizen) -> list[OpenCase]:
    """The person's cases not yet decided (counter.hooks.open_cases_at_counter), oldest first; their
    services are not among the suggestions while they are open. The caller has logged the read."""
    return [case for answer in hooks.open_cases_at_counter.collect(citizen) for case in answer]


# -- the outreach list ---------------------------------------------------------------------------


class OutreachShow:
    TO_DO = "to_do"  # not yet contacted, or a follow-up date reached
    ALL = "all"


class OutreachSort:
    URGENCY = "urgency"  # essential first, never contacted before follow-ups, the longest waiting first
    DISTANCE = "distance"  # nearest to the counter's district first, then by urgency


def _tasks_in_scope(user: User) -> QuerySet[OutreachTask]:
    prefix = scope_prefix(user) if allowed(user, "citizen.assist") else None
    if prefix is None:
        return OutreachTask.objects.none()
    return OutreachTask.objects.filter(region_code__startswith=prefix, citizen__erased_at__isnull=True).select_related(
        "citizen", "citizen__guardian", "service", "service__department", "handled_by"
    )


def _distances_from(origin: str) -> dict[str, float]:
    """Each region of the origin's province with a point, and its distance from the origin in km."""
    if regions.point_of(origin) is None:
        return {}
    within = regions.get(origin)
    found = {}
    for region in regions.all_regions(within=within.province_code if within else regions.HOME_PROVINCE):
        distance = regions.distance_km(origin, region.code)
        if distance is not None:
            found[region.code] = round(distance, 1)
    return found


def outreach_tasks_for(
    user: User, *, show: str = OutreachShow.TO_DO, sort: str = OutreachSort.URGENCY, today: datetime.date
) -> QuerySet[OutreachTask]:
    """The outreach tasks of the staff member's area, each annotated with `waiting_since` (since when the
    person has been eligible without being reached, or else since the task was opened) and `distance_km`
    (from the staff member's district, `regions.distance_km`; None where either has no point).

    `show` is "to_do" (not yet contacted, or due for a follow-up by `today`), "all", or an outcome.
    `sort` "urgency": essential assistance first; then people never contacted, the longest waiting first;
    then follow-ups, the most overdue first. "distance": the nearest first, and by urgency among equals."""
    tasks = _tasks_in_scope(user)
    if show == OutreachShow.TO_DO:
        tasks = tasks.filter(Q(outcome=OutreachOutcome.OPEN) | Q(follow_up_on__lte=today))
    elif show in OutreachOutcome.values:
        tasks = tasks.filter(outcome=show)
    distances = _distances_from(user.region_scope)
    tasks = tasks.annotate(
        waiting_since=Coalesce("eligible_since", "created_at"),
        contacted=Case(When(outcome=OutreachOutcome.OPEN, then=Value(0)), default=Value(1)),
        distance_km=Case(
            *(When(region_code=code, then=Value(km)) for code, km in distances.items()),
            default=Value(None),
            output_field=FloatField(),
        ),
    )
    urgency = [
        F("essential").desc(),
        F("contacted").asc(),
        F("follow_up_on").asc(nulls_last=True),
        F("waiting_since").asc(),
        F("id").asc(),
    ]
    if sort == OutreachSort.DISTANCE:
        return tasks.order_by(F("distance_km").asc(nulls_last=True), *urgency)
    return tasks.order_by(*urgency)


@dataclass(frozen=True)
class OutreachContact:
    """How to reach the person of a task: a phone to call and an address to visit, each "" when none is
    known; for a ward without their own, their guardian's (`*_of_guardian`). The address comes with
    where it came from (`address_source`: a department's name, or who recorded it) and when."""

    phone: str = ""
    phone_of_guardian: bool = False
    address: str = ""
    address_of_guardian: bool = False
    address_source: str = ""
    address_observed: datetime.date | None = None


@dataclass(frozen=True)
class OutreachItem:
    task: OutreachTask
    contact: OutreachContact


def _contact_facts_held(citizen_ids: Iterable[int]) -> dict[tuple[int, str], FactValue]:
    """The current address and mobile number facts of these people, by (person, fact): one query."""
    now = timezone.now()
    current = FactValue.objects.filter(
        citizen_id__in=set(citizen_ids), key__in=(ADDRESS, MOBILE_PHONE), superseded_at__isnull=True
    )
    held = current.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).order_by("recorded_at", "pk")
    return {(value.citizen_id, value.key): value for value in held}


def _address_source(value: FactValue, departments: dict[str, str]) -> str:
    if value.department:
        return departments.get(value.department, value.department)
    return str(value.get_source_display())


def _phone_of(person: Citizen, held: dict[tuple[int, str], FactValue]) -> str:
    """The person's own number (their account's, or recorded at the counter), else the one a department
    delivered."""
    delivered = held.get((person.pk, MOBILE_PHONE))
    return person.phone or (str(fact_decode(MOBILE_PHONE, delivered.value)) if delivered else "")


def _contact_of(
    citizen: Citizen, held: dict[tuple[int, str], FactValue], departments: dict[str, str]
) -> OutreachContact:
    guardian = citizen.guardian if citizen.guardian_id and citizen.guardian is not None else None
    phone, phone_of_guardian = _phone_of(citizen, held), False
    if not phone and guardian is not None and (guardian_phone := _phone_of(guardian, held)):
        phone, phone_of_guardian = guardian_phone, True
    address, address_of_guardian = held.get((citizen.pk, ADDRESS)), False
    if address is None and guardian is not None and (guardian.pk, ADDRESS) in held:
        address, address_of_guardian = held[(guardian.pk, ADDRESS)], True
    if address is None:
        return OutreachContact(phone=phone, phone_of_guardian=phone_of_guardian)
    return OutreachContact(
        phone=phone,
        phone_of_guardian=phone_of_guardian,
        address=str(fact_decode(ADDRESS, address.value)),
        address_of_guardian=address_of_guardian,
        address_source=_address_source(address, departments),
        address_observed=timezone.localdate(address.observed_at),
    )


def _contact_read(
    user: User, citizen: Citizen, contact: OutreachContact, *, fields: Sequence[str], request_id: str
) -> None:
    """Log what the page shows of the person (their `fields`, and their phone and address when shown),
    and of a ward's guardian whose phone or address stands in."""
    own = [*fields, *(["phone"] if contact.phone and not contact.phone_of_guardian else [])]
    own += [ADDRESS] if contact.address and not contact.address_of_guardian else []
    guardian_fields = [
        *(["name", "phone"] if contact.phone_of_guardian else []),
        *(["name", ADDRESS] if contact.address_of_guardian else []),
    ]
    readers = [(citizen, own)]
    if guardian_fields and citizen.guardian is not None:
        readers.append((citizen.guardian, guardian_fields))
    for person, shown in readers:
        citizen_read_for(
            user,
            citizen=person,
            fields=shown,
            purpose=AccessPurpose.OUTREACH,
            channel=AccessChannel.PAGE,
            request_id=request_id,
        )


def _contacts(tasks: Sequence[OutreachTask]) -> dict[int, OutreachContact]:
    people = {task.citizen_id: task.citizen for task in tasks}
    held = _contact_facts_held([*people, *(c.guardian_id for c in people.values() if c.guardian_id)])
    departments = department_names() if any(value.department for value in held.values()) else {}
    return {pk: _contact_of(citizen, held, departments) for pk, citizen in people.items()}


@transaction.atomic
def outreach_list_read(user: User, tasks: Iterable[OutreachTask], *, request_id: str = "") -> list[OutreachItem]:
    """A page of the outreach list names the people on it and how to reach them: a read of each one's
    name, masked ID number, phone and address (those shown), logged with the purpose outreach."""
    tasks = list(tasks)
    contacts = _contacts(tasks)
    for citizen in {task.citizen_id: task.citizen for task in tasks}.values():
        _contact_read(user, citizen, contacts[citizen.pk], fields=OUTREACH_LIST_FIELDS, request_id=request_id)
    return [OutreachItem(task, contacts[task.citizen_id]) for task in tasks]


def outreach_task_get(user: User, task_id: int) -> OutreachTask:
    """A task of the staff member's area, to act on; 404 otherwise."""
    task = outreach_tasks_for(user, show=OutreachShow.ALL, today=timezone.localdate()).filter(pk=task_id).first()
    if task is None:
        raise Http404
    return task


@transaction.atomic
def outreach_task_read(user: User, task_id: int, *, request_id: str = "") -> OutreachItem:
    """A task's page shows who to contact and how: a read of the person (who they are, their phone and
    address), logged with the purpose outreach."""
    task = outreach_task_get(user, task_id)
    (contact,) = _contacts([task]).values()
    _contact_read(user, task.citizen, contact, fields=IDENTITY_FIELDS, request_id=request_id)
    return OutreachItem(task, contact)
