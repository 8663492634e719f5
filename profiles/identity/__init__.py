"""Proving whose an account is: pluggable proof backends, chosen by the IDENTITY_PROOF_BACKENDS setting
(a list of dotted paths to ProofBackend subclasses), in the manner of SMS_BACKEND.

An account made by signing up is not bound to anyone: its record holds what its owner declared and
the ID number they typed as a claim (`Citizen.claimed_id_hash`). To join the record of that number (the
facts departments delivered, the counter's record), its owner proves who they are with one of the
backends, and `profiles.services.identity.identity_bind` moves the account onto the person's record.

A backend is a class with a `name` (stored in `Citizen.bound_by`), a `label` (lazy, translated) and
three methods; `citizen` is always the signed-in account's own (unbound) record:

    offer(*, citizen) -> Offer
        Whether the method can work for this account, and what to show before starting (such as the
        masked phone a code would go to). Reads only; never says more than the method needs.
    begin(*, citizen, request=None) -> Started
        Start proving: send a code (Started.message says where), or, for an identity platform,
        return Started(redirect_url=...) to send the person to it. Raises PortalError to refuse.
    complete(*, citizen, data, request=None) -> Proof
        Check what came back: `data` is the posted form or body (a "code"), or, for an identity
        platform, the callback's query (an OIDC backend exchanges the code, verifies the ID token's
        signature, issuer, audience, nonce and expiry, and reads the verified ID number and name from
        its claims). Returns Proof(method, resident_id_hash, name) for the number proven; raises
        PortalError (with a "code" field error for a wrong code) otherwise.

A province plugs its unified identity platform (统一身份认证) in by adding such a class to the setting:
no other code changes. The two shipped, in `profiles/services/proofs.py` (they issue and redeem one-time
codes, so they stand with the services): `DepartmentPhoneCode` (a code to the mobile number a department
delivered for the person, when the name matches) and `CounterActivationCode` (a code counter staff print
after checking the ID card in person).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.module_loading import import_string

from profiles.models import Citizen


@dataclass(frozen=True)
class Offer:
    available: bool
    detail: str = ""  # what to show before starting ("a code to 138****1234")


@dataclass(frozen=True)
class Started:
    message: str = ""
    redirect_url: str = ""


@dataclass(frozen=True)
class Proof:
    method: str
    resident_id_hash: str
    name: str = ""


class ProofBackend:
    name = ""
    label: Promise | str = ""
    # whether `complete` takes a code the person types (the page shows a code field)
    takes_code = True

    def offer(self, *, citizen: Citizen) -> Offer:
        raise NotImplementedError

    def begin(self, *, citizen: Citizen, request: Any = None) -> Started:
        raise NotImplementedError

    def complete(self, *, citizen: Citizen, data: Mapping[str, Any], request: Any = None) -> Proof:
        raise NotImplementedError


@functools.cache
def _backends(paths: tuple[str, ...]) -> dict[str, ProofBackend]:
    backends = [import_string(path)() for path in paths]
    return {backend.name: backend for backend in backends}


def proof_backends() -> dict[str, ProofBackend]:
    """The configured backends by name, in the setting's order."""
    return _backends(tuple(settings.IDENTITY_PROOF_BACKENDS))


def proof_backend(name: str) -> ProofBackend | None:
    return proof_backends().get(name)
