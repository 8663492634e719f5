"""WebSocket routes. The live inbox consumer arrives with the push work (issue #7)."""

websocket_urlpatterns: list = []
