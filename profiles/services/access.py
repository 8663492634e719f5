"""The access log: every read of a person's data by anyone but that person."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from profiles.models import AccessChannel, AccessLogEntry, AccessPurpose, Citizen, User
from profiles.permissions import allowed, in_scope
from services_portal.core.errors import PortalError


def access_record(
    *,
    actor: User,
    subject: Citizen,
    fields: Iterable[str],
    purpose: AccessPurpose | str,
    channel: AccessChannel | str,
    request_id: str = "",
) -> AccessLogEntry:
    if purpose not in AccessPurpose.values:
        raise PortalError(
            "purpose_required",
            _("Choose the purpose of this look-up."),
            fields={"purpose": [_("Choose the purpose of this look-up.")]},
        )
    return AccessLogEntry.objects.create(
        actor=actor,
        actor_role=actor.role,
        subject=subject,
        fields=sorted(set(fields)),
        purpose=purpose,
        channel=channel,
        request_id=request_id[:64],
    )


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
    if not allowed(user, "citizen.read"):
        raise Http404
    citizen = Citizen.objects.filter(pk=citizen_id, erased_at__isnull=True).first()
    if citizen is None or not in_scope(user, citizen.region_code):
        raise Http404
    access_record(actor=user, subject=citizen, fields=fields, purpose=purpose, channel=channel, request_id=request_id)
    return citizen
