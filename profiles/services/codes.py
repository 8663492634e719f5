"""One-time codes: issued (throttled), sent by text message or printed at the counter, redeemed once.

A code is kept only as a keyed hash (Django's `salted_hmac` under SECRET_KEY). It expires after a few
minutes, allows `CODE_MAX_ATTEMPTS` wrong tries, and a new code for the same purpose and person revokes
the one before. Issuing is throttled per person and purpose: at most `CODE_SEND_LIMIT_PER_HOUR` an
hour, and not again within `CODE_RESEND_AFTER_SECONDS`.
"""

from __future__ import annotations

import datetime
import secrets
import unicodedata

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from profiles.models import Citizen, CodePurpose, OneTimeCode, User
from services_portal.core import sms
from services_portal.core.errors import PortalError

DIGITS = "0123456789"
# no 0/O, 1/I/L: read aloud at a counter and typed by older people
SLIP_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class CodeThrottled(PortalError):
    status_code = 429


def _ttl(purpose: str) -> datetime.timedelta:
    if purpose == CodePurpose.COUNTER_ACTIVATION:
        return datetime.timedelta(minutes=settings.COUNTER_ACTIVATION_CODE_MINUTES)
    return datetime.timedelta(minutes=settings.CODE_MINUTES)


def _plain_new(purpose: str) -> str:
    if purpose == CodePurpose.COUNTER_ACTIVATION:
        return "".join(secrets.choice(SLIP_ALPHABET) for _ in range(8))
    return "".join(secrets.choice(DIGITS) for _ in range(6))


def _normalised(plain: str) -> str:
    text = unicodedata.normalize("NFKC", str(plain or ""))
    return "".join(character for character in text.upper() if character.isascii() and character.isalnum())


def _digest(plain: str) -> str:
    return salted_hmac("profiles.one-time-code", _normalised(plain), algorithm="sha256").hexdigest()


def _holder(*, citizen: Citizen | None, user: User | None) -> Q:
    if citizen is None and user is None:
        raise ValueError("a code is for a person, an account, or both")
    return Q(citizen=citizen) if user is None else Q(citizen=citizen, user=user)


def masked_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


@transaction.atomic
def code_issue(
    *,
    purpose: CodePurpose,
    citizen: Citizen | None = None,
    user: User | None = None,
    issued_by: User | None = None,
    sent_to: str = "",
) -> tuple[OneTimeCode, str]:
    """A new code and its plain text (shown or sent once, never stored). Revokes the person's earlier
    live code for the same purpose; refuses when codes were asked for too often."""
    now = timezone.now()
    holder = _holder(citizen=citizen, user=user)
    # lock the holder's codes so that two requests at once cannot both pass the throttle
    recent = list(
        OneTimeCode.objects.select_for_update()
        .filter(holder, purpose=purpose, created_at__gte=now - datetime.timedelta(hours=1))
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    )
    if recent and (now - recent[0]).total_seconds() < settings.CODE_RESEND_AFTER_SECONDS:
        wait = settings.CODE_RESEND_AFTER_SECONDS - int((now - recent[0]).total_seconds())
        raise CodeThrottled(
            "code_too_soon",
            ngettext(
                "A code was sent a moment ago. You can ask for a new one in %(seconds)d second.",
                "A code was sent a moment ago. You can ask for a new one in %(seconds)d seconds.",
                wait,
            )
            % {"seconds": wait},
        )
    if len(recent) >= settings.CODE_SEND_LIMIT_PER_HOUR:
        raise CodeThrottled(
            "code_limit",
            _("Too many codes were asked for in the last hour. Try again later, or call the hotline %(hotline)s.")
            % {"hotline": settings.PORTAL_HOTLINE},
        )
    OneTimeCode.objects.filter(holder, purpose=purpose, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    plain = _plain_new(purpose)
    code = OneTimeCode.objects.create(
        purpose=purpose,
        citizen=citizen,
        user=user,
        code_hash=_digest(plain),
        sent_to=masked_phone(sent_to) if sent_to else "",
        issued_by=issued_by,
        expires_at=now + _ttl(purpose),
        max_attempts=settings.CODE_MAX_ATTEMPTS,
    )
    return code, plain


def code_send(*, code: OneTimeCode, plain: str, phone: str) -> None:
    """Text the code to `phone` through the SMS backend, at once (not through the push outbox: a code
    is wanted now, whatever the hour or the daily limit)."""
    # rounded: created_at is stamped a moment after expires_at was worked out
    minutes = round((code.expires_at - code.created_at).total_seconds() / 60)
    text = _(
        "%(portal)s: your code is %(code)s, valid for %(minutes)d minutes. Never tell it to anyone, staff included."
    ) % {"portal": settings.PORTAL_NAME, "code": plain, "minutes": minutes}
    sms.get_backend().send(message_id=f"code-{code.pk}", phone=phone, text=text)


def code_redeem(
    *, purpose: CodePurpose, plain: str, citizen: Citizen | None = None, user: User | None = None
) -> OneTimeCode:
    """Use the holder's live code. A wrong code counts a try (kept even though the caller is refused);
    after `max_attempts` wrong tries, after expiry, or once used, the code is dead."""
    now = timezone.now()
    with transaction.atomic():
        code = (
            OneTimeCode.objects.select_for_update()
            .filter(_holder(citizen=citizen, user=user), purpose=purpose, used_at__isnull=True, revoked_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if code is None:
            raise _refused("code_invalid", _("This code is not valid. Ask for a new one."))
        if code.expires_at <= now:
            raise _refused("code_expired", _("This code has expired. Ask for a new one."))
        if code.attempts >= code.max_attempts:
            raise _refused("code_exhausted", _("Too many wrong tries. Ask for a new code."))
        right = constant_time_compare(_digest(plain), code.code_hash)
        if right:
            code.used_at = now
            code.save(update_fields=["used_at"])
            return code
        OneTimeCode.objects.filter(pk=code.pk).update(attempts=F("attempts") + 1)
    left = code.max_attempts - code.attempts - 1
    message = (
        ngettext(
            "The code is not right. You have %(left)d more try.",
            "The code is not right. You have %(left)d more tries.",
            left,
        )
        % {"left": left}
        if left
        else _("The code is not right, and that was the last try. Ask for a new code.")
    )
    raise _refused("code_wrong", message)


def _refused(code: str, message: str) -> PortalError:
    return PortalError(code, message, fields={"code": [message]})
