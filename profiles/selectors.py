"""Reading citizens' data: always scoped to the caller, and logged when someone else reads it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import salted_hmac
from knox.models import AuthToken
from qsessions.models import Session

from profiles.display import fact_value_display, field_label
from profiles.facts import FACTS, Sensitivity
from profiles.models import (
    AccessLogEntry,
    Citizen,
    ConsentEvent,
    ConsentNotice,
    FactSource,
    FactValue,
    TagSuppression,
    User,
)
from profiles.purposes import Purpose
from services_portal.eligibility.derived import facts_with_derived
from services_portal.reference import regions


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


def fact_values_for(citizens: list[Citizen], *, identity: bool = False) -> dict[int, dict[str, FactValue]]:
    """Current, unexpired values per citizen; sensitive ones only while the consent holder's
    sensitive-facts consent stands; identity facts (which only prove who a person is) only with
    `identity`, for showing a person what is held on them. Three queries, however many citizens."""
    now = timezone.now()
    holders = {citizen.pk: citizen.guardian_id or citizen.pk for citizen in citizens}
    sensitive_ok = consents_in_force(set(holders.values()), Purpose.SENSITIVE_FACTS)
    ordinary = {
        key
        for key, fact in FACTS.items()
        if fact.sensitivity == Sensitivity.ORDINARY and (identity or not fact.identity)
    }
    result: dict[int, dict[str, FactValue]] = {citizen.pk: {} for citizen in citizens}
    values = FactValue.objects.filter(citizen_id__in=holders, superseded_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    for value in values:
        if value.key in ordinary or holders[value.citizen_id] in sensitive_ok:
            result[value.citizen_id][value.key] = value
    return result


def consents_in_force(citizen_ids: set[int], purpose: Purpose | str) -> set[int]:
    """Which of these citizens have `purpose` granted now (the ledger's latest row), in one query."""
    latest: dict[int, bool] = {}
    events = ConsentEvent.objects.filter(citizen_id__in=citizen_ids, purpose=purpose).order_by("created_at", "id")
    for citizen_id, granted in events.values_list("citizen_id", "granted"):
        latest[citizen_id] = granted
    return {citizen_id for citizen_id, granted in latest.items() if granted}


def citizen_ids_with_consent(purpose: Purpose | str) -> list[int]:
    """Every citizen whose consent holder has `purpose` granted now (wards through their guardian)."""
    holders = consents_in_force(
        set(ConsentEvent.objects.filter(purpose=purpose).values_list("citizen_id", flat=True)), purpose
    )
    ids = Citizen.objects.filter(Q(pk__in=holders) | Q(guardian_id__in=holders), erased_at__isnull=True)
    return sorted(ids.values_list("pk", flat=True))


def fact_values_current(citizen: Citizen) -> dict[str, FactValue]:
    """Every current value held on the citizen, identity facts included: what the person (or staff
    serving them) is shown. Eligibility and the recommender read `facts_for`, which leaves those out."""
    return fact_values_for([citizen], identity=True)[citizen.pk]


def fact_history(citizen: Citizen) -> QuerySet[FactValue]:
    return FactValue.objects.filter(citizen=citizen).select_related("recorded_by").order_by("key", "-recorded_at")


def facts_for(citizens: list[Citizen]) -> dict[int, dict[str, Any]]:
    """Citizens' current facts as Python values, ready for eligibility, with household facts worked
    out from the members where household registration links them."""
    from profiles.services.facts import fact_decode

    records = fact_values_for(citizens)
    facts = {
        citizen_id: {key: fact_decode(key, record.value) for key, record in values.items()}
        for citizen_id, values in records.items()
    }
    for citizen_id, household in _household_facts(list(facts)).items():
        facts[citizen_id].update(household)
    return facts


def _household_facts(citizen_ids: list[int]) -> dict[int, dict[str, Any]]:
    """household_size from the registered members; income per person when every member's income is known."""
    from profiles.models import Household
    from profiles.services.facts import fact_decode

    memberships = Household.members.through.objects.filter(citizen_id__in=citizen_ids)
    household_of = dict(memberships.values_list("citizen_id", "household_id"))
    if not household_of:
        return {}
    members: dict[int, list[int]] = {}
    for household_id, member_id in Household.members.through.objects.filter(
        household_id__in=set(household_of.values())
    ).values_list("household_id", "citizen_id"):
        members.setdefault(household_id, []).append(member_id)
    incomes = {
        value.citizen_id: fact_decode("income_monthly", value.value)
        for value in FactValue.objects.filter(
            citizen_id__in={m for ids in members.values() for m in ids},
            key="income_monthly",
            superseded_at__isnull=True,
        )
    }
    result = {}
    for citizen_id, household_id in household_of.items():
        ids = members[household_id]
        derived: dict[str, Any] = {"household_size": len(ids)}
        if all(member in incomes for member in ids):
            total = sum(incomes[member] for member in ids)
            derived["household_income_monthly_per_capita"] = (total / len(ids)).quantize(Decimal("0.01"))
        result[citizen_id] = derived
    return result


def citizen_facts(citizen: Citizen) -> dict[str, Any]:
    """The citizen's current facts as Python values, ready for eligibility."""
    return facts_for([citizen])[citizen.pk]


@dataclass(frozen=True)
class LifeEventTag:
    code: str
    name: str
    basis: tuple[FactValue, ...]

    @property
    def basis_ids(self) -> list[int]:
        return sorted(value.pk for value in self.basis)


def citizen_tags(
    citizen: Citizen, *, on: datetime.date | None = None, facts: dict[str, Any] | None = None
) -> list[LifeEventTag]:
    """Life events the citizen's facts put them in, each with the facts (and their sources) behind
    it, leaving out tags the citizen deleted unless the facts changed or consent was granted since.
    `facts`, when the caller has already read them, saves reading them again."""
    from services_portal.catalog.models import LifeEvent
    from services_portal.eligibility.derived import stored_facts_behind
    from services_portal.eligibility.engine import Status, expression_compile, expression_status

    on = on or timezone.localdate()
    records = fact_values_current(citizen)
    facts = facts_with_derived(citizen_facts(citizen) if facts is None else facts, on=on)
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
    actor_username: str = "",
) -> QuerySet[AccessLogEntry]:
    entries = AccessLogEntry.objects.select_related("actor", "subject")
    if subject is not None:
        entries = entries.filter(subject=subject)
    if actor is not None:
        entries = entries.filter(actor=actor)
    if actor_username:
        entries = entries.filter(actor__username=actor_username)
    if purpose:
        entries = entries.filter(purpose=purpose)
    if since:
        entries = entries.filter(created_at__gte=since)
    if until:
        entries = entries.filter(created_at__lt=until)
    return entries


def citizen_signed_in(user: User | Any) -> Citizen | None:
    """The signed-in user's own citizen record, or None for visitors, staff and feeds."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Citizen.objects.filter(user=user, erased_at__isnull=True).first()


def citizen_of(user: User) -> Citizen:
    """The signed-in citizen's own record; 404 for anyone without one (staff, feeds)."""
    citizen = citizen_signed_in(user)
    if citizen is None:
        raise Http404
    return citizen


def department_names() -> dict[str, str]:
    """Department codes (as facts record them) to their names in the active language."""
    from services_portal.catalog.models import Department

    return {department.code: department.name for department in Department.objects.all()}


def _iso(moment: datetime.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def citizen_export(citizen: Citizen) -> dict[str, Any]:
    """Everything the portal holds on the citizen, as JSON-ready data: the right of access (PIPL
    art. 45). Every fact value held, current or past, with its provenance, including sensitive ones
    the portal may not use without consent (marked `in_use: false`); the life-event tags and why;
    the consent ledger; the access log about them; and what they did with services (the interactions
    the recommender learns from). Labels are in the active language."""
    from recommender.models import Interaction

    departments = department_names()
    in_use = fact_values_current(citizen)

    def provenance(record: FactValue) -> dict[str, Any]:
        fact = FACTS.get(record.key)
        return {
            "key": record.key,
            "label": field_label(record.key),
            "value": record.value,
            "value_display": fact_value_display(record.key, record.value),
            "sensitive": bool(fact and fact.sensitivity == Sensitivity.SENSITIVE),
            "source": record.source,
            "source_label": record.get_source_display(),
            "department": record.department,
            "department_name": departments.get(record.department, record.department),
            "observed_at": _iso(record.observed_at),
            "recorded_at": _iso(record.recorded_at),
        }

    facts = [
        {
            **provenance(record),
            "current": record.superseded_at is None,
            "in_use": in_use.get(record.key) == record,
            "expires_at": _iso(record.expires_at),
            "superseded_at": _iso(record.superseded_at),
            "error_reports": [
                {"text": report.text, "created_at": _iso(report.created_at), "resolved_at": _iso(report.resolved_at)}
                for report in record.error_reports.all()
            ],
        }
        for record in fact_history(citizen).prefetch_related("error_reports")
    ]
    consents = ConsentEvent.objects.filter(citizen=citizen).select_related("notice").order_by("created_at", "id")
    return {
        "exported_at": _iso(timezone.now()),
        "citizen": {
            "name": citizen.name,
            "resident_id_masked": citizen.resident_id_masked,
            "phone": citizen.phone,
            "region_code": citizen.region_code,
            "region_name": regions.display_name(citizen.region_code) if citizen.region_code else "",
            "personalisation_enabled": citizen.personalisation_enabled,
            "created_at": _iso(citizen.created_at),
        },
        "facts": facts,
        "tags": [
            {"code": tag.code, "name": tag.name, "facts": [provenance(record) for record in tag.basis]}
            for tag in citizen_tags(citizen)
        ],
        "tags_deleted": [
            {"life_event": hidden.life_event, "created_at": _iso(hidden.created_at)}
            for hidden in TagSuppression.objects.filter(citizen=citizen).order_by("created_at")
        ],
        "consents": [
            {
                "purpose": event.purpose,
                "purpose_label": event.get_purpose_display(),
                "granted": event.granted,
                "notice_version": event.notice.version,
                "channel": event.channel,
                "channel_label": event.get_channel_display(),
                "witnessed": event.witness_id is not None,
                "created_at": _iso(event.created_at),
            }
            for event in consents
        ],
        "access_log": [
            {
                "created_at": _iso(entry.created_at),
                "actor": entry.actor.username,
                "actor_role": entry.actor_role,
                "actor_role_label": entry.get_actor_role_display(),
                "fields": entry.fields,
                "field_labels": [field_label(key) for key in entry.fields],
                "purpose": entry.purpose,
                "purpose_label": entry.get_purpose_display(),
                "channel": entry.channel,
                "channel_label": entry.get_channel_display(),
            }
            for entry in access_log_about(citizen)
        ],
        "interactions": [
            {
                "service": interaction.service.code,
                "service_name": interaction.service.name,
                "kind": interaction.kind,
                "kind_label": interaction.get_kind_display(),
                "channel": interaction.channel,
                "channel_label": interaction.get_channel_display(),
                "occurred_at": _iso(interaction.occurred_at),
            }
            for interaction in Interaction.objects.filter(citizen=citizen).select_related("service")
        ],
    }


# -- identity: the phone a code may go to, and the devices signed in ---------------------------------

VERIFIED_PHONE_FACT = "mobile_phone"


def citizen_verified_phone(citizen: Citizen) -> str:
    """The phone a code that proves who someone is may go to: the current mobile number a department
    delivered, else the account's own number once the account is bound to the person (`bound_at`);
    none for an account nobody has proven is its owner's."""
    now = timezone.now()
    delivered = (
        FactValue.objects.filter(
            citizen=citizen, key=VERIFIED_PHONE_FACT, source=FactSource.DEPARTMENT_FEED, superseded_at__isnull=True
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list("value", flat=True)
        .first()
    )
    if delivered:
        return str(delivered)
    if getattr(citizen, "bound_at", None) is not None:
        return citizen.phone
    return ""


@dataclass(frozen=True)
class SignedInDevice:
    """A browser session or an app token of one account, as the devices page lists it."""

    kind: str  # "web" or "app"
    id: str  # opaque: never the session key or the token
    name: str  # the browser and system for a session, the name the app gave for a token
    signed_in_at: datetime.datetime | None
    last_seen_at: datetime.datetime | None
    expires_at: datetime.datetime | None
    current: bool


def device_id(kind: str, key: str) -> str:
    """An id for a session or token that is safe to show and post back: a keyed hash of its key."""
    return salted_hmac("profiles.signed-in-device", f"{kind}:{key}", algorithm="sha256").hexdigest()[:32]


def _browser_name(session: Session) -> str:
    result = session.device_info
    if result is None:
        return ""
    parts = []
    if result.user_agent:
        parts.append(" ".join(filter(None, [result.user_agent.family, result.user_agent.major])))
    if result.os:
        parts.append(" ".join(filter(None, [result.os.family, result.os.major])))
    return " · ".join(parts)


def user_sessions(user: User) -> QuerySet[Session]:
    return Session.objects.filter(user=user, expire_date__gt=timezone.now())


def user_tokens(user: User) -> QuerySet[AuthToken]:
    now = timezone.now()
    return (
        AuthToken.objects.filter(Q(expiry__isnull=True) | Q(expiry__gt=now), user=user)
        .select_related("device")
        .order_by("-created")
    )


def signed_in_devices(
    user: User, *, current_session_key: str | None = None, current_token: AuthToken | None = None
) -> list[SignedInDevice]:
    """Every browser session and app token the account is signed in with, the caller's own first,
    then the most recently used."""
    web = [
        SignedInDevice(
            kind="web",
            id=device_id("web", session.session_key),
            name=_browser_name(session),
            signed_in_at=session.created_at,
            last_seen_at=session.updated_at,
            expires_at=session.expire_date,
            current=session.session_key == current_session_key,
        )
        for session in user_sessions(user)
    ]
    app = [
        SignedInDevice(
            kind="app",
            id=device_id("app", token.digest),
            name=getattr(getattr(token, "device", None), "device_name", ""),
            signed_in_at=token.created,
            last_seen_at=None,
            expires_at=token.expiry,
            current=current_token is not None and token.digest == current_token.digest,
        )
        for token in user_tokens(user)
    ]
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    newest_first = sorted(
        web + app, key=lambda device: device.last_seen_at or device.signed_in_at or epoch, reverse=True
    )
    return sorted(newest_first, key=lambda device: not device.current)
