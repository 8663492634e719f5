"""A signed-in citizen's open pages, told when their inbox has something new (DESIGN sections 7 and 9).

The socket only listens. A message on it is a nudge, shown as a banner; the inbox row is the truth.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils import translation

from profiles.selectors import citizen_signed_in
from services_portal.core.i18n import active_suffix
from services_portal.notifications.live import citizen_group
from services_portal.notifications.selectors import inbox_unread_count, notification_of


class LiveInboxConsumer(AsyncJsonWebsocketConsumer):
    """`ws/live/?language=en`: one socket per open page of a signed-in citizen, in the group of that
    person's pages. Visitors, staff and department feeds are turned away at the handshake."""

    citizen_id: int | None = None
    language: str = settings.LANGUAGE_CODE

    async def connect(self) -> None:
        self.citizen_id = await self._citizen_id()
        if self.citizen_id is None:
            await self.close()  # before accepting: the handshake is refused
            return
        self.language = page_language(self.scope)
        await self.channel_layer.group_add(citizen_group(self.citizen_id), self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.citizen_id is not None:
            await self.channel_layer.group_discard(citizen_group(self.citizen_id), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """Whatever the page sends is ignored."""

    async def notification_new(self, event: dict[str, Any]) -> None:
        """A `notification.new` event from `live.nudge`: the notification in the page's language."""
        if not await self._still_signed_in():
            await self.close()
            return
        message = await self._message(event["notification_id"])
        if message is not None:
            await self.send_json(message)

    @database_sync_to_async
    def _citizen_id(self) -> int | None:
        citizen = citizen_signed_in(self.scope.get("user"))
        return citizen.pk if citizen else None

    @database_sync_to_async
    def _still_signed_in(self) -> bool:
        """Signing out on another page ends the session: from then on this page is told nothing."""
        session_key = self.scope["session"].session_key
        store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
        return str(store.get(SESSION_KEY)) == str(self.scope["user"].pk)

    @database_sync_to_async
    def _message(self, notification_id: int) -> dict[str, Any] | None:
        if self.citizen_id is None:  # events reach only sockets in a citizen's group, so never here
            return None
        notification = notification_of(citizen_id=self.citizen_id, notification_id=notification_id)
        if notification is None:
            return None
        with translation.override(self.language):
            suffix = active_suffix()
        return {
            "type": "notification",
            "id": notification.pk,
            "title": getattr(notification, f"title_{suffix}") or notification.title_zh,
            "body": getattr(notification, f"body_{suffix}") or notification.body_zh,
            "link": notification.link,
            "unread": inbox_unread_count(citizen_id=notification.citizen_id),
        }


def page_language(scope: dict[str, Any]) -> str:
    """The language the page was written in (`?language=`), or the site's."""
    asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("language", [""])[0]
    return asked if asked in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
