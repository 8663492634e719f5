"""The access log: every read of a person's data by anyone but that person."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from profiles.facts import FACTS, Sensitivity
from profiles.models import AccessChannel, AccessLogEntry, AccessPurpose, Citizen, FactValue, User
from profiles.permissions import allowed, in_scope, purpose_allowed
from profiles.purposes import Purpose
from profiles.resident_id import resident_id_clean, resident_id_hash
from profiles.selectors import access_log_search, consent_given, fact_values_current
from services_portal.core.errors import PortalError

# What a staff member sees of a person besides their facts.
IDENTITY_FIELDS = ("resident_id_masked", "name", "region_code")


class SensitiveConsentRequired(PortalError):
    """Asking for a sensitive fact of a person who has not consented to its being held: forbidden."""

    status_code = 403


class PurposeNotAllowed(PortalError):
    """A purpose the staff member's role may not give (an auditor's purpose at the counter ...)."""

    status_code = 403


def _purpose_check(purpose: str, actor: User) -> None:
    if purpose not in AccessPurpose.values:
        raise PortalError(
            "purpose_required",
            _("Choose the purpose of this look-up."),
            fields={"purpose": [_("Choose the purpose of this look-up.")]},
        )
    if not purpose_allowed(actor, purpose):
        message = _("Your role may not read a person's data for this purpose: %(purpose)s.") % {
            "purpose": AccessPurpose(purpose).label
        }
        raise PurposeNotAllowed("purpose_not_allowed", message, fields={"purpose": [message]})


def access_record(
    *,
    actor: User,
    subject: Citizen,
    fields: Iterable[str],
    purpose: AccessPurpose | str,
    channel: AccessChannel | str,
    request_id: str = "",
) -> AccessLogEntry:
    """Log one read of `subject`'s data. Refused unless `purpose` is one the actor's role may give."""
    _purpose_check(purpose, actor)
    return AccessLogEntry.objects.create(
        actor=actor,
        actor_role=actor.role,
        subject=subject,
        fields=sorted(set(fields)),
        purpose=purpose,
        channel=channel,
        request_id=request_id[:64],
    )


def _citizen_in_scope(user: User, candidates: QuerySet[Citizen]) -> Citizen:
    """The one person `candidates` names, if the staff member may read them; 404 otherwise."""
    if not allowed(user, "citizen.read"):
        raise Http404
    citizen = candidates.filter(erased_at__isnull=True).first()
    if citizen is None or not in_scope(user, citizen.region_code):
        raise Http404
    return citizen


@transaction.atomic
def citizen_read_for(
    *,
    user: User,
    citizen_id: int,
    purpose: str,
    fields: Iterable[str],
    channel: AccessChannel | str,
    request_id: str = "",
) -> Citizen:
    """A staff member opens a person's record: allowed by role, within their region, with a purpose,
    and logged. Out of scope answers 404, so that staff cannot learn who exists elsewhere."""
    citizen = _citizen_in_scope(user, Citizen.objects.filter(pk=citizen_id))
    access_record(actor=user, subject=citizen, fields=fields, purpose=purpose, channel=channel, request_id=request_id)
    return citizen


@dataclass(frozen=True)
class CitizenRecord:
    """What a staff member sees of a person: who they are and their current facts with provenance."""

    citizen: Citizen
    facts: dict[str, FactValue]


@transaction.atomic
def citizen_record_read(
    *,
    user: User,
    purpose: str,
    channel: AccessChannel | str,
    citizen_id: int | None = None,
    resident_id: str = "",
    facts: Collection[str] = (),
    request_id: str = "",
) -> CitizenRecord:
    """A staff member reads a person's record, found by id or by resident ID number: allowed by role,
    within their region, with a purpose, and logged with the fields shown. Only the facts named in
    `facts` when any are named. A sensitive fact is shown only while the person's consent to hold
    sensitive facts stands; naming one without it is refused. A refused read logs nothing."""
    _purpose_check(purpose, user)
    unknown = sorted(set(facts) - set(FACTS))
    if unknown:
        message = _("%(keys)s: not a fact the portal knows.") % {"keys": ", ".join(unknown)}
        raise PortalError("unknown_fact", message, fields={"fields": [message]})
    if resident_id:
        candidates = Citizen.objects.filter(resident_id_hash=resident_id_hash(resident_id_clean(resident_id)))
    else:
        candidates = Citizen.objects.filter(pk=citizen_id)
    citizen = _citizen_in_scope(user, candidates)
    sensitive = sorted(key for key in facts if FACTS[key].sensitivity == Sensitivity.SENSITIVE)
    if sensitive and not consent_given(citizen.consent_holder, Purpose.SENSITIVE_FACTS):
        message = _("This person has not consented to their sensitive facts being held: %(keys)s.") % {
            "keys": ", ".join(str(FACTS[key].label) for key in sensitive)
        }
        raise SensitiveConsentRequired("sensitive_consent_required", message, fields={"fields": [message]})
    shown = fact_values_current(citizen)
    if facts:
        shown = {key: value for key, value in shown.items() if key in facts}
    access_record(
        actor=user,
        subject=citizen,
        fields=[*IDENTITY_FIELDS, *shown],
        purpose=purpose,
        channel=channel,
        request_id=request_id,
    )
    return CitizenRecord(citizen, shown)


def access_log_search_audited(
    *,
    user: User,
    channel: AccessChannel | str,
    subject: Citizen | None = None,
    request_id: str = "",
    **filters: Any,
) -> QuerySet[AccessLogEntry]:
    """An auditor's search of the access log. Searching what was read about one person is itself a
    read of their data: it is logged with the purpose audit before the entries are answered."""
    if subject is not None:
        access_record(
            actor=user,
            subject=subject,
            fields=["access_log"],
            purpose=AccessPurpose.AUDIT,
            channel=channel,
            request_id=request_id,
        )
    return access_log_search(subject=subject, **filters)
