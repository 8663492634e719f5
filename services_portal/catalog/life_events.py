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
from services_portal.catalog.rules import life_events_compiled
from services_portal.eligibility.facts import citizen_facts
from services_portal.eligibility.life_events import life_events_of


def citizen_tags(
    citizen: Citizen,
    *,
    on: datetime.date | None = None,
    facts: Mapping[str, Any] | None = None,
    version: str | None = None,
) -> list[LifeEventTag]:
    """Life events the citizen's facts put them in, in code order, each with the facts (and their
    sources) behind it, leaving out tags the citizen deleted unless the facts changed or consent was
    granted since. `facts` and the catalog's `version`, when the caller has already read them, save
    reading them again."""
    on = on or timezone.localdate()
    events = life_events_compiled(version=version)
    records = fact_values_current(citizen)
    memberships = life_events_of(
        citizen_facts(citizen) if facts is None else facts, rules=[rule for _event, rule in events], on=on
    )
    tags = [
        LifeEventTag(event.code, event.name, tuple(records[key] for key in sorted(rule.basis_keys) if key in records))
        for event, rule in events
        if rule.code in memberships
    ]
    return tags_not_deleted(citizen, tags)
