"""Signing up and closing accounts."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles.models import Citizen, Role, User
from profiles.resident_id import resident_id_clean, resident_id_hash, resident_id_mask
from services_portal.core.errors import PortalError


def login_name(identifier: str) -> str:
    """The user name a sign-in identifier stands for: the keyed hash of a resident ID number, or a
    staff user name as typed. The raw ID number never reaches the database or django-axes."""
    try:
        return resident_id_hash(resident_id_clean(identifier))
    except PortalError:
        return identifier.strip()


def citizen_for_resident_id(raw: str) -> Citizen | None:
    return Citizen.objects.filter(resident_id_hash=resident_id_hash(resident_id_clean(raw))).first()


@transaction.atomic
def citizen_register(*, resident_id: str, name: str, password: str, phone: str = "") -> Citizen:
    """A citizen signs up. Joins the record a department feed may already have made for them."""
    number = resident_id_clean(resident_id)
    digest = resident_id_hash(number)
    existing = Citizen.objects.select_for_update().filter(resident_id_hash=digest).first()
    if existing and existing.user_id:
        raise PortalError(
            "already_registered",
            _("An account already exists for this ID number. Sign in instead."),
            fields={"resident_id": [_("An account already exists for this ID number.")]},
        )
    user = User(username=digest, role=Role.CITIZEN)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise PortalError("weak_password", " ".join(error.messages), fields={"password": error.messages}) from None
    if not name.strip():
        raise PortalError("missing_name", _("Enter your name."), fields={"name": [_("Enter your name.")]})
    user.set_password(password)
    user.save()
    citizen = existing or Citizen(resident_id_hash=digest, resident_id_masked=resident_id_mask(number))
    citizen.user = user
    citizen.name = name.strip()
    citizen.phone = phone.strip()
    citizen.full_clean()
    citizen.save()
    return citizen


@transaction.atomic
def citizen_erase(*, citizen: Citizen) -> Citizen:
    """Close the account: erase personal data, keep the consent ledger and the access log (which the
    law requires) pointing at a pseudonymous record that no longer says who the person was."""
    from profiles.models import FactValue, TagSuppression
    from recommender.models import Interaction, ScoredList
    from services_portal.counter.models import OutreachTask
    from services_portal.notifications.models import Notification, Push

    citizen = Citizen.objects.select_for_update().get(pk=citizen.pk)
    FactValue.objects.filter(citizen=citizen).delete()
    TagSuppression.objects.filter(citizen=citizen).delete()
    for personal in (Interaction, ScoredList, Notification, OutreachTask, Push):
        personal.objects.filter(citizen=citizen).delete()
    for ward in citizen.wards.all():
        citizen_erase(citizen=ward)
    user = citizen.user
    citizen.user = None
    citizen.resident_id_hash = None
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
    """A parent adds a child under 14, whose data the parent's account holds (PIPL art. 31)."""
    from profiles.resident_id import birth_date_of

    number = resident_id_clean(resident_id)
    born = birth_date_of(number)
    today = timezone.localdate()
    if (today.year - born.year - ((today.month, today.day) < (born.month, born.day))) >= 14:
        message = _("A child of 14 or over has an account of their own.")
        raise PortalError("too_old_for_ward", message, fields={"resident_id": [message]})
    if guardian.guardian_id:
        raise PortalError("ward_cannot_hold", _("A child's record cannot hold other children."))
    digest = resident_id_hash(number)
    if Citizen.objects.filter(resident_id_hash=digest).exists():
        raise PortalError(
            "already_known",
            _("This child is already registered."),
            fields={"resident_id": [_("This child is already registered.")]},
        )
    return Citizen.objects.create(
        resident_id_hash=digest,
        resident_id_masked=resident_id_mask(number),
        name=name.strip(),
        guardian=guardian,
        region_code=guardian.region_code,
    )
