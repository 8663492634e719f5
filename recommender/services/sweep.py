"""The scheduled sweep: each person who allows personalisation is pushed their top recommendation.

The recommender picks the service (the batch-scored order where there is one, else the rules'); the
notifications app writes the push into its outbox and brings it to the person. Like the
recommendations themselves, the sweep needs the personalisation consent and the switch on.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from profiles.purposes import Purpose
from profiles.selectors import citizen_regions_with_consent
from recommender.artifact import ArtifactBroken
from recommender.features import ELIGIBLE, CatalogIndex, catalog_index, people_load, personalised_ids
from recommender.models import ModelStatus, RecommenderModel, ScoredList
from recommender.scoring import candidates, rules_scores
from recommender.services.training import artifact_load
from services_portal.catalog.models import ServiceItem
from services_portal.notifications.models import Trigger
from services_portal.notifications.selectors import citizens_pushed_since, services_pushed
from services_portal.notifications.services.push import PushDraft, pushes_create, service_link, service_params
from services_portal.notifications.services.triggers import FOR_YOU_TITLE

# People per task: the same chunks run on one worker or many.
SWEEP_CHUNK = 2000
# The sweep brings a person at most one recommendation this often.
SWEEP_AT_MOST_EVERY = datetime.timedelta(days=7)


def sweep_people() -> Iterator[tuple[str, int]]:
    """Everyone the sweep looks at, as (region code, id) in region order: those whose consent holder
    allows personalisation (each chunk leaves out those who switched it off)."""
    return citizen_regions_with_consent(Purpose.PERSONALISATION)


def _stored_orders(citizen_ids: Sequence[int], index: CatalogIndex) -> dict[int, list[int]]:
    """The serving model's stored lists as item positions, best first. Positions follow the model's
    item order: none are read when it is not the catalog's any more."""
    model = RecommenderModel.objects.filter(status=ModelStatus.ACTIVE).first()
    if model is None:
        return {}
    try:
        if artifact_load(model).item_codes != list(index.codes):
            return {}
    except ArtifactBroken:
        return {}
    lists = ScoredList.objects.filter(citizen_id__in=citizen_ids, model=model).only("citizen_id", "services")
    return {stored.citizen_id: stored.positions.tolist() for stored in lists}


@transaction.atomic
def sweep_pushes_create(*, citizen_ids: Sequence[int], on: datetime.date | None = None) -> int:
    """Push each of these people their top recommendation that they qualify for (by every criterion,
    not "maybe") and were never pushed, at most once every SWEEP_AT_MOST_EVERY. The order is the
    batch-scored one where there is one, else the rules'. Returns the pushes written."""
    on = on or timezone.localdate()
    recent = citizens_pushed_since(citizen_ids, trigger=Trigger.SWEEP, since=timezone.now() - SWEEP_AT_MOST_EVERY)
    allowed = sorted(personalised_ids(citizen_ids) - recent)
    if not allowed:
        return 0
    index = catalog_index()
    people = people_load(allowed, index=index, on=on)
    scored = _stored_orders(allowed, index)
    pushed = services_pushed(allowed)
    # "You appear to qualify" is never said of a service open to everyone.
    allowed_items = candidates(people) & (people.eligibility == ELIGIBLE) & ~index.open_to_everyone[None, :]
    by_rules = np.argsort(-rules_scores(people, index), axis=1, kind="stable")
    chosen: dict[int, int] = {}
    for row, citizen_id in enumerate(people.ids.tolist()):
        for j in [*scored.get(citizen_id, []), *by_rules[row].tolist()]:
            if allowed_items[row, j] and (citizen_id, index.ids[j]) not in pushed:
                chosen[citizen_id] = index.ids[j]
                break
    services = ServiceItem.objects.in_bulk(set(chosen.values()))
    drafts = [
        PushDraft(
            citizen_id=citizen_id,
            service=services[service_id],
            trigger=Trigger.SWEEP,
            key="top",
            title=FOR_YOU_TITLE,
            body=_("You appear to qualify for %(service)s. See what you need and how to apply."),
            params=service_params(services[service_id]),
            link=service_link(services[service_id].code),
        )
        for citizen_id, service_id in chosen.items()
    ]
    return len(pushes_create(drafts))
