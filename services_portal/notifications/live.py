"""The live channel: a nudge to a person's open pages that their inbox has something new.

A nudge is only a hint to look again; the inbox row is the truth (DESIGN section 7). So a channel
layer that is down or slow loses nothing that matters: `nudge` logs and returns, and the person sees
the message on their next page.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# The socket's path, relative like the routes in services_portal/routing.py.
LIVE_INBOX_PATH = "ws/live/"
NEW_NOTIFICATION = "notification.new"
# A worker sending pushes must not wait on a layer that does not answer.
NUDGE_TIMEOUT_SECONDS = 2.0


def citizen_group(citizen_id: int) -> str:
    """The group of one person's open pages, one socket each."""
    return f"citizen.{citizen_id}"


def nudge(*, citizen_id: int, notification_id: int) -> None:
    """Tell the person's open pages that notification `notification_id` has arrived. Never raises."""
    try:
        layer = get_channel_layer()
        if layer is None:
            logger.warning("No channel layer is configured: live nudges are off")
            return
        message = {"type": NEW_NOTIFICATION, "notification_id": notification_id}
        async_to_sync(_group_send)(layer, citizen_group(citizen_id), message)
    except Exception:
        logger.warning(
            "Live nudge for notification %s of citizen %s not sent; it waits in the inbox",
            notification_id,
            citizen_id,
            exc_info=True,
        )


async def _group_send(layer, group: str, message: dict) -> None:
    await asyncio.wait_for(layer.group_send(group, message), timeout=NUDGE_TIMEOUT_SECONDS)
