"""Telling a person at once that someone tried to use their identity: registered in profiles.hooks by
NotificationsConfig.ready() (profiles, below this app, cannot call it), sent from a Celery task so that
signing up takes as long whether or not the number has an owner to tell.

A security notice is not a push: it goes to the inbox and by text message at once, whatever the hour,
the daily limit or the channel consents (the person must hear of it), like a one-time code does.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from profiles.models import Citizen
from profiles.selectors import citizen_verified_phone
from services_portal.core import sms
from services_portal.core.tasks import task_named
from services_portal.notifications.models import Notification, NotificationKind
from services_portal.notifications.services.inbox import notification_create

logger = logging.getLogger(__name__)

NOTICES = {
    "signup_attempt": (
        _("Someone signed up with your ID number"),
        _(
            "Someone just opened an account with your resident ID number. It cannot see or change anything of "
            "yours: your account is verified and theirs is not. If it was you, there is nothing to do. If not, "
            "keep your password to yourself; the hotline %(hotline)s can help."
        ),
    ),
    "bind_attempt": (
        _("Someone tried to prove they are you"),
        _(
            "Another account just tried to verify itself as you, and was refused: your identity already has "
            "an account. If it was not you, call the hotline %(hotline)s."
        ),
    ),
}


def identity_notice_enqueue(citizen: Citizen, kind: str) -> None:
    """The hook profiles calls (after its transaction commits)."""
    task_named("services_portal.notifications.tasks.identity_notice_deliver").delay(citizen.pk, kind)


def identity_notice_send(*, citizen: Citizen, kind: str) -> Notification | None:
    """An inbox notification, and a text message to the person's verified phone if they have one."""
    if kind not in NOTICES or citizen.erased_at is not None:
        return None
    title, body = NOTICES[kind]
    params = {"hotline": settings.PORTAL_HOTLINE}
    notification = notification_create(
        citizen=citizen,
        kind=NotificationKind.SECURITY,
        idempotency_key=f"identity:{kind}:{citizen.pk}:{uuid.uuid4().hex}",
        title=title,
        body=body,
        params={"zh-hans": params, "en": params},
        link=reverse("profiles:profile"),
    )
    phone = citizen_verified_phone(citizen)
    if phone:
        with translation.override(settings.LANGUAGE_CODE):
            text = f"{settings.PORTAL_NAME}: {body % params}"
        try:
            sms.get_backend().send(message_id=f"identity-{notification.pk}", phone=phone, text=text)
        except sms.SmsError:
            logger.warning("security notice %s: the text message was not sent", notification.pk)
    return notification
