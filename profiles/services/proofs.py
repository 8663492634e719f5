"""The two proofs of identity the portal ships (the interface: profiles.identity)."""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from profiles.identity import Offer, Proof, ProofBackend, Started
from profiles.models import Citizen, CodePurpose, FactSource, FactValue, OneTimeCode
from profiles.services.codes import CodeThrottled, code_issue, code_redeem, code_send, masked_phone
from services_portal.core.errors import PortalError


def record_of_claim(citizen: Citizen) -> Citizen | None:
    """The verified record of the number an unbound account claims, if a department or the counter made one.
    An account made before binding existed holds its number itself, unproven: its own record."""
    digest = citizen.claimed_id_hash or (citizen.resident_id_hash if citizen.bound_at is None else None)
    if not digest:
        return None
    return Citizen.objects.filter(resident_id_hash=digest, erased_at__isnull=True).select_related("user").first()


def _delivered(record: Citizen, key: str) -> str:
    """The current value of an identity fact a department delivered for the person."""
    now = timezone.now()
    value = (
        FactValue.objects.filter(citizen=record, key=key, source=FactSource.DEPARTMENT_FEED, superseded_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list("value", flat=True)
        .first()
    )
    return str(value) if value else ""


def name_key(name: str) -> str:
    """A name as compared: full-width and half-width alike, spaces and the middle dot of minority and
    foreign names (·, •, ‧) ignored, case folded."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(character for character in text if not character.isspace() and character not in "·•‧.")


def _code_invalid() -> PortalError:
    """What a code for a number nobody verified gets: the same as a wrong code, so it tells nothing."""
    message = _("This code is not valid. Ask for a new one.")
    return PortalError("code_invalid", message, fields={"code": [message]})


def _taken(record: Citizen, citizen: Citizen) -> bool:
    return record.user_id is not None and record.user_id != citizen.user_id


class IdentityTaken(PortalError):
    """The person of this number has an account already: another account cannot become theirs."""

    def __init__(self, owner: Citizen) -> None:
        super().__init__(
            "identity_has_account",
            _(
                "This identity already has an account. If it is yours, sign in to it or reset its password; "
                "otherwise call the hotline %(hotline)s."
            )
            % {"hotline": settings.PORTAL_HOTLINE},
        )
        self.owner = owner


class DepartmentPhoneCode(ProofBackend):
    """A one-time code by text message to the mobile number a department delivered for the person of
    the claimed number, offered only when the name the account gave is the name the department holds.
    Not possible when no department knows the person's phone: then the counter's code is the way."""

    name = "sms"
    label = gettext_lazy("A code by text message to the mobile number the government holds for you")

    def _target(self, citizen: Citizen) -> tuple[Citizen | None, str]:
        record = record_of_claim(citizen)
        if record is None:
            return None, ""
        phone = _delivered(record, "mobile_phone")
        held_name = _delivered(record, "full_name")
        if not phone or not held_name or name_key(held_name) != name_key(citizen.name):
            return None, ""
        return record, phone

    def offer(self, *, citizen: Citizen) -> Offer:
        record, phone = self._target(citizen)
        if record is None or _taken(record, citizen):
            return Offer(False)
        return Offer(True, _("A code to %(phone)s") % {"phone": masked_phone(phone)})

    def begin(self, *, citizen: Citizen, request: Any = None) -> Started:
        record, phone = self._target(citizen)
        if record is None:
            raise PortalError(
                "no_department_phone",
                _(
                    "No government department holds a mobile number for the name and ID number you gave. "
                    "Visit a service counter with your ID card for an activation code."
                ),
            )
        if _taken(record, citizen):
            raise IdentityTaken(record)
        # However many accounts claim the number, its owner's phone gets few codes an hour.
        hour_ago = timezone.now() - datetime.timedelta(hours=1)
        sent = OneTimeCode.objects.filter(purpose=CodePurpose.BIND_BY_PHONE, citizen=record, created_at__gte=hour_ago)
        if sent.count() >= settings.CODE_SEND_LIMIT_PER_HOUR:
            raise CodeThrottled(
                "code_limit",
                _("Too many codes were asked for in the last hour. Try again later, or call the hotline %(hotline)s.")
                % {"hotline": settings.PORTAL_HOTLINE},
            )
        code, plain = code_issue(purpose=CodePurpose.BIND_BY_PHONE, citizen=record, user=citizen.user, sent_to=phone)
        code_send(code=code, plain=plain, phone=phone)
        return Started(_("We sent a code to %(phone)s. Enter it below.") % {"phone": masked_phone(phone)})

    def complete(self, *, citizen: Citizen, data: Mapping[str, Any], request: Any = None) -> Proof:
        record, _phone = self._target(citizen)
        if record is None:
            raise _code_invalid()
        plain = str(data.get("code", ""))
        code_redeem(purpose=CodePurpose.BIND_BY_PHONE, plain=plain, citizen=record, user=citizen.user)
        return Proof(self.name, record.resident_id_hash or "", _delivered(record, "full_name"))


class CounterActivationCode(ProofBackend):
    """The code counter staff print on the visit slip after checking the person's ID card: they look the
    person up (or record them, if the portal does not know them) and issue a code for that record. Whoever
    holds the slip may use it, once, before it expires, from an account claiming the same number."""

    name = "counter"
    label = gettext_lazy("An activation code from a service counter, after staff check your ID card")

    def offer(self, *, citizen: Citizen) -> Offer:
        return Offer(
            True,
            _(
                "Take your ID card to a government service counter. The staff print you an activation code, "
                "valid for %(minutes)d minutes."
            )
            % {"minutes": settings.COUNTER_ACTIVATION_CODE_MINUTES},
        )

    def begin(self, *, citizen: Citizen, request: Any = None) -> Started:
        return Started(self.offer(citizen=citizen).detail)

    def complete(self, *, citizen: Citizen, data: Mapping[str, Any], request: Any = None) -> Proof:
        record = record_of_claim(citizen)
        if record is None:
            raise _code_invalid()
        code_redeem(purpose=CodePurpose.COUNTER_ACTIVATION, plain=str(data.get("code", "")), citizen=record)
        return Proof(self.name, record.resident_id_hash or "", record.name)
