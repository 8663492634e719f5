"""Signing up and closing accounts."""

from __future__ import annotations

import re
import uuid
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles import hooks
from profiles.models import BankAccount, Citizen, FactValue, OneTimeCode, Role, TagSuppression, User
from profiles.resident_id import (
    birth_date_of,
    resident_id_attempted,
    resident_id_clean,
    resident_id_hash,
    resident_id_mask,
    resident_id_normalise,
)
from services_portal.core.errors import PortalError

# A citizen's user name: the keyed hash of their ID number (hex SHA-256).
HASHED_NAME = re.compile(r"[0-9a-f]{64}")


def login_name(identifier: str) -> str:
    """The user name a sign-in identifier stands for: the keyed hash of a resident ID number, or a
    staff user name as typed. The raw ID number never reaches the database or django-axes: a mistyped
    one (anything that looks like an attempt at a number) is hashed too, so it matches no one and is
    stored nowhere in clear, yet repeated tries of the same string still count together for lockout."""
    try:
        return resident_id_hash(resident_id_clean(identifier))
    except PortalError:
        if HASHED_NAME.fullmatch(identifier):
            return identifier  # already a login name: django-axes passes on what the sign-in gave
        if resident_id_attempted(identifier):
            return resident_id_hash(resident_id_normalise(identifier))
        return identifier.strip()


def citizen_for_resident_id(raw: str) -> Citizen | None:
    return Citizen.objects.filter(resident_id_hash=resident_id_hash(resident_id_clean(raw))).first()


@transaction.atomic
def citizen_register(*, resident_id: str, name: str, password: str, phone: str = "") -> Citizen:
    """A citizen signs up: a new account, not yet bound to the person of its ID number, with a record
    of its own holding only what its owner declares (name, phone, the number as a claim). An ID number
    is no secret, so it opens nothing: the account joins the person's record only when its owner proves
    who they are (profiles.identity). It never joins an existing record here, and answers the same
    whether or not the number is known; the owner of a bound account for the number is told someone
    tried (docs/adr/0006-real-name-binding.md)."""
    number = resident_id_clean(resident_id)
    digest = resident_id_hash(number)
    user = User(username=unbound_username(), role=Role.CITIZEN)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise PortalError("weak_password", " ".join(error.messages), fields={"password": error.messages}) from None
    if not name.strip():
        raise PortalError("missing_name", _("Enter your name."), fields={"name": [_("Enter your name.")]})
    user.set_password(password)
    user.save()
    citizen = Citizen(
        user=user,
        claimed_id_hash=digest,
        resident_id_masked=resident_id_mask(number),
        name=name.strip(),
        phone=phone.strip(),
    )
    citizen.full_clean()
    citizen.save()
    owner = (
        Citizen.objects.filter(resident_id_hash=digest, user__isnull=False, erased_at__isnull=True).only("pk").first()
    )
    if owner is not None:
        transaction.on_commit(lambda: hooks.on_identity_notice(owner, "signup_attempt"))
    return citizen


def unbound_username() -> str:
    """The user name of an account not yet bound to a person: random, as it stands for no one yet."""
    return f"unbound-{uuid.uuid4().hex}"


@transaction.atomic
def citizen_erase(*, citizen: Citizen) -> Citizen:
    """Close the account: erase personal data, keep the consent ledger and the access log (which the
    law requires) pointing at a pseudonymous record that no longer says who the person was. Each app
    above profiles erases what it holds through profiles.hooks (README: "For the data-protection
    officer" lists what is kept, and why)."""
    citizen = Citizen.objects.select_for_update().get(pk=citizen.pk)
    hooks.on_account_closed(citizen)
    FactValue.objects.filter(citizen=citizen).delete()  # with the error reports about them
    TagSuppression.objects.filter(citizen=citizen).delete()
    BankAccount.objects.filter(citizen=citizen).delete()
    OneTimeCode.objects.filter(citizen=citizen).delete()
    citizen.households.clear()
    for ward in citizen.wards.all():
        citizen_erase(citizen=ward)
    user = citizen.user
    citizen.user = None
    citizen.resident_id_hash = None
    citizen.claimed_id_hash = None
    citizen.resident_id_masked = ""
    citizen.name = ""
    citizen.phone = ""
    citizen.region_code = ""
    citizen.guardian = None
    citizen.personalisation_enabled = False
    citizen.erased_at = timezone.now()
    citizen.save()
    if user is not None:
        AccessAttempt.objects.filter(username=user.username).delete()
        AccessLog.objects.filter(username=user.username).delete()
        AccessFailureLog.objects.filter(username=user.username).delete()
        user.delete()
    return citizen


def axes_username(request: Any, credentials: dict | None = None) -> str:
    """What django-axes records and locks: the same name the sign-in uses, never a raw ID number."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return login_name(raw)


@transaction.atomic
def ward_register(*, guardian: Citizen, resident_id: str, name: str) -> Citizen:
    """A parent adds a child under 14, whose data the parent's account holds (PIPL art. 31).

    The child's number is a claim, like an unbound account's: the record holds what the guardian
    declares, and a department's data about the child never reaches it. Nothing online proves that the
    guardian is the child's parent, so a ward becomes the verified record of its number only when
    counter staff have seen the papers (docs/adr/0006-real-name-binding.md)."""
    number = resident_id_clean(resident_id)
    born = birth_date_of(number)
    today = timezone.localdate()
    if (today.year - born.year - ((today.month, today.day) < (born.month, born.day))) >= 14:
        message = _("A child of 14 or over has an account of their own.")
        raise PortalError("too_old_for_ward", message, fields={"resident_id": [message]})
    if guardian.guardian_id:
        raise PortalError("ward_cannot_hold", _("A child's record cannot hold other children."))
    digest = resident_id_hash(number)
    # Only the guardian's own wards are checked: whether anyone else knows the child is not theirs to learn.
    if guardian.wards.filter(Q(claimed_id_hash=digest) | Q(resident_id_hash=digest), erased_at__isnull=True).exists():
        raise PortalError(
            "already_known",
            _("This child is already registered."),
            fields={"resident_id": [_("This child is already registered.")]},
        )
    return Citizen.objects.create(
        claimed_id_hash=digest,
        resident_id_masked=resident_id_mask(number),
        name=name.strip(),
        guardian=guardian,
        region_code=guardian.region_code,
    )
