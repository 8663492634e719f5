"""Text messages through a pluggable backend, chosen by the SMS_BACKEND setting in the manner of
Django's e-mail backends.

A backend for a real gateway subclasses `BaseBackend` and implements `send`:

    class AliyunBackend(BaseBackend):
        deduplicates = True  # only if the gateway drops a second message with the same id

        def send(self, *, message_id: str, phone: str, text: str) -> str:
            ...  # call the gateway; return its id for the message
            # raise TemporaryFailure for what may work later (timeouts, throttling, 5xx)
            # raise PermanentFailure for what never will (an invalid or unreachable number)

`message_id` is the portal's own id for the message, the same on every attempt. A gateway that
drops a second message with an id it has seen (`deduplicates = True`) lets the portal send again
after a worker died mid-send; otherwise the portal never sends a message twice, and one whose
outcome is unknown counts as failed and goes to the next channel.
"""

from __future__ import annotations

import fcntl
import json
import logging
import sys
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """A message the gateway did not accept."""


class TemporaryFailure(SmsError):
    """Try again later: the gateway is down, slow or throttling."""


class PermanentFailure(SmsError):
    """Trying again will not help: the number is invalid, unreachable, or refuses messages."""


class BaseBackend:
    # whether the gateway drops a second message with a message id it has already accepted
    deduplicates = False

    def __init__(self, **options: object) -> None:
        self.options = options

    def send(self, *, message_id: str, phone: str, text: str) -> str:
        """Send `text` to `phone`; returns the gateway's id for the message."""
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Writes each message to standard output (or `stream`) and the log: for development. It does not
    remember what it sent, so it cannot drop a second message with the same id."""

    def __init__(self, *, stream: TextIO | None = None, **options: object) -> None:
        super().__init__(**options)
        self.stream = stream

    def send(self, *, message_id: str, phone: str, text: str) -> str:
        stream = self.stream or sys.stdout
        stream.write(f"SMS {message_id} to {phone}: {text}\n")
        stream.flush()
        logger.info("SMS %s to %s sent to the console", message_id, phone)
        return f"console-{message_id}"


class LocmemBackend(BaseBackend):
    """Keeps the messages in `LocmemBackend.outbox` (a list of dicts), like Django's locmem e-mail
    backend; drops a second message with an id it holds."""

    deduplicates = True
    outbox: list[dict[str, str]] = []

    def send(self, *, message_id: str, phone: str, text: str) -> str:
        if not any(message["message_id"] == message_id for message in self.outbox):
            self.outbox.append({"message_id": message_id, "phone": phone, "text": text})
        return f"locmem-{message_id}"


class FileBackend(BaseBackend):
    """One JSON line per message in `messages.jsonl` under SMS_FILE_PATH (or `path`); a second
    message with an id already in the file is not written again, as a gateway that de-duplicates
    would drop it. Several processes may share the file: each write holds an exclusive lock.

    Test numbers simulate a gateway's failures (failed attempts go to `failures.jsonl`):

    - a number ending in ``0000`` fails temporarily, on every attempt;
    - a number ending in ``0001`` fails temporarily on its first attempt, then is delivered
      (a gateway that recovers);
    - a number ending in ``9999`` fails permanently (an unreachable number).
    """

    deduplicates = True
    ALWAYS_TEMPORARY = "0000"
    TEMPORARY_ONCE = "0001"
    PERMANENT = "9999"

    def __init__(self, *, path: str | Path | None = None, **options: object) -> None:
        super().__init__(**options)
        self.directory = Path(path or settings.SMS_FILE_PATH)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.messages = self.directory / "messages.jsonl"
        self.failures = self.directory / "failures.jsonl"
        # ids already in the file, and how far into it they were read: each send reads only what
        # other processes appended since, so a large file costs nothing per message
        self._seen: set[str] = set()
        self._read_up_to = 0

    def send(self, *, message_id: str, phone: str, text: str) -> str:
        if phone.endswith(self.PERMANENT):
            self._failure(message_id, phone, "permanent")
            raise PermanentFailure(f"test number {phone} is unreachable")
        if phone.endswith(self.ALWAYS_TEMPORARY) or (
            phone.endswith(self.TEMPORARY_ONCE) and not self._failed_before(message_id)
        ):
            self._failure(message_id, phone, "temporary")
            raise TemporaryFailure(f"test number {phone}: the gateway is busy")
        with self.messages.open("a+", encoding="utf-8") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            file.seek(self._read_up_to)
            for line in file:
                self._seen.add(json.loads(line)["message_id"])
            if message_id not in self._seen:
                record = {"message_id": message_id, "phone": phone, "text": text, "at": timezone.now().isoformat()}
                file.write(json.dumps(record, ensure_ascii=False) + "\n")
                file.flush()
                self._seen.add(message_id)
            self._read_up_to = file.tell()
        return f"file-{message_id}"

    def _failure(self, message_id: str, phone: str, kind: str) -> None:
        with self.failures.open("a", encoding="utf-8") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            file.write(json.dumps({"message_id": message_id, "phone": phone, "failure": kind}) + "\n")

    def _failed_before(self, message_id: str) -> bool:
        if not self.failures.exists():
            return False
        with self.failures.open(encoding="utf-8") as file:
            return any(json.loads(line)["message_id"] == message_id for line in file)

    def sent(self) -> list[dict[str, str]]:
        """The messages in the file, oldest first."""
        if not self.messages.exists():
            return []
        with self.messages.open(encoding="utf-8") as file:
            return [json.loads(line) for line in file]


_backends: dict[str, BaseBackend] = {}


def get_backend(path: str | None = None, **options: object) -> BaseBackend:
    """The backend named by `path`, else by the SMS_BACKEND setting; one instance per process and
    setting, so that the file backend reads its file once."""
    path = path or settings.SMS_BACKEND
    key = f"{path}:{getattr(settings, 'SMS_FILE_PATH', '')}"
    if options or key not in _backends:
        backend = import_string(path)(**options)
        if options:
            return backend
        _backends[key] = backend
    return _backends[key]
