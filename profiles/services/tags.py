"""Life-event tags: a citizen may delete one."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from profiles.models import Citizen, TagSuppression
from profiles.selectors import tags_shown
from services_portal.core.errors import PortalError


@transaction.atomic
def tag_delete(*, citizen: Citizen, life_event: str) -> TagSuppression:
    """Hide a tag. It is not derived again from the same facts; a new fact or a new consent brings it back."""
    tag = next((tag for tag in tags_shown(citizen) if tag.code == life_event), None)
    if tag is None:
        raise PortalError("no_such_tag", _("You do not have this tag."))
    TagSuppression.objects.filter(citizen=citizen, life_event=life_event).delete()
    return TagSuppression.objects.create(citizen=citizen, life_event=life_event, basis=tag.basis_ids)
