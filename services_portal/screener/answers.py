"""A visitor's screener answers between pages: kept in their browser, never on the server (ADR 0002).

Each step's answers go into one cookie, encrypted and authenticated (Fernet, keyed from SECRET_KEY) so that
nobody can read them from the browser's storage or change them, sent only to /screener/ pages, HttpOnly, and
without an expiry date: the browser drops it when it closes. It is also refused IDLE after the last screener
page re-issued it (a shared computer left open). The server writes no session row, no cache entry and no log
line of the answers: it reads them from the request and forgets them when the response is sent.
"""

from __future__ import annotations

import base64
import datetime
import json
import zlib
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

COOKIE = "screener"
COOKIE_PATH = "/screener/"
IDLE = datetime.timedelta(minutes=30)
# Answers are short (an age, a code, a few dates); anything longer is cut, so that the cookie stays under the
# 4 KB a browser keeps.
VALUE_LENGTH = 120
COOKIE_LENGTH = 4000


@dataclass
class ScreenerAnswers:
    """What a visitor has answered so far, by question as asked ("age", not birth_date); raw form text."""

    given: dict[str, str] = field(default_factory=dict)  # only the questions answered
    # Answers a page refused, with the rest of that page's answers: shown there again with their errors.
    refused: dict[str, str] = field(default_factory=dict)
    # Questions asked on the result page and left blank: not asked again first.
    skipped: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.given or self.refused or self.skipped)

    def answer(self, raw: dict[str, str]) -> None:
        """Take a page's accepted answers: a blank one takes back an earlier answer."""
        for key, value in raw.items():
            self.refused.pop(key, None)
            if value:
                self.given[key] = value[:VALUE_LENGTH]
            else:
                self.given.pop(key, None)

    def refuse(self, raw: dict[str, str]) -> None:
        """Keep a page's answers that did not pass, to show them again with their errors."""
        self.refused = {key: value[:VALUE_LENGTH] for key, value in raw.items()}


def _fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    keys = [
        salted_hmac("services_portal.screener.answers", "fernet", secret=secret, algorithm="sha256").digest()
        for secret in secrets
    ]
    return MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in keys])


def answers_read(request: HttpRequest) -> ScreenerAnswers:
    """The answers this browser sent; none if it sent none, or a cookie that is stale or not ours."""
    token = request.COOKIES.get(COOKIE)
    if not token:
        return ScreenerAnswers()
    try:
        data = json.loads(zlib.decompress(_fernet().decrypt(token, ttl=int(IDLE.total_seconds()))))
        return ScreenerAnswers(
            given={str(key): str(value) for key, value in data.get("given", {}).items()},
            refused={str(key): str(value) for key, value in data.get("refused", {}).items()},
            skipped=[str(key) for key in data.get("skipped", [])],
        )
    except (InvalidToken, zlib.error, ValueError, AttributeError):
        return ScreenerAnswers()


def answers_write(response: HttpResponse, answers: ScreenerAnswers) -> HttpResponse:
    """Send the answers back with the response (which restarts the idle time), or delete them if there are none."""
    if not answers:
        response.delete_cookie(COOKIE, path=COOKIE_PATH, samesite="Lax")
        return response
    data = {"given": answers.given, "refused": answers.refused, "skipped": answers.skipped}
    token = _fernet().encrypt(zlib.compress(json.dumps(data, separators=(",", ":")).encode())).decode()
    if len(token) > COOKIE_LENGTH and answers.refused:
        # a page of absurd answers: keeping the good ones matters more than showing those again
        return answers_write(response, ScreenerAnswers(given=answers.given, skipped=answers.skipped))
    response.set_cookie(
        COOKIE,
        token,
        path=COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
