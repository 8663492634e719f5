"""The consent ledger: granting and withdrawing, one step each, one row each."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from profiles import hooks
from profiles.facts import FACTS, Sensitivity
from profiles.models import Citizen, ConsentChannel, ConsentEvent, ConsentNotice, FactValue, Role, User
from profiles.notices import consent_notices_load
from profiles.purposes import Purpose
from services_portal.core.errors import PortalError


def notice_current(purpose: Purpose | str) -> ConsentNotice:
    notice = ConsentNotice.objects.filter(purpose=purpose).order_by("-version").first()
    if notice is None and consent_notices_load():
        # The shipped notices are the source; a database emptied since migrating gets them back here.
        notice = ConsentNotice.objects.filter(purpose=purpose).order_by("-version").first()
    if notice is None:
        raise PortalError("no_notice", _("There is no notice for this purpose yet."))
    return notice


def _record(*, citizen: Citizen, purpose: str, granted: bool, channel: str, witness: User | None) -> ConsentEvent:
    if purpose not in Purpose.values:
        raise PortalError("unknown_purpose", _("%(purpose)s is not a consent purpose.") % {"purpose": purpose})
    if channel not in ConsentChannel.values:
        raise PortalError("unknown_channel", _("%(channel)s is not a consent channel.") % {"channel": channel})
    if channel == ConsentChannel.COUNTER and (witness is None or witness.role != Role.COUNTER_STAFF):
        raise PortalError("witness_required", _("Consent given at a counter needs the staff member who witnessed it."))
    if citizen.guardian_id:
        raise PortalError("guardian_consents", _("Consent for a child is given by the guardian's own account."))
    return ConsentEvent.objects.create(
        citizen=citizen,
        purpose=purpose,
        granted=granted,
        notice=notice_current(purpose),
        channel=channel,
        witness=witness,
    )


@transaction.atomic
def consent_grant(
    *, citizen: Citizen, purpose: Purpose | str, channel: str, witness: User | None = None
) -> ConsentEvent:
    return _record(citizen=citizen, purpose=str(purpose), granted=True, channel=channel, witness=witness)


@transaction.atomic
def consent_withdraw(
    *, citizen: Citizen, purpose: Purpose | str, channel: str, witness: User | None = None
) -> ConsentEvent:
    """Withdrawal is as easy as granting and takes effect on the next request: every use of the
    purpose reads the ledger's latest row. Withdrawing `sensitive_facts` also deletes the sensitive
    facts held for the person and their wards, with their history (PIPL art. 47)."""
    event = _record(citizen=citizen, purpose=str(purpose), granted=False, channel=channel, witness=witness)
    if purpose == Purpose.SENSITIVE_FACTS:
        sensitive = [key for key, fact in FACTS.items() if fact.sensitivity == Sensitivity.SENSITIVE]
        FactValue.objects.filter(Q(citizen=citizen) | Q(citizen__guardian=citizen), key__in=sensitive).delete()
    # the apps above profiles let go of what the purpose allowed: copies of sensitive values in
    # undecided cases and undelivered pushes, what batch scoring learnt ... (profiles.hooks)
    hooks.on_consent_withdrawn(citizen, str(purpose))
    return event


@transaction.atomic
def personalisation_set(*, citizen: Citizen, enabled: bool) -> Citizen:
    """The personalisation switch. Turning it on does not grant consent: both must allow it."""
    citizen.personalisation_enabled = enabled
    citizen.save(update_fields=["personalisation_enabled"])
    if not enabled:
        hooks.on_personalisation_stopped(citizen)
    return citizen
