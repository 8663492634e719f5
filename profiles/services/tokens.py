"""API tokens for app clients: signing in for one, and giving it up."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from profiles.models import User
from profiles.services.accounts import login_name
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


def token_obtain(*, request: Any, identifier: str, password: str) -> Token:
    """Sign in with a resident ID number (or a staff user name) and a password, for an API token.

    Goes through `authenticate` with the request so that django-axes counts failures and locks out,
    as on the sign-in page. Not atomic on purpose: the failure axes records must outlive the refusal.
    """
    user = authenticate(request=request, username=login_name(identifier), password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise SignInLocked("locked_out", _locked_out_message(request))
        raise PortalError(
            "invalid_credentials",
            _("The ID number or user name and the password do not match."),
            fields={"password": [_("The ID number or user name and the password do not match.")]},
        )
    # A token is a sign-in: record it as one (last_login, and axes clears the failures).
    user_logged_in.send(sender=type(user), request=request, user=user)
    token, _created = Token.objects.get_or_create(user=user)
    return token


def token_revoke(*, user: User) -> int:
    """Give up the caller's token: every app signed in with it is signed out."""
    deleted, _by_model = Token.objects.filter(user=user).delete()
    return deleted
