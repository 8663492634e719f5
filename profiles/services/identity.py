"""Real-name binding: an account joins the record of the person it belongs to once its owner proved who
they are (the proofs: profiles.identity), and the counter's part in it (recording a person whose ID card
staff checked, and printing them an activation code). docs/adr/0006-real-name-binding.md tells why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles import hooks
from profiles.facts import FACTS, Sensitivity
from profiles.identity import Proof, Started, proof_backend, proof_backends
from profiles.models import (
    AccessChannel,
    AccessPurpose,
    Citizen,
    CodePurpose,
    ConsentChannel,
    FactSource,
    FactValue,
    OneTimeCode,
    User,
)
from profiles.permissions import allowed, in_scope
from profiles.purposes import Purpose
from profiles.resident_id import resident_id_clean, resident_id_hash, resident_id_mask
from profiles.selectors import consent_events_latest, consent_given
from profiles.services.access import citizen_read_for
from profiles.services.accounts import citizen_erase
from profiles.services.codes import code_issue
from profiles.services.consent import consent_grant, consent_withdraw
from profiles.services.proofs import IdentityTaken
from services_portal.core.errors import PortalError
from services_portal.reference import regions


@dataclass(frozen=True)
class MethodOffer:
    """One way to prove who one is, as the verify page and the API show it."""

    method: str
    label: str
    available: bool
    detail: str
    takes_code: bool


def identity_methods(citizen: Citizen) -> list[MethodOffer]:
    """The configured proofs and whether each can work for this account; none once it is verified."""
    if citizen.bound_at is not None or citizen.guardian_id:
        return []
    offers = []
    for backend in proof_backends().values():
        offer = backend.offer(citizen=citizen)
        offers.append(MethodOffer(backend.name, str(backend.label), offer.available, offer.detail, backend.takes_code))
    return offers


def _backend_for(citizen: Citizen, method: str):
    if citizen.bound_at is not None:
        raise PortalError("already_verified", _("Your identity is already verified."))
    backend = proof_backend(method)
    if backend is None:
        message = _("Choose a way to prove who you are.")
        raise PortalError("unknown_method", message, fields={"method": [message]})
    return backend


def _tell_owner(owner: Citizen) -> None:
    """The owner of the identity hears that another account tried to become theirs (after commit: the
    refusal rolls back whatever else happened)."""
    transaction.on_commit(lambda: hooks.on_identity_notice(owner, "bind_attempt"))


def identity_begin(*, citizen: Citizen, method: str, request: Any = None) -> Started:
    """Start proving who the account's owner is with `method` (send a code, or send them to an
    identity platform)."""
    backend = _backend_for(citizen, method)
    try:
        return backend.begin(citizen=citizen, request=request)
    except IdentityTaken as taken:
        _tell_owner(taken.owner)
        raise


def identity_complete(*, citizen: Citizen, method: str, data: Mapping[str, Any], request: Any = None) -> Citizen:
    """Check the proof and bind the account; returns the person's record, which the account now has.
    Not atomic on purpose: a wrong code's counted try must outlive the refusal."""
    backend = _backend_for(citizen, method)
    try:
        proof = backend.complete(citizen=citizen, data=data, request=request)
        return identity_bind(citizen=citizen, proof=proof)
    except IdentityTaken as taken:
        _tell_owner(taken.owner)
        raise


@transaction.atomic
def identity_bind(*, citizen: Citizen, proof: Proof) -> Citizen:
    """Bind the account of `citizen` (its own, unbound record) to the person of the proven number.

    - No record holds the number: the account's own record becomes the person's (the number verified).
    - The person's record has an account already: refused (IdentityTaken), whatever the proof.
    - Otherwise the account moves onto the person's record: what its owner declared fills what the record
      lacks (a department's value is never overwritten), its consent choices are replayed onto the
      record as new ledger rows, its children move with it, and its old record is erased and left
      pseudonymous (its own ledger rows stay, as the law requires).
    Other accounts claiming the number stay as they are, and can never bind now."""
    account = Citizen.objects.select_for_update(of=("self",)).select_related("user").get(pk=citizen.pk)
    user = account.user
    if user is None or account.erased_at is not None:
        raise PortalError("not_found", _("Not found."))
    if account.bound_at is not None:
        raise PortalError("already_verified", _("Your identity is already verified."))
    claimed = account.claimed_id_hash or account.resident_id_hash
    if not proof.resident_id_hash or proof.resident_id_hash != claimed:
        raise PortalError(
            "identity_mismatch",
            _("The identity you proved is not the ID number this account was opened with."),
        )
    digest = proof.resident_id_hash
    now = timezone.now()
    record = Citizen.objects.select_for_update().filter(resident_id_hash=digest).exclude(pk=account.pk).first()
    if record is None:
        # nobody else knew the person: the account's own record becomes theirs
        account.resident_id_hash = digest
        account.claimed_id_hash = None
        account.name = proof.name or account.name
        account.bound_at, account.bound_by = now, proof.method
        account.save()
        _username_set(user, digest)
        return account
    if record.user_id is not None:
        raise IdentityTaken(record)
    if record.guardian_id is not None:
        raise PortalError(
            "identity_is_a_ward",
            _("This identity is held under a guardian's account. Visit a service counter with your ID card."),
        )
    _consents_replay(source=account, target=record)
    _facts_copy(source=account, target=record)
    account.wards.update(guardian=record)
    record.name = proof.name or record.name or account.name
    record.phone = account.phone or record.phone
    record.personalisation_enabled = account.personalisation_enabled
    record.region_code = record.region_code or account.region_code
    account.user = None
    account.save(update_fields=["user"])
    record.user = user
    record.bound_at, record.bound_by = now, proof.method
    record.save()
    _username_set(user, digest)
    citizen_erase(citizen=account)
    return record


def _username_set(user: User, digest: str) -> None:
    user.username = digest  # from now on the ID number signs this account in (ModelBackend)
    user.save(update_fields=["username"])


def _consents_replay(*, source: Citizen, target: Citizen) -> None:
    """Each consent the account's owner decided, as new rows on the person's record where it stands
    otherwise there: the ledger is append-only, so nothing is moved or changed."""
    decisions, standings = consent_events_latest(source), consent_events_latest(target)
    for purpose in Purpose:
        decided, standing = decisions.get(purpose), standings.get(purpose)
        if decided is None or (standing is not None and standing.granted == decided.granted):
            continue
        change = consent_grant if decided.granted else consent_withdraw
        witness = decided.witness if decided.channel == ConsentChannel.COUNTER else None
        change(citizen=target, purpose=purpose, channel=decided.channel, witness=witness)


def _facts_copy(*, source: Citizen, target: Citizen) -> None:
    """The account owner's own current values (stated by them or told to the counter) for facts the
    person's record has no current value of."""
    held = set(FactValue.objects.filter(citizen=target, superseded_at__isnull=True).values_list("key", flat=True))
    sensitive_ok = consent_given(target.consent_holder, Purpose.SENSITIVE_FACTS)
    for value in FactValue.objects.filter(
        citizen=source,
        superseded_at__isnull=True,
        source__in=[FactSource.SELF_DECLARED, FactSource.COUNTER_STAFF],
    ):
        fact = FACTS.get(value.key)
        if fact is None or value.key in held or fact.identity:
            continue
        if fact.sensitivity == Sensitivity.SENSITIVE and not sensitive_ok:
            continue
        FactValue.objects.create(
            citizen=target,
            key=value.key,
            value=value.value,
            source=value.source,
            department=value.department,
            recorded_by=value.recorded_by,
            observed_at=value.observed_at,
            expires_at=value.expires_at,
        )
        if value.key == "region_code":
            target.region_code = str(value.value)


# -- at the counter ------------------------------------------------------------------------------------


def _check_counter(staff: User, region_code: str) -> None:
    if not allowed(staff, "citizen.assist") or not in_scope(staff, region_code):
        raise PortalError("not_found", _("This person is not registered in your area."))


@transaction.atomic
def person_record_at_counter(*, staff: User, resident_id: str, name: str, region_code: str) -> Citizen:
    """A person the portal does not know comes to the counter: staff have checked their ID card, and
    record them with the verified number, their name and where they live, in the staff member's area."""
    number = resident_id_clean(resident_id)
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Enter the name as on the ID card.")]
    if regions.get(region_code) is None:
        errors["region_code"] = [_("Enter a 6-digit administrative division code, like 450102.")]
    elif not in_scope(staff, region_code):
        errors["region_code"] = [_("This place is outside your area.")]
    if errors:
        raise PortalError("person_invalid", _("Some answers need correcting."), fields=errors)
    _check_counter(staff, region_code)
    digest = resident_id_hash(number)
    if Citizen.objects.filter(resident_id_hash=digest).exists():
        message = _(
            "The portal already holds this person, registered in another area. Ask the counter of their area, "
            "or call the hotline."
        )
        raise PortalError("already_known", message, fields={"resident_id": [message]})
    return Citizen.objects.create(
        resident_id_hash=digest,
        resident_id_masked=resident_id_mask(number),
        name=name.strip(),
        region_code=region_code,
    )


@transaction.atomic
def activation_code_issue(
    *, staff: User, citizen: Citizen, purpose: str = AccessPurpose.COUNTER_SERVICE, request_id: str = ""
) -> tuple[OneTimeCode, str]:
    """An activation code for the person being served, after staff checked their ID card: single use,
    expiring (COUNTER_ACTIVATION_CODE_MINUTES), issued by `staff` and written in the person's access log.
    Returns the code's row and its text, shown once on the slip and never stored."""
    _check_counter(staff, citizen.region_code)
    if citizen.resident_id_hash is None or citizen.guardian_id is not None:
        raise PortalError("not_verifiable", _("An activation code is only for a person's own verified record."))
    if citizen.user_id is not None and citizen.bound_at is not None:
        raise PortalError(
            "has_account",
            _("This person already has a verified account. If they forgot the password, they can reset it."),
        )
    code, plain = code_issue(purpose=CodePurpose.COUNTER_ACTIVATION, citizen=citizen, issued_by=staff)
    citizen_read_for(
        staff,
        citizen=citizen,
        fields=["activation_code"],
        purpose=purpose,
        channel=AccessChannel.PAGE,
        request_id=request_id,
    )
    return code, plain
