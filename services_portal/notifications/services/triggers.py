"""What makes the portal reach out: a life event a new fact starts, and a new service published for
a life-event group (a decision on a case is casework's push; the regular sweep of recommendations is
the recommender's, recommender.services.sweep).

Life-event and new-service pushes come from the person's profile, so they need the personalisation
consent (and the switch on), like the recommendations themselves.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from profiles.facts.codec import fact_decode
from profiles.hooks import FactChange
from profiles.models import Citizen, TagSuppression
from profiles.purposes import Purpose
from profiles.selectors import citizen_regions_with_consent, consent_in_force
from services_portal.catalog.life_events import citizen_tags
from services_portal.catalog.models import LifeEvent, ServiceItem
from services_portal.catalog.rules import service_rules_build
from services_portal.core.tasks import chunks_by_region, enqueue_on_commit, task_named
from services_portal.eligibility.engine import Outcome, ServiceRules, eligibility_evaluate
from services_portal.eligibility.facts import facts_for
from services_portal.eligibility.life_events import LifeEventRule, life_events_of, life_events_population
from services_portal.eligibility.population import NOT_ELIGIBLE, population_evaluate, population_load
from services_portal.notifications.models import Fanout, Trigger
from services_portal.notifications.services.push import PushDraft, pushes_create, service_link, service_params

# People per task when a trigger reaches a whole group: the same chunks run on one worker or many.
PEOPLE_CHUNK = 2000
# A fan-out not handed to its tasks this long after it was written lost its task: queue it again.
FANOUT_LOST_AFTER = datetime.timedelta(minutes=5)

FOR_YOU_TITLE = _("For you: %(service)s")


def _personalised(citizens: Iterable[Citizen]) -> list[Citizen]:
    """Those who allow personalisation now: the switch on and the consent (theirs, or their guardian's)."""
    citizens = [c for c in citizens if c.erased_at is None and c.personalisation_enabled]
    granted = consent_in_force(citizens, Purpose.PERSONALISATION)
    return [c for c in citizens if c.pk in granted]


def _chunks(items: Sequence[Any], size: int = PEOPLE_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- a new fact starts a life event ----------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    event: LifeEvent
    rule: LifeEventRule
    stored_keys: frozenset[str]
    services: tuple[ServiceItem, ...]
    rules: tuple[ServiceRules, ...]


def _events_with_bundles() -> list[_Event]:
    """Life events with the published services of their bundles, in bundle order."""
    events = []
    for event in LifeEvent.objects.prefetch_related("bundles__items__service__criteria").order_by("code"):
        services = [
            item.service for bundle in event.bundles.all() for item in bundle.items.all() if item.service.is_published
        ]
        services = list(dict.fromkeys(services))
        if not services:
            continue
        rule = LifeEventRule.build(event.code, event.expression)
        events.append(
            _Event(event, rule, rule.basis_keys, tuple(services), tuple(service_rules_build(s) for s in services))
        )
    return events


def _named_date(event: _Event, facts: Mapping[str, Any]) -> datetime.date | None:
    """The latest date the facts behind the event name (a child's birth, a graduation ...)."""
    dates = []
    for key in event.stored_keys:
        value = facts.get(key)
        values = value if isinstance(value, list | tuple) else [value]
        dates += [v for v in values if isinstance(v, datetime.date)]
    return max(dates, default=None)


def _facts_before(after: Mapping[str, Any], changes: Mapping[str, FactChange]) -> dict[str, Any]:
    before = dict(after)
    for key, change in changes.items():
        if change.previous is None:
            before.pop(key, None)
        else:
            before[key] = fact_decode(key, change.previous)
    return before


def life_event_pushes_create(
    *, changes: Mapping[int, Mapping[str, FactChange]], on: datetime.date | None = None
) -> list[int]:
    """Push the services of a life event's bundles to the people a change of facts just put in it
    (a birth makes a newborn parent), in the caller's transaction: the feed batch's. A person already
    in the event is not told again, unless the event started anew (a second child). One push per
    person, service and event start (`<event>:<the day it started>`: the date its facts name, else the
    day the new fact was observed), so a batch delivered again pushes nothing twice. Services the
    person does not qualify for are left out."""
    on = on or timezone.localdate()
    events = _events_with_bundles()
    concerned = {
        citizen_id: [event for event in events if event.stored_keys & set(keys)] for citizen_id, keys in changes.items()
    }
    concerned = {citizen_id: found for citizen_id, found in concerned.items() if found}
    drafts = []
    for chunk in _chunks(sorted(concerned)):
        citizens = _personalised(Citizen.objects.filter(pk__in=list(chunk)))
        facts = facts_for(citizens)
        for citizen in citizens:
            after = facts[citizen.pk]
            before = _facts_before(after, changes[citizen.pk])
            rules = [event.rule for event in concerned[citizen.pk]]
            in_after, in_before = life_events_of(after, rules=rules, on=on), life_events_of(before, rules=rules, on=on)
            for event in concerned[citizen.pk]:
                if event.rule.code not in in_after:
                    continue
                named = _named_date(event, after)
                was_in = event.rule.code in in_before
                if was_in and (named is None or named == _named_date(event, before)):
                    continue
                observed = [c.observed_at for k, c in changes[citizen.pk].items() if k in event.stored_keys]
                started = named or timezone.localtime(max(observed)).date()
                results = eligibility_evaluate(facts=after, on=on, services=event.rules)
                for service, result in zip(event.services, results, strict=True):
                    if result.outcome == Outcome.NOT_ELIGIBLE:
                        continue
                    drafts.append(
                        PushDraft(
                            citizen_id=citizen.pk,
                            service=service,
                            trigger=Trigger.LIFE_EVENT,
                            key=f"{event.event.code}:{started.isoformat()}",
                            title=FOR_YOU_TITLE,
                            body=_(
                                "%(event)s: %(service)s may be for you. See what you need and apply online "
                                "or at a service counter."
                            ),
                            params=service_params(service, event.event),
                            link=service_link(service.code),
                        )
                    )
    return pushes_create(drafts)


def facts_recorded(changes: Mapping[int, Mapping[str, FactChange]]) -> None:
    """Profiles' hook (profiles.hooks.on_facts_recorded), in the transaction that stored the batch."""
    life_event_pushes_create(changes=changes)


# -- a new service published for a group ----------------------------------------------------------


def new_service_announce(*, service: ServiceItem) -> Fanout | None:
    """In the publishing transaction: a service published for life-event groups is to be pushed to
    the people in them. Writes the fan-out (once per service, ever) and queues it after commit; the
    dispatcher queues it again if that task is lost. None when there is nothing (more) to do."""
    if not service.is_published or not service.life_events.exists():
        return None
    fanout, created = Fanout.objects.get_or_create(key=f"new_service:{service.code}", defaults={"service": service})
    if not created:
        return None
    enqueue_on_commit("services_portal.notifications.tasks.fan_out", fanout.pk)
    return fanout


def service_published(service: ServiceItem) -> None:
    """The catalog's hook (catalog.hooks.on_service_published), in the publishing transaction."""
    new_service_announce(service=service)


def fanout_dispatch(*, fanout_id: int) -> int:
    """Queue the fan-out's chunks of people (everyone who allows personalisation; each chunk finds
    its group members) and mark it dispatched. Returns how many people the chunks hold."""
    chunk_task = task_named("services_portal.notifications.tasks.fan_out_chunk")
    fanout = Fanout.objects.get(pk=fanout_id)
    people = 0
    for chunk in chunks_by_region(citizen_regions_with_consent(Purpose.PERSONALISATION), PEOPLE_CHUNK):
        chunk_task.delay(fanout.pk, chunk)
        people += len(chunk)
    Fanout.objects.filter(pk=fanout.pk).update(dispatched_at=timezone.now())
    return people


def fanouts_lost(*, now: datetime.datetime | None = None) -> list[int]:
    """Fan-outs whose task never ran (lost between commit and queue)."""
    now = now or timezone.now()
    return list(
        Fanout.objects.filter(dispatched_at__isnull=True, created_at__lte=now - FANOUT_LOST_AFTER).values_list(
            "pk", flat=True
        )
    )


def _tags_kept(citizens: list[Citizen], codes: set[str]) -> dict[int, set[str]]:
    """For people who deleted one of these tags: the ones they still have (the profile's own rule)."""
    deleted = set(
        TagSuppression.objects.filter(citizen__in=citizens, life_event__in=codes).values_list("citizen_id", flat=True)
    )
    return {c.pk: {tag.code for tag in citizen_tags(c)} for c in citizens if c.pk in deleted}


@transaction.atomic
def new_service_pushes_create(*, fanout_id: int, citizen_ids: Sequence[int], on: datetime.date | None = None) -> int:
    """Push the fan-out's service to those of these people who are in one of its life-event groups and
    may qualify for it. Safe to run twice. Returns the pushes written."""
    on = on or timezone.localdate()
    fanout = Fanout.objects.select_related("service").get(pk=fanout_id)
    service = ServiceItem.objects.prefetch_related("criteria", "life_events").get(pk=fanout.service_id)
    if not service.is_published:
        return 0
    groups = list(service.life_events.all())
    rules = [service_rules_build(service)]
    citizens = _personalised(Citizen.objects.filter(pk__in=list(citizen_ids)))
    # everyone at once: who is in which of the service's groups, and who may qualify
    people = population_load([citizen.pk for citizen in citizens])
    in_group = life_events_population(
        people, rules=[LifeEventRule.build(event.code, event.expression) for event in groups], on=on
    )
    may_qualify = population_evaluate(people, on=on, services=rules).outcomes[:, 0] != NOT_ELIGIBLE
    kept = _tags_kept(citizens, {event.code for event in groups})
    drafts = []
    for row, citizen in enumerate(citizens):
        events = [
            event
            for column, event in enumerate(groups)
            if in_group[row, column] and (citizen.pk not in kept or event.code in kept[citizen.pk])
        ]
        if not events or not may_qualify[row]:
            continue
        drafts.append(
            PushDraft(
                citizen_id=citizen.pk,
                service=service,
                trigger=Trigger.NEW_SERVICE,
                key="published",
                title=_("New: %(service)s"),
                body=_("A new service for %(event)s: %(service)s. See what you need and how to apply."),
                params=service_params(service, events[0]),
                link=service_link(service.code),
            )
        )
    return len(pushes_create(drafts))
