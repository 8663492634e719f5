"""Recording what people do with services: the implicit feedback the recommender learns from."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from profiles.models import Citizen
from profiles.selectors import personalisation_allowed
from recommender.models import NEGATIVE_KINDS, Interaction, InteractionChannel, InteractionKind
from services_portal.casework.models import Case, CaseAction, CaseEvent, CaseOrigin
from services_portal.catalog.models import ServiceItem
from services_portal.core.errors import PortalError

# A device clock a little ahead is not a lie; anything further is refused.
CLOCK_SKEW = datetime.timedelta(minutes=5)


class InteractionInvalid(PortalError):
    pass


def _check_kind(kind: str) -> None:
    if kind not in InteractionKind.values:
        allowed = ", ".join(InteractionKind.values)
        raise InteractionInvalid(
            "unknown_interaction_kind",
            _("%(kind)s is not a kind of interaction. Use one of: %(allowed)s.") % {"kind": kind, "allowed": allowed},
            fields={"kind": [_("Unknown kind of interaction.")]},
        )


def _check_channel(channel: str) -> None:
    if channel not in InteractionChannel.values:
        allowed = ", ".join(InteractionChannel.values)
        raise InteractionInvalid(
            "unknown_channel",
            _("%(channel)s is not a channel. Use one of: %(allowed)s.") % {"channel": channel, "allowed": allowed},
            fields={"channel": [_("Unknown channel.")]},
        )


def _check_moment(occurred_at: datetime.datetime, now: datetime.datetime) -> None:
    if timezone.is_naive(occurred_at):
        raise InteractionInvalid(
            "naive_timestamp",
            _("The time must carry its time zone, for example 2026-03-15T09:30:00+08:00."),
            fields={"occurred_at": [_("Give the time zone.")]},
        )
    if occurred_at > now + CLOCK_SKEW:
        raise InteractionInvalid(
            "timestamp_in_future",
            _("The time %(moment)s is in the future.") % {"moment": occurred_at.isoformat()},
            fields={"occurred_at": [_("The time cannot be in the future.")]},
        )


def _service_published(code: str) -> ServiceItem:
    service = ServiceItem.objects.filter(code=code, is_published=True).first()
    if service is None:
        raise InteractionInvalid(
            "unknown_service",
            _("%(code)s is not a service in the catalog.") % {"code": code},
            fields={"service": [_("Unknown service.")]},
        )
    return service


def _checked(
    *, service_code: str, kind: str, channel: str, occurred_at: datetime.datetime | None
) -> tuple[ServiceItem, datetime.datetime]:
    now = timezone.now()
    _check_kind(kind)
    _check_channel(channel)
    occurred_at = occurred_at or now
    _check_moment(occurred_at, now)
    return _service_published(service_code), occurred_at


def interaction_record(
    *,
    citizen: Citizen,
    service_code: str,
    kind: str,
    channel: str,
    occurred_at: datetime.datetime | None = None,
) -> Interaction:
    """Record one interaction; refuses an unknown service, kind or channel and a time in the future."""
    service, occurred_at = _checked(service_code=service_code, kind=kind, channel=channel, occurred_at=occurred_at)
    return Interaction.objects.create(
        citizen=citizen, service=service, kind=kind, channel=channel, occurred_at=occurred_at
    )


@dataclass
class ImportResult:
    stored: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)


def _parse_moment(raw: Any) -> datetime.datetime:
    moment = raw if isinstance(raw, datetime.datetime) else parse_datetime(str(raw or ""))
    if moment is None:
        raise InteractionInvalid("invalid_timestamp", _("Give the time as ISO 8601, like 2026-03-15T09:30:00+08:00."))
    return moment


def interactions_import(*, rows: Iterable[Mapping[str, Any]]) -> ImportResult:
    """Store a batch of interactions (citizen id, service code, kind, channel, occurred_at), each
    row checked on its own: the rows that pass are stored together, each refused row is reported
    with its line and reason."""
    now = timezone.now()
    rows = list(rows)
    services: dict[Any, int] = dict(ServiceItem.objects.filter(is_published=True).values_list("code", "id"))
    citizen_ids = {row.get("citizen") for row in rows}
    known_people = set(
        Citizen.objects.filter(
            pk__in=[i for i in citizen_ids if isinstance(i, int)], erased_at__isnull=True
        ).values_list("pk", flat=True)
    )
    result = ImportResult()
    accepted = []
    for line, row in enumerate(rows, start=1):
        try:
            if row.get("citizen") not in known_people:
                raise InteractionInvalid(
                    "unknown_person", _("%(person)s is not a person the portal knows.") % {"person": row.get("citizen")}
                )
            service_id = services.get(row.get("service"))
            if service_id is None:
                raise InteractionInvalid(
                    "unknown_service", _("%(code)s is not a service in the catalog.") % {"code": row.get("service")}
                )
            kind, channel = str(row.get("kind", "")), str(row.get("channel", ""))
            _check_kind(kind)
            _check_channel(channel)
            occurred_at = _parse_moment(row.get("occurred_at"))
            _check_moment(occurred_at, now)
        except InteractionInvalid as error:
            result.rejections.append({"line": line, "code": error.code, "reason": error.message})
            continue
        accepted.append(
            Interaction(
                citizen_id=row["citizen"], service_id=service_id, kind=kind, channel=channel, occurred_at=occurred_at
            )
        )
    with transaction.atomic():
        Interaction.objects.bulk_create(accepted, batch_size=5000)
    result.stored = len(accepted)
    return result


def interaction_observe(
    *,
    citizen: Citizen,
    service_code: str,
    kind: str,
    channel: str,
    occurred_at: datetime.datetime | None = None,
) -> Interaction | None:
    """What the portal records as a person uses it. Views, saves and applications are kept only while
    the person allows personalisation (their activity is not collected otherwise); a dismissal or
    "not relevant" is always kept, because it is the person's wish that the list must honour. Bad
    input is refused either way."""
    service, occurred_at = _checked(service_code=service_code, kind=kind, channel=channel, occurred_at=occurred_at)
    if kind not in NEGATIVE_KINDS and not personalisation_allowed(citizen):
        return None
    return Interaction.objects.create(
        citizen=citizen, service=service, kind=kind, channel=channel, occurred_at=occurred_at
    )


def interaction_service_viewed(citizen: Citizen, service: ServiceItem) -> None:
    """The catalog's hook (catalog.hooks.on_service_viewed): a view on the web, kept only while the
    person allows personalisation."""
    interaction_observe(
        citizen=citizen, service_code=service.code, kind=InteractionKind.VIEW, channel=InteractionChannel.WEB
    )


# The channel a case's application came through. An online application does not say whether a browser or
# the app sent it: the web is where the applying pages are.
CHANNEL_OF_ORIGIN: dict[str, str] = {
    CaseOrigin.ONLINE: InteractionChannel.WEB,
    CaseOrigin.COUNTER: InteractionChannel.COUNTER,
}
KIND_OF_ACTION: dict[str, str] = {
    CaseAction.SUBMITTED: InteractionKind.APPLY,
    CaseAction.APPROVED: InteractionKind.COMPLETE,
}


def interaction_case_event(case: Case, event: CaseEvent) -> None:
    """Casework's hook (casework.hooks.on_case_event): an application submitted is the person's "apply",
    a caseworker's approval their "complete", on the channel they applied through (counter staff
    applying for them: the counter). Kept whether or not they allow personalisation: an application is
    not activity tracking (training still leaves out people without that consent). A case opened by
    data matching is nothing the person did, and records nothing; an approval given again after an
    objection is not a second completion."""
    kind, channel = KIND_OF_ACTION.get(event.action), CHANNEL_OF_ORIGIN.get(case.origin)
    if kind is None or channel is None:
        return
    if (
        kind == InteractionKind.COMPLETE
        and Interaction.objects.filter(
            citizen_id=case.citizen_id, service_id=case.service_id, kind=kind, occurred_at__gte=case.opened_at
        ).exists()
    ):
        return
    # Written as it is, not through interaction_record's checks: a service unpublished since the person
    # applied must not stop a caseworker's decision.
    Interaction.objects.create(
        citizen_id=case.citizen_id,
        service_id=case.service_id,
        kind=kind,
        channel=channel,
        occurred_at=event.created_at,
    )
