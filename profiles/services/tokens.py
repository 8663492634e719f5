"""App tokens (django-rest-knox): signing in for one per device, and giving them up.

A token is kept only as a hash; it expires (`REST_KNOX["TOKEN_TTL"]`, renewed on use up to
`AUTO_REFRESH_MAX_TTL`), and each device's token is revoked on its own.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken
from knox.settings import knox_settings

from profiles.models import AppToken, User
from profiles.services.accounts import login_name
from profiles.services.sign_in import sign_in_step_up, sign_in_wait_check
from services_portal.core.errors import PortalError


class SignInLocked(PortalError):
    """Too many failed sign-ins: django-axes refuses every attempt, right or wrong, for a while."""

    status_code = getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429)


def _locked_out_message(request: Any) -> str:
    cool_off = get_cool_off(request)
    if cool_off is None:
        return _(
            "Too many failed sign-in attempts: signing in is locked, even with the right password. "
            "Call the hotline %(hotline)s to unlock it."
        ) % {"hotline": settings.PORTAL_HOTLINE}
    return _(
        "Too many failed sign-in attempts: signing in is locked for %(minutes)s minutes, even with the right "
        "password. Try again later, or call the hotline %(hotline)s."
    ) % {"minutes": int(cool_off.total_seconds() // 60), "hotline": settings.PORTAL_HOTLINE}


def token_obtain(
    *, request: Any, identifier: str, password: str, device_name: str = "", code: str = ""
) -> tuple[AuthToken, str]:
    """Sign in with a resident ID number (or a staff user name) and a password, for a new token for
    this device; returns the token's row and its plain text (given out once, never stored).

    Goes through `authenticate` with the request so that django-axes counts failures and locks out,
    as on the sign-in page. Not atomic on purpose: the failure axes records must outlive the refusal.
    After many failures on the account from anywhere, the right password alone raises `StepUpRequired`
    (a code was texted) and the same request with the `code` signs in (profiles/services/sign_in.py).
    """
    username = login_name(identifier)
    sign_in_wait_check(request=request, username=username)
    user = authenticate(request=request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise SignInLocked("locked_out", _locked_out_message(request))
        raise PortalError(
            "invalid_credentials",
            _("The ID number or user name and the password do not match."),
            fields={"password": [_("The ID number or user name and the password do not match.")]},
        )
    sign_in_step_up(user=user, username=username, code=code)
    # A token is a sign-in: record it as one (last_login, and axes clears the failures).
    user_logged_in.send(sender=type(user), request=request, user=user)
    return token_issue(user=user, device_name=device_name)


@transaction.atomic
def token_issue(*, user: User, device_name: str = "") -> tuple[AuthToken, str]:
    """A new token for one device. Past `TOKEN_LIMIT_PER_USER` live tokens the oldest is revoked
    rather than the sign-in refused: a lost phone must not lock its owner out of a new one."""
    now = timezone.now()
    AuthToken.objects.filter(user=user, expiry__lte=now).delete()
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit is not None:
        live = AuthToken.objects.filter(Q(expiry__gt=now) | Q(expiry__isnull=True), user=user).order_by("-created")
        AuthToken.objects.filter(pk__in=list(live.values_list("pk", flat=True)[limit - 1 :])).delete()
    token, plain = AuthToken.objects.create(user=user)
    AppToken.objects.create(auth_token=token, device_name=device_name.strip()[:100])
    return token, plain


def token_revoke(*, user: User, token: AuthToken | None = None, all_devices: bool = False) -> int:
    """Give up a token: `token` (the caller's own, this device), or with `all_devices` every token of
    `user`. Returns how many were revoked."""
    tokens = AuthToken.objects.filter(user=user)
    if not all_devices:
        if token is None:
            return 0
        tokens = tokens.filter(pk=token.pk)
    _deleted, by_model = tokens.delete()
    return by_model.get(AuthToken._meta.label, 0)
