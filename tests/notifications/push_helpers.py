"""People and pushes for the push tests: plain functions, so that each test reads as given / when / then."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_lazy

from profiles.models import Citizen, ConsentChannel, User
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from services_portal.catalog.models import ServiceItem
from services_portal.notifications.models import Push, Trigger
from services_portal.notifications.services import push_create
from tests.factories import citizen_make

SHANGHAI = ZoneInfo("Asia/Shanghai")
DIGITAL = (Purpose.NOTIFY_INBOX, Purpose.NOTIFY_SMS)
# services that are not essential assistance, to push several in a day; the first reaches out when the
# channels before the counter fail (ServiceItem.outreach), as a push must to end at the counter
ORDINARY = (
    "gx-childcare-subsidy",
    "gx-family-doctor",
    "gx-id-card-renewal",
    "gx-hukou-migration",
    "gx-school-enrolment",
)
ESSENTIAL = "gx-disability-certificate"


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A moment of November 2026 in Guangxi (Asia/Shanghai)."""
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def person(
    *,
    online: bool = True,
    consents: Iterable[Purpose] = DIGITAL,
    phone: str = "13800001234",
    region_code: str = "450103",
) -> Citizen:
    """A signed-up person; `online`: signed in today, so reachable in the portal."""
    citizen = citizen_make(region_code=region_code)
    citizen.phone = phone
    citizen.save(update_fields=["phone"])
    User.objects.filter(pk=citizen.user_id).update(last_login=timezone.now() if online else None)
    for purpose in consents:
        consent_grant(citizen=citizen, purpose=purpose, channel=ConsentChannel.WEB)
    return citizen


def push(citizen: Citizen, code: str = ORDINARY[0], *, key: str = "top", trigger: str = Trigger.SWEEP) -> Push | None:
    service = ServiceItem.objects.get(code=code)
    return push_create(
        citizen=citizen,
        service=service,
        trigger=trigger,
        key=key,
        title=gettext_lazy("For you: %(service)s"),
        body=gettext_lazy("You appear to qualify for %(service)s. See what you need and how to apply."),
        params={"zh-hans": {"service": service.name_zh}, "en": {"service": service.name_en}},
        link=f"/services/{code}/",
    )
