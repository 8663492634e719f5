"""The inbox: notifications written in both languages, and marking them read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.functional import Promise

from profiles.models import Citizen
from services_portal.notifications.models import Notification


def notification_create(
    *,
    citizen: Citizen,
    kind: str,
    idempotency_key: str,
    title: Promise,
    body: Promise,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    link: str = "",
) -> Notification:
    """A notification in both languages; the same idempotency key never makes a second one."""
    texts = {}
    for language in ("zh-hans", "en"):
        values = (params or {}).get(language, {})
        with translation.override(language):
            texts[language] = (str(title) % values, str(body) % values)
    try:
        with transaction.atomic():
            return Notification.objects.create(
                citizen=citizen,
                kind=kind,
                idempotency_key=idempotency_key,
                title_zh=texts["zh-hans"][0],
                title_en=texts["en"][0],
                body_zh=texts["zh-hans"][1],
                body_en=texts["en"][1],
                link=link,
            )
    except IntegrityError:
        return Notification.objects.get(idempotency_key=idempotency_key)


@transaction.atomic
def notification_mark_read(*, citizen: Citizen, notification_id: int) -> Notification:
    """The person has read a notification of theirs; reading it again keeps the first time."""
    notification = Notification.objects.select_for_update().filter(pk=notification_id, citizen=citizen).first()
    if notification is None:
        raise Http404
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
