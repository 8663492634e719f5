"""Signing in after many failed attempts on one account: a step-up, never a block.

django-axes locks the (account, address) pair after `AXES_FAILURE_LIMIT` failures, so one address
cannot lock out everyone behind it, nor the account everywhere. Failures for one account from any
addresses (`SIGN_IN_STEP_UP_AFTER_FAILURES` within `SIGN_IN_STEP_UP_WINDOW_MINUTES`, counted from
axes' own rows) put the account under a soft lock, so that knowing someone's ID number is not enough
to lock them out, and guessing their password from many addresses is not enough to sign in:

- an account with a verified phone (profiles.selectors.citizen_verified_phone) signs in with the right
  password *and* a code texted to that phone; the right password alone leads to the code step;
- an account without one signs in with the right password as before, but an address that gave a wrong
  password for it waits `SIGN_IN_STEP_UP_WAIT_MINUTES` before it may try again. Its owner, at an
  address the guessing did not come from, signs in at once.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from profiles.models import Citizen, CodePurpose, User
from profiles.selectors import citizen_verified_phone
from profiles.services.codes import CodeThrottled, code_issue, code_redeem, code_send, masked_phone
from services_portal.core.addresses import client_address
from services_portal.core.errors import PortalError


class SignInWait(PortalError):
    """The account is under the soft lock, has no verified phone, and this address gave a wrong
    password for it a moment ago."""

    status_code = 429


class StepUpRequired(PortalError):
    """The password was right, but the account is under the soft lock: a code was texted to its
    verified phone (`phone`, masked), and signing in needs it too."""

    status_code = 403

    def __init__(self, code: str, message: str, *, phone: str, **kwargs: Any) -> None:
        super().__init__(code, message, **kwargs)
        self.phone = phone


def sign_in_failures(*, username: str) -> int:
    """Failed sign-ins for the account `username` (a login name) in the window, from any addresses."""
    since = timezone.now() - datetime.timedelta(minutes=settings.SIGN_IN_STEP_UP_WINDOW_MINUTES)
    total = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return total or 0


def sign_in_step_up_needed(*, username: str) -> bool:
    return sign_in_failures(username=username) >= settings.SIGN_IN_STEP_UP_AFTER_FAILURES


def _citizen(user: User | None) -> Citizen | None:
    if user is None:
        return None
    return Citizen.objects.filter(user=user, erased_at__isnull=True).first()


def _phone(citizen: Citizen | None) -> str:
    return citizen_verified_phone(citizen) if citizen is not None else ""


def sign_in_wait_check(*, request: Any, username: str) -> None:
    """Before the password is checked: refuse with `SignInWait` when the account is under the soft
    lock, has no verified phone (or does not exist: the answer is the same), and this address gave a
    wrong password for it within `SIGN_IN_STEP_UP_WAIT_MINUTES`."""
    if not sign_in_step_up_needed(username=username):
        return
    if _phone(_citizen(User.objects.filter(username=username).first())):
        return
    last_failure = (
        AccessAttempt.objects.filter(username=username, ip_address=client_address(request))
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if last_failure is None:
        return
    wait = last_failure + datetime.timedelta(minutes=settings.SIGN_IN_STEP_UP_WAIT_MINUTES) - timezone.now()
    if wait.total_seconds() <= 0:
        return
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    raise SignInWait(
        "sign_in_wait",
        ngettext(
            "There have been many wrong passwords for this account, so after a wrong one signing in from "
            "here waits a while. Try again in %(minutes)d minute, or call the hotline %(hotline)s.",
            "There have been many wrong passwords for this account, so after a wrong one signing in from "
            "here waits a while. Try again in %(minutes)d minutes, or call the hotline %(hotline)s.",
            minutes,
        )
        % {"minutes": minutes, "hotline": settings.PORTAL_HOTLINE},
    )


def sign_in_step_up(*, user: User, username: str, code: str = "") -> None:
    """After the right password for `username` (the login name signed in with, which django-axes
    counted failures under): return when `user` may sign in. Under the soft lock, with a verified
    phone, a `code` is needed too: without one, a code is texted and `StepUpRequired` raised; a wrong
    one is refused (`code_redeem`'s errors)."""
    if not sign_in_step_up_needed(username=username):
        return
    citizen = _citizen(user)
    phone = _phone(citizen)
    if not phone:
        return  # the wait before the password (sign_in_wait_check) was this account's step-up
    if code:
        sign_in_code_redeem(user=user, code=code)
        return
    raise sign_in_code_send(user=user, citizen=citizen, phone=phone)


def sign_in_code_send(*, user: User, citizen: Citizen | None, phone: str) -> StepUpRequired:
    """Text a sign-in code to `phone`; returns the `StepUpRequired` that tells where it went. A code
    sent a moment ago is still good, so asking again within the resend time sends none."""
    try:
        issued, plain = code_issue(purpose=CodePurpose.SIGN_IN_STEP_UP, citizen=citizen, user=user, sent_to=phone)
    except CodeThrottled as error:
        if error.code != "code_too_soon":
            raise
    else:
        code_send(code=issued, plain=plain, phone=phone)
    shown = masked_phone(phone)
    message = _(
        "There have been many wrong passwords for this account, so signing in needs a code as well. "
        "We have texted one to %(phone)s."
    ) % {"phone": shown}
    return StepUpRequired("step_up_required", message, phone=shown, fields={"code": [message]})


def sign_in_code_redeem(*, user: User, code: str) -> User:
    """Use the sign-in code texted to `user`'s phone (a wrong one counts a try)."""
    code_redeem(purpose=CodePurpose.SIGN_IN_STEP_UP, plain=code, citizen=_citizen(user), user=user)
    return user


def user_signing_in(user_id: int) -> User:
    """The account between the password and the code step (gone if it was closed in between)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        message = _("This code is not valid. Ask for a new one.")
        raise PortalError("code_invalid", message, fields={"code": [message]})
    return user
