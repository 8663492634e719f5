"""WebSocket routes: the live inbox of a signed-in citizen's open pages (issue #7)."""

from django.urls import path

from services_portal.notifications.consumers import LiveInboxConsumer
from services_portal.notifications.live import LIVE_INBOX_PATH

websocket_urlpatterns = [
    path(LIVE_INBOX_PATH, LiveInboxConsumer.as_asgi(), name="live-inbox"),
]
