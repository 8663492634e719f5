"""The header's inbox: how many messages are unread, and where an open page listens for new ones."""

from urllib.parse import urlencode

from django import template
from django.utils.translation import get_language

from profiles.models import Citizen
from services_portal.notifications.live import LIVE_INBOX_PATH
from services_portal.notifications.selectors import inbox_unread_count

register = template.Library()


@register.simple_tag
def unread_count(citizen: Citizen) -> int:
    return inbox_unread_count(citizen_id=citizen.pk)


@register.simple_tag
def live_inbox_url() -> str:
    """The live socket's path, telling it the page's language."""
    return f"/{LIVE_INBOX_PATH}?{urlencode({'language': get_language()})}"
