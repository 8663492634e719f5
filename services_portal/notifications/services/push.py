"""Writing pushes into the outbox, in the transaction of the change that caused them.

A push is one person, one service and one trigger with what set it off (the life event and the day
it started, the case and its version ...). Its idempotency key says exactly that, so writing the same
push again, from a retried task or a redelivered feed batch, writes nothing. Delivery runs after
commit (`services.delivery`), a chunk of pushes per task.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from profiles.models import Citizen
from services_portal.catalog.models import LifeEvent, ServiceItem
from services_portal.core.tasks import enqueue_on_commit
from services_portal.notifications.models import Delivery, DeliveryChannel, DeliveryState, Push, Trigger
from services_portal.notifications.services.delivery import inbox_write

# Pushes per delivery task: large enough to deliver in bulk, small enough that several workers share
# a fan-out and a retried task redoes little.
DELIVERY_CHUNK = 500
# Rows per statement when writing many pushes.
WRITE_CHUNK = 2000
# The task that delivers a chunk of pushes (tasks.deliver_pushes), queued by name: the tasks import us.
DELIVER_TASK = "services_portal.notifications.tasks.deliver_pushes"


def push_key(*, citizen_id: int, service_code: str, trigger: str, key: str) -> str:
    """One push per person, service and trigger, with what set it off."""
    return f"{trigger}:{citizen_id}:{service_code}:{key}"[:200]


@functools.cache
def service_link(code: str) -> str:
    """Where a push about a service takes the person: the service's page."""
    return reverse("catalog:service_detail", args=[code])


def service_params(service: ServiceItem, event: LifeEvent | None = None) -> dict[str, dict[str, str]]:
    """What a push's texts name, in each language: the service, and the life event that brought it."""
    params = {"zh-hans": {"service": service.name_zh}, "en": {"service": service.name_en}}
    if event is not None:
        params["zh-hans"]["event"] = event.name_zh
        params["en"]["event"] = event.name_en
    return params


def texts_render(
    title: Promise | str, body: Promise | str, params: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, tuple[str, str]]:
    """(title, body) in each language: the lazy texts translated, then filled with that language's params."""
    texts = {}
    for language in ("zh-hans", "en"):
        values = (params or {}).get(language, {})
        with translation.override(language):
            texts[language] = (str(title) % values, str(body) % values)
    return texts


@dataclass(frozen=True)
class PushDraft:
    """A push to write, for `pushes_create`."""

    citizen_id: int
    service: ServiceItem
    trigger: str
    key: str
    title: Promise | str
    body: Promise | str
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    link: str = ""
    essential: bool | None = None

    def build(self, texts: dict[str, tuple[str, str]] | None = None) -> Push:
        texts = texts or texts_render(self.title, self.body, self.params)
        return Push(
            citizen_id=self.citizen_id,
            service=self.service,
            trigger=self.trigger,
            idempotency_key=push_key(
                citizen_id=self.citizen_id, service_code=self.service.code, trigger=self.trigger, key=self.key
            ),
            essential=self.service.essential if self.essential is None else self.essential,
            title_zh=texts["zh-hans"][0][:200],
            title_en=texts["en"][0][:200],
            body_zh=texts["zh-hans"][1],
            body_en=texts["en"][1],
            link=self.link,
        )


def _deliver_after_commit(push_ids: Sequence[int]) -> None:
    for start in range(0, len(push_ids), DELIVERY_CHUNK):
        chunk = list(push_ids[start : start + DELIVERY_CHUNK])
        # a broker that is down loses nothing: the dispatcher delivers pushes still unrouted
        enqueue_on_commit(DELIVER_TASK, chunk)


def push_create(
    *,
    citizen: Citizen,
    service: ServiceItem,
    trigger: Trigger | str,
    key: str,
    title: Promise | str,
    body: Promise | str,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    link: str = "",
    essential: bool | None = None,
    inbox_at_once: bool = False,
) -> Push | None:
    """Write a push in the caller's transaction and deliver it after commit. None when the same push
    (person, service, trigger and key) exists already: it is never written twice, and the caller's
    transaction goes on. `inbox_at_once` writes the inbox row now, in this transaction, for what the
    person must find the moment it happens (a decision on their case); the other channels follow
    after commit, with quiet hours and the daily limit."""
    push = PushDraft(
        citizen_id=citizen.pk,
        service=service,
        trigger=trigger,
        key=key,
        title=title,
        body=body,
        params=params or {},
        link=link,
        essential=essential,
    ).build()
    try:
        with transaction.atomic():  # a savepoint: a push that exists leaves the caller's transaction intact
            push.save(force_insert=True)
    except IntegrityError:
        return None
    if inbox_at_once:
        recipient = citizen.consent_holder
        inbox_write(push=push, recipient=recipient)
        Delivery.objects.create(push=push, channel=DeliveryChannel.INBOX, state=DeliveryState.DELIVERED, attempts=1)
    _deliver_after_commit([push.pk])
    return push


def pushes_create(drafts: Iterable[PushDraft]) -> list[int]:
    """Write many pushes in the caller's transaction (those that exist already are left alone) and
    deliver them after commit, in chunks. Returns the ids of the pushes written now."""
    created: list[int] = []
    batch: list[Push] = []

    def flush() -> None:
        keys = [push.idempotency_key for push in batch]
        existing = set(Push.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
        new = [push for push in batch if push.idempotency_key not in existing]
        # Another transaction may write the same push at this moment: then its row stands.
        Push.objects.bulk_create(new, ignore_conflicts=True)
        created.extend(
            Push.objects.filter(idempotency_key__in=[push.idempotency_key for push in new])
            .order_by("-essential", "pk")
            .values_list("pk", flat=True)
        )
        batch.clear()

    # a fan-out writes the same texts for everyone: translate them once
    rendered: dict[tuple, dict[str, tuple[str, str]]] = {}
    for draft in drafts:
        params = tuple(sorted((language, tuple(sorted(values.items()))) for language, values in draft.params.items()))
        key = (str(draft.title), str(draft.body), params)
        if key not in rendered:
            rendered[key] = texts_render(draft.title, draft.body, draft.params)
        batch.append(draft.build(rendered[key]))
        if len(batch) >= WRITE_CHUNK:
            flush()
    if batch:
        flush()
    _deliver_after_commit(created)
    return created
