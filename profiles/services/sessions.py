"""Signed-in devices: how long a browser session lasts, and signing out one device or all the others.

A device is a browser session (django-qsessions keeps each with its user) or an app token (knox).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken
from qsessions.models import Session

from profiles.models import Role, User
from profiles.selectors import device_id, user_sessions, user_tokens
from services_portal.core.errors import PortalError


class NoSuchDevice(PortalError):
    status_code = 404


def session_age_apply(*, request: Any, user: User) -> None:
    """At sign-in: a staff member's session ends a fixed time after signing in, however busy, and when
    the browser closes; a citizen's after `SESSION_AGE_CITIZEN_SECONDS` without use. Only for a
    browser session that holds this user (a token sign-in has none to set)."""
    session = getattr(request, "session", None)
    if session is None or str(session.get(SESSION_KEY)) != str(user.pk):
        return
    if user.role == Role.CITIZEN and not user.is_superuser:
        session.set_expiry(settings.SESSION_AGE_CITIZEN_SECONDS)
    else:
        session.set_expiry(timezone.now() + datetime.timedelta(seconds=settings.SESSION_AGE_STAFF_SECONDS))


def session_age_on_sign_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    """`user_logged_in` receiver: every way of signing in (page, sign-up, tests' force_login) sets
    the session's age by role."""
    session_age_apply(request=request, user=user)


@transaction.atomic
def device_sign_out(*, user: User, device: str) -> str:
    """Sign one of the user's browsers or apps out, by the id the devices list shows. Returns its kind."""
    for session in user_sessions(user):
        if device_id("web", session.session_key) == device:
            session.delete()
            return "web"
    for token in user_tokens(user):
        if device_id("app", token.digest) == device:
            token.delete()
            return "app"
    raise NoSuchDevice("no_such_device", _("This device is not signed in (any more)."))


@transaction.atomic
def devices_sign_out(*, user: User, keep_session_key: str | None = None, keep_token: AuthToken | None = None) -> int:
    """Sign out every browser session and app token of the user but the one the caller keeps (its own,
    when it signs out "all others"); none kept signs out everywhere. Returns how many were signed out."""
    sessions = Session.objects.filter(user=user)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    tokens = AuthToken.objects.filter(user=user)
    if keep_token is not None:
        tokens = tokens.exclude(pk=keep_token.pk)
    _count, sessions_deleted = sessions.delete()
    _count, tokens_deleted = tokens.delete()
    return sessions_deleted.get(Session._meta.label, 0) + tokens_deleted.get(AuthToken._meta.label, 0)
