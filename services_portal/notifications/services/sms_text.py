"""The text of a push as a text message: from a template in the person's language, in one segment.

One segment holds 160 characters of the GSM 7-bit alphabet, or 70 of anything else (Chinese is sent
as UCS-2). A longer message would be split and billed per part, and arrive in pieces on old phones,
so a push is one segment: the portal's name, the title, and a link to the inbox, which holds the whole
message. A title too long for that is cut short with an ellipsis, the link kept whole; when not even a few
characters of the title would fit, the text is refused (`SmsTooLong`, a permanent failure, so the
push goes on to the next channel) rather than sent without saying what it is about.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from services_portal.core.sms import PermanentFailure
from services_portal.notifications.models import Push

GSM_7BIT = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_SEGMENT = 160
UCS2_SEGMENT = 70
# Fewer characters of the title than this do not say what the message is about.
TITLE_AT_LEAST = 8


class SmsTooLong(PermanentFailure):
    """The message cannot be said in one segment."""


def segment_limit(text: str) -> int:
    """How many characters of `text` one segment holds."""
    return GSM_SEGMENT if set(text) <= GSM_7BIT else UCS2_SEGMENT


def recipient_language(citizen_id: int) -> str:
    """The language to write to a person in. The portal keeps no preference yet: the site's language."""
    return settings.LANGUAGE_CODE


def inbox_url() -> str:
    base = settings.PORTAL_BASE_URL.rstrip("/")
    return base + reverse("notifications:inbox")


def _render(language: str, title: str, url: str) -> str:
    return render_to_string(f"notifications/sms/push.{language}.txt", {"title": title, "url": url}).strip()


def sms_text(*, push: Push, language: str, url: str | None = None) -> str:
    """The push as one text message in `language` (zh-hans or en), linking to `url` (the inbox);
    raises SmsTooLong."""
    title = push.title_en if language == "en" else push.title_zh
    url = url or inbox_url()
    text = _render(language, title, url)
    limit = segment_limit(text)
    if len(text) <= limit:
        return text
    ellipsis = "..." if limit == GSM_SEGMENT else "…"
    keep = len(title) - (len(text) - limit) - len(ellipsis)
    if keep < TITLE_AT_LEAST:
        raise SmsTooLong(f"{len(text)} characters do not fit in one segment even with the title cut short")
    text = _render(language, title[:keep].rstrip() + ellipsis, url)
    if len(text) > segment_limit(text):
        raise SmsTooLong(f"{len(text)} characters do not fit in one segment")
    return text
