"""Signing in with an ID number that accounts not yet verified claim.

A citizen signs in with their resident ID number, which the sign-in turns into its keyed hash
(`login_name`). A bound account has that hash as its user name, and Django's ModelBackend (before this
one in AUTHENTICATION_BACKENDS) signs it in. An account that has not yet proved whose it is has a
random user name, and the number its owner typed is only a claim (`Citizen.claimed_id_hash`), which
several accounts may make: the real person must be able to sign up and sign in even after someone else
claimed their number. So this backend signs in the newest unbound account claiming the number whose
password is right.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from profiles.models import User
from profiles.services.accounts import HASHED_NAME

# At most this many unbound claims of one number have their password checked at a sign-in: each check
# costs a password hash, and a number with more claims than this is under attack, not in use.
CLAIMS_CHECKED = 5


class ClaimedIdBackend(ModelBackend):
    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None or not HASHED_NAME.fullmatch(username):
            return None
        claimants = User.objects.filter(
            citizen__claimed_id_hash=username,
            citizen__resident_id_hash__isnull=True,
            citizen__erased_at__isnull=True,
        ).order_by("-date_joined", "-pk")[:CLAIMS_CHECKED]
        for user in claimants:
            if user.check_password(password) and self.user_can_authenticate(user):
                return user
        return None
