"""Notifications: the inbox, and the push outbox with its delivery (DESIGN section 7).

- `inbox`: notifications in both languages, read and unread.
- `push`: writing pushes into the outbox, in the transaction of the change that caused them.
- `routing`: the routing plan: inbox and live nudge, then text message, then counter outreach.
- `delivery`: quiet hours, the daily limit, and each channel, safe to retry and to kill mid-send.
- `dispatch`: what in the outbox needs a delivery run now (deferred, lost, stalled, unread).
- `triggers`: life events from feeds, new services for a group.
"""

from services_portal.notifications.services.delivery import push_deliver, pushes_deliver
from services_portal.notifications.services.dispatch import pushes_due, unread_escalate
from services_portal.notifications.services.inbox import notification_create, notification_mark_read
from services_portal.notifications.services.push import PushDraft, push_create, pushes_create
from services_portal.notifications.services.routing import push_route, pushes_route, reach_for

__all__ = [
    "PushDraft",
    "notification_create",
    "notification_mark_read",
    "push_create",
    "push_deliver",
    "push_route",
    "pushes_create",
    "pushes_deliver",
    "pushes_due",
    "pushes_route",
    "reach_for",
    "unread_escalate",
]
