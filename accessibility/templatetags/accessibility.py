from django import template

register = template.Library()


@register.inclusion_tag("accessibility/display_switches.html", takes_context=True)
def display_switches(context):
    """The language and elder-mode switches shown at the top of every page."""
    request = context["request"]
    return {
        "request": request,
        "display": context["display"],
        "next_url": request.get_full_path(),
        "LANGUAGE_CODE": context.get("LANGUAGE_CODE"),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("accessibility/read_aloud.html")
def read_aloud(target_id: str = "main"):
    """A read-aloud button for the element `target_id`; shown only where speech synthesis exists."""
    return {"target_id": target_id}
