"""Changing a password (signed in, with the old one) and resetting it by a code to the bound phone.

Either way every other browser session and app token of the account is signed out. A reset never
tells whether an account exists for an ID number: asking for a code answers the same for every
number, and redeeming one fails the same way for an unknown number as for a wrong code.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from knox.models import AuthToken

from profiles.models import Citizen, CodePurpose, User
from profiles.resident_id import resident_id_clean, resident_id_hash
from profiles.selectors import citizen_verified_phone
from profiles.services.codes import CodeThrottled, code_issue, code_redeem, code_send
from profiles.services.sessions import devices_sign_out
from services_portal.core.errors import PortalError

logger = logging.getLogger(__name__)


def _strong_enough(password: str, user: User | None, *, field: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise PortalError("weak_password", " ".join(error.messages), fields={field: error.messages}) from None


def _password_set(user: User, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])


@transaction.atomic
def password_change(
    *,
    user: User,
    old_password: str,
    new_password: str,
    keep_session_key: str | None = None,
    keep_token: AuthToken | None = None,
) -> User:
    """A signed-in person changes their password. Every other session and token is signed out; the
    caller's own (`keep_session_key` or `keep_token`) stays."""
    if not user.check_password(old_password):
        message = _("This is not your current password.")
        raise PortalError("wrong_password", message, fields={"old_password": [message]})
    _strong_enough(new_password, user, field="new_password")
    _password_set(user, new_password)
    devices_sign_out(user=user, keep_session_key=keep_session_key, keep_token=keep_token)
    return user


def _account_for(resident_id: str) -> Citizen | None:
    """The signed-up, not erased citizen with this ID number (format errors are the caller's to fix)."""
    digest = resident_id_hash(resident_id_clean(resident_id))
    return (
        Citizen.objects.filter(resident_id_hash=digest, user__isnull=False, erased_at__isnull=True)
        .select_related("user")
        .first()
    )


def reset_code_sent_message() -> str:
    """The one answer to asking for a reset code, whatever the number."""
    return _(
        "If an account with a verified phone number exists for this ID number, we have sent a code to that "
        "phone. If no code arrives, visit a service counter with your ID card, or call the hotline %(hotline)s."
    ) % {"hotline": settings.PORTAL_HOTLINE}


def password_reset_code_send(*, resident_id: str) -> None:
    """Text a reset code to the account's bound phone, if there is an account with one. Returns the
    same (nothing) whether or not it sent, even when codes were asked for too often, so that the
    answer tells nobody whether the number has an account."""
    citizen = _account_for(resident_id)
    if citizen is None:
        return
    phone = citizen_verified_phone(citizen)
    if not phone:
        return
    try:
        code, plain = code_issue(purpose=CodePurpose.PASSWORD_RESET, citizen=citizen, user=citizen.user, sent_to=phone)
    except CodeThrottled as error:
        logger.info("password reset code not sent for citizen %s: %s", citizen.pk, error.code)
        return
    code_send(code=code, plain=plain, phone=phone)


def password_reset(*, resident_id: str, code: str, new_password: str) -> User:
    """Set a new password with the code sent to the bound phone; signs out every session and token.

    Not atomic as a whole: a wrong code's counted try (in `code_redeem`) must outlive the refusal."""
    # checked alike for every number first, so that a weak password is refused whether or not the
    # number has an account
    _strong_enough(new_password, None, field="new_password")
    citizen = _account_for(resident_id)
    if citizen is None or citizen.user is None:  # `_account_for` finds only citizens with an account
        # the very refusal `code_redeem` gives for an account with no live code
        message = _("This code is not valid. Ask for a new one.")
        raise PortalError("code_invalid", message, fields={"code": [message]})
    user = citizen.user
    _strong_enough(new_password, user, field="new_password")
    code_redeem(purpose=CodePurpose.PASSWORD_RESET, plain=code, citizen=citizen, user=user)
    with transaction.atomic():
        _password_set(user, new_password)
        devices_sign_out(user=user)
    return user
