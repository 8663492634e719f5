"""A text-message gateway for the worker-kill test: the file backend, except that the first message it
accepts is followed by a long stall, so that the test can kill the worker after the gateway took the
message and before the portal wrote down that it was sent."""

from __future__ import annotations

import time
from pathlib import Path

from services_portal.core.sms import FileBackend

STALL_SECONDS = 120


class StallingFileBackend(FileBackend):
    def send(self, *, message_id: str, phone: str, text: str) -> str:
        gateway_id = super().send(message_id=message_id, phone=phone, text=text)
        marker = Path(self.directory) / "stalled"
        if not marker.exists():
            marker.write_text(message_id)
            time.sleep(STALL_SECONDS)  # the test kills the worker here
        return gateway_id
