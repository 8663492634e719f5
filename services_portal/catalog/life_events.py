"""Life-event tags: the catalog's life events a person's facts put them in, each with the facts behind
it, as the person is shown them (profiles' pages, API and export through profiles.hooks.life_event_tags)
and as the recommender and push triggers respect them (a deleted tag stays deleted)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from profiles.models import Citizen
from profiles.selectors import LifeEventTag, fact_values_current, tags_not_deleted
from services_portal.catalog.models import LifeEvent
from services_portal.eligibility.facts import citizen_facts
from services_portal.eligibility.life_events import LifeEventRule, life_events_of


def citizen_tags(
    citizen: Citizen, *, on: datetime.date | None = None, facts: Mapping[str, Any] | None = None
) -> list[LifeEventTag]:
    """Life events the citizen's facts put them in, in code order, each with the facts (and their
    sources) behind it, leaving out tags the citizen deleted unless the facts changed or consent was
    granted since. `facts`, when the caller has already read them, saves reading them again."""
    on = on or timezone.localdate()
    events = list(LifeEvent.objects.all())  # the names too, so not the cached life_event_rules()
    rules = [LifeEventRule.build(event.code, event.expression) for event in events]
    records = fact_values_current(citizen)
    memberships = life_events_of(citizen_facts(citizen) if facts is None else facts, rules=rules, on=on)
    tags = [
        LifeEventTag(event.code, event.name, tuple(records[key] for key in sorted(rule.basis_keys) if key in records))
        for event, rule in zip(events, rules, strict=True)
        if rule.code in memberships
    ]
    return tags_not_deleted(citizen, tags)
