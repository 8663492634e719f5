"""The access log: every read of a person's data by anyone but that person."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from profiles.facts import FACTS, Sensitivity
from profiles.models import AccessChannel, AccessLogEntry, AccessPurpose, Citizen, FactValue, User
from profiles.permissions import allowed, purpose_allowed, scope_prefix
from profiles.purposes import Purpose
from profiles.resident_id import resident_id_clean, resident_id_hash
from profiles.selectors import access_log_search, consent_in_force, fact_values_current
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
    """Write one row of the access log. Refused unless `purpose` is one the actor's role may give.
    Staff reads go through `citizen_read_for`, which checks who may be read before writing it."""
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


def citizens_in_scope(user: User, *, action: str = "citizen.read") -> QuerySet[Citizen]:
    """The live people a staff member may reach for `action` (profiles.permissions.POLICY): those
    registered within their region; nobody for a role without it."""
    prefix = scope_prefix(user) if allowed(user, action) else None
    if prefix is None:
        return Citizen.objects.none()
    people = Citizen.objects.filter(erased_at__isnull=True)
    return people.filter(region_code__startswith=prefix) if prefix else people


@dataclass(frozen=True)
class CitizenRecord:
    """What a staff member sees of a person: who they are and their current facts with provenance."""

    citizen: Citizen
    facts: dict[str, FactValue]


def citizen_read_for(
    user: User,
    *,
    purpose: str,
    channel: AccessChannel | str,
    citizen_id: int | None = None,
    resident_id: str = "",
    citizen: Citizen | None = None,
    action: str = "citizen.read",
    fields: Iterable[str] = IDENTITY_FIELDS,
    facts: Collection[str] | None = None,
    request_id: str = "",
) -> CitizenRecord:
    """A staff member reads a person's data: the one way such a read is made, checked and logged.

    The person is found by `citizen_id` or `resident_id` among those the staff member may reach for
    `action` (`citizens_in_scope`): anyone else is "not found" (404), so that staff cannot learn who
    exists elsewhere. Or the caller passes `citizen`, reached through a record its own scoped selector
    admitted (a case, an outreach task, a page of the administration).

    Refused unless the staff member's role may give `purpose`. What is read: `fields` (by default who
    the person is) and, unless `facts` is None, their current facts: all of them, or only those named
    in `facts` when any are. A sensitive fact is shown only while the person's consent to hold sensitive
    facts stands; naming one without it is refused. Logged with every field shown; a refused read logs
    nothing."""
    _purpose_check(purpose, user)
    named = set(facts or ())
    unknown = sorted(named - set(FACTS))
    if unknown:
        message = _("%(keys)s: not a fact the portal knows.") % {"keys": ", ".join(unknown)}
        raise PortalError("unknown_fact", message, fields={"fields": [message]})
    if citizen is None:
        people = citizens_in_scope(user, action=action).select_related("guardian")
        if resident_id:
            people = people.filter(resident_id_hash=resident_id_hash(resident_id_clean(resident_id)))
        else:
            people = people.filter(pk=citizen_id) if citizen_id is not None else people.none()
        citizen = people.first()
        if citizen is None:
            raise Http404
    sensitive = sorted(key for key in facts or () if FACTS[key].sensitivity == Sensitivity.SENSITIVE)
    if sensitive and citizen.pk not in consent_in_force([citizen], Purpose.SENSITIVE_FACTS):
        message = _("This person has not consented to their sensitive facts being held: %(keys)s.") % {
            "keys": ", ".join(str(FACTS[key].label) for key in sensitive)
        }
        raise SensitiveConsentRequired("sensitive_consent_required", message, fields={"fields": [message]})
    shown = {} if facts is None else fact_values_current(citizen)
    if named:
        shown = {key: value for key, value in shown.items() if key in named}
    access_record(
        actor=user,
        subject=citizen,
        fields=[*fields, *shown],
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
        citizen_read_for(
            user,
            citizen=subject,
            fields=["access_log"],
            purpose=AccessPurpose.AUDIT,
            channel=channel,
            request_id=request_id,
        )
    return access_log_search(subject=subject, **filters)
