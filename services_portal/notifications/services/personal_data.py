"""What happens to a person's messages when their data must go. Registered in profiles.hooks by
NotificationsConfig.ready(): profiles, below this app, cannot call it directly.

- `sensitive_facts` withdrawn: a push not yet delivered everywhere that would tell of a sensitive
  fact (its service or its life events read one: disability, income, pregnancy ...) says only that
  there is news in the portal. What was delivered already is the person's own inbox, and stays.
- Account closed: the inbox and the outbox of the person go.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from profiles.facts import FACTS, Sensitivity
from profiles.models import Citizen
from profiles.purposes import Purpose
from services_portal.catalog.models import ServiceItem
from services_portal.eligibility.derived import stored_facts_behind
from services_portal.eligibility.engine import expression_compile
from services_portal.notifications.models import Delivery, DeliveryState, Notification, Push

NEUTRAL_TITLE = _("News for you in the portal")
NEUTRAL_BODY = _("Sign in to the portal to read it.")
# A delivery in one of these states may still send the push's text somewhere.
UNDELIVERED_STATES = (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.TEMPORARY_FAILURE)


def _reads_sensitive(expressions: list[str]) -> bool:
    sensitive = {key for key, fact in FACTS.items() if fact.sensitivity == Sensitivity.SENSITIVE}
    for text in expressions:
        for symbol in expression_compile(text).symbols:
            if sensitive.intersection(stored_facts_behind(symbol)):
                return True
    return False


def _service_is_sensitive(service: ServiceItem) -> bool:
    expressions = [criterion.expression for criterion in service.criteria.all()]
    expressions += [event.expression for event in service.life_events.all()]
    return _reads_sensitive(expressions)


def pushes_undelivered(citizen: Citizen):
    """The person's (and their wards') pushes that some channel may still send: not yet routed, or
    with a delivery still waiting, sending or to be retried."""
    waiting = Delivery.objects.filter(push=OuterRef("pk"), state__in=UNDELIVERED_STATES)
    return Push.objects.filter(Q(citizen=citizen) | Q(citizen__guardian=citizen)).filter(
        Q(routed_at__isnull=True) | Exists(waiting)
    )


def pushes_consent_withdrawn(citizen: Citizen, purpose: str) -> None:
    if purpose != Purpose.SENSITIVE_FACTS:
        return
    pushes = pushes_undelivered(citizen).select_for_update(of=("self",)).select_related("service")
    pushes = pushes.prefetch_related("service__criteria", "service__life_events")
    for push in pushes:
        if push.service is not None and not _service_is_sensitive(push.service):
            continue
        for language, suffix in (("zh-hans", "zh"), ("en", "en")):
            with translation.override(language):
                setattr(push, f"title_{suffix}", str(NEUTRAL_TITLE))
                setattr(push, f"body_{suffix}", str(NEUTRAL_BODY))
        push.save(update_fields=["title_zh", "title_en", "body_zh", "body_en"])


def notifications_account_closed(citizen: Citizen) -> None:
    Notification.objects.filter(citizen=citizen).delete()
    Push.objects.filter(citizen=citizen).delete()
