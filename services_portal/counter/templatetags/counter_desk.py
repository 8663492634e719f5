from typing import Any

from django import template

from profiles.permissions import allowed

register = template.Library()


@register.simple_tag(takes_context=True)
def counter_desk_allowed(context: template.Context) -> bool:
    """Whether the signed-in user serves people at the counter desk, for the main menu."""
    request: Any = context.get("request")
    return allowed(getattr(request, "user", None), "citizen.assist")
