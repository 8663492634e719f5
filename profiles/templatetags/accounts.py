import datetime
from typing import Any

from django import template
from django.utils import formats

from profiles.permissions import allowed
from profiles.selectors import citizen_signed_in

register = template.Library()


@register.simple_tag(takes_context=True)
def account_state(context: template.Context) -> dict[str, Any]:
    """Who is signed in, for the header: the citizen record (or None), whether they audit or decide cases."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "signed_in": False,
            "citizen": None,
            "can_audit": False,
            "can_decide": False,
            "can_pay": False,
            "can_oversee": False,
        }
    return {
        "signed_in": True,
        "citizen": citizen_signed_in(user),
        "can_audit": allowed(user, "access_log.search"),
        "can_decide": allowed(user, "casework.decide"),
        "can_pay": allowed(user, "payments.manage"),
        "can_oversee": allowed(user, "reach.view"),
    }


@register.filter
def whole_hours(duration: datetime.timedelta | None) -> int:
    return max(1, round(duration.total_seconds() / 3600)) if duration else 1


@register.filter
def iso_date(value: str | None) -> str:
    """An ISO date or time from the export, as a date in the page language."""
    if not value:
        return ""
    try:
        return formats.date_format(datetime.datetime.fromisoformat(value).date())
    except ValueError:
        return value
