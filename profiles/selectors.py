"""Reading citizens' data: always scoped to the caller, and logged when someone else reads it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from profiles.facts import FACTS, Sensitivity, facts_with_derived
from profiles.models import (
    AccessLogEntry,
    Citizen,
    ConsentEvent,
    ConsentNotice,
    FactValue,
    TagSuppression,
    User,
)
from profiles.purposes import Purpose


def consent_events_latest(citizen: Citizen) -> dict[str, ConsentEvent]:
    """The latest ledger row per purpose: the consent in force."""
    latest: dict[str, ConsentEvent] = {}
    for event in ConsentEvent.objects.filter(citizen=citizen).select_related("notice").order_by("created_at", "id"):
        latest[event.purpose] = event
    return latest


def consent_given(citizen: Citizen, purpose: Purpose | str) -> bool:
    event = ConsentEvent.objects.filter(citizen=citizen, purpose=purpose).order_by("-created_at", "-id").first()
    return bool(event and event.granted)


@dataclass(frozen=True)
class ConsentStatus:
    purpose: Purpose
    notice: ConsentNotice | None
    event: ConsentEvent | None

    @property
    def granted(self) -> bool:
        return bool(self.event and self.event.granted)

    @property
    def notice_changed(self) -> bool:
        """Granted under an older notice than the one in force now."""
        return self.granted and self.notice is not None and self.event.notice_id != self.notice.pk


def consent_overview(citizen: Citizen) -> list[ConsentStatus]:
    latest = consent_events_latest(citizen)
    notices: dict[str, ConsentNotice] = {}
    for notice in ConsentNotice.objects.order_by("purpose", "version"):
        notices[notice.purpose] = notice
    return [ConsentStatus(purpose, notices.get(purpose), latest.get(purpose)) for purpose in Purpose]


def personalisation_allowed(citizen: Citizen) -> bool:
    """Personalised use needs both the switch on and the consent granted."""
    return citizen.personalisation_enabled and consent_given(citizen, Purpose.PERSONALISATION)


def fact_values_current(citizen: Citizen) -> dict[str, FactValue]:
    """Current, unexpired values; sensitive ones only while the holder's sensitive consent stands."""
    now = timezone.now()
    values = FactValue.objects.filter(citizen=citizen, superseded_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    readable = {key for key, fact in FACTS.items() if fact.sensitivity == Sensitivity.ORDINARY}
    if consent_given(citizen.consent_holder, Purpose.SENSITIVE_FACTS):
        readable = set(FACTS)
    return {value.key: value for value in values if value.key in readable}


def fact_history(citizen: Citizen) -> QuerySet[FactValue]:
    return FactValue.objects.filter(citizen=citizen).select_related("recorded_by").order_by("key", "-recorded_at")


def citizen_facts(citizen: Citizen) -> dict[str, Any]:
    """The citizen's current facts as Python values, ready for eligibility."""
    from profiles.services.facts import fact_decode

    return {key: fact_decode(key, record.value) for key, record in fact_values_current(citizen).items()}


@dataclass(frozen=True)
class LifeEventTag:
    code: str
    name: str
    basis: tuple[FactValue, ...]

    @property
    def basis_ids(self) -> list[int]:
        return sorted(value.pk for value in self.basis)


def citizen_tags(citizen: Citizen, *, on: datetime.date | None = None) -> list[LifeEventTag]:
    """Life events the citizen's facts put them in, each with the facts (and their sources) behind
    it, leaving out tags the citizen deleted unless the facts changed or consent was granted since."""
    from profiles.facts import stored_facts_behind
    from services_portal.catalog.eligibility import Status, expression_compile, expression_status
    from services_portal.catalog.models import LifeEvent

    on = on or timezone.localdate()
    records = fact_values_current(citizen)
    facts = facts_with_derived(citizen_facts(citizen), on=on)
    suppressed = {s.life_event: s for s in TagSuppression.objects.filter(citizen=citizen)}
    last_grant = (
        ConsentEvent.objects.filter(citizen=citizen.consent_holder, granted=True).order_by("-created_at").first()
    )
    tags = []
    for event in LifeEvent.objects.all():
        compiled = expression_compile(event.expression)
        if expression_status(compiled, facts)[0] != Status.MET:
            continue
        keys = {stored for symbol in compiled.symbols for stored in stored_facts_behind(symbol)}
        tag = LifeEventTag(event.code, event.name, tuple(records[key] for key in sorted(keys) if key in records))
        hidden = suppressed.get(event.code)
        if hidden and hidden.basis == tag.basis_ids and not (last_grant and last_grant.created_at > hidden.created_at):
            continue
        tags.append(tag)
    return tags


def access_log_about(citizen: Citizen) -> QuerySet[AccessLogEntry]:
    """Who looked at my data: what the citizen sees of the log."""
    return AccessLogEntry.objects.filter(subject=citizen).select_related("actor")


def access_log_search(
    *,
    subject: Citizen | None = None,
    actor: User | None = None,
    purpose: str = "",
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[AccessLogEntry]:
    entries = AccessLogEntry.objects.select_related("actor", "subject")
    if subject is not None:
        entries = entries.filter(subject=subject)
    if actor is not None:
        entries = entries.filter(actor=actor)
    if purpose:
        entries = entries.filter(purpose=purpose)
    if since:
        entries = entries.filter(created_at__gte=since)
    if until:
        entries = entries.filter(created_at__lt=until)
    return entries


def citizen_of(user: User) -> Citizen:
    """The signed-in citizen's own record; 404 for anyone without one (staff, feeds)."""
    citizen = Citizen.objects.filter(user=user, erased_at__isnull=True).first() if user.is_authenticated else None
    if citizen is None:
        raise Http404
    return citizen
