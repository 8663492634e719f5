"""Reading citizens' data: always scoped to the caller, and logged when someone else reads it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import salted_hmac
from knox.models import AuthToken
from qsessions.models import Session

from profiles import hooks
from profiles.consent_summaries import ConsentSummary, consent_summary
from profiles.display import fact_value_display, field_label
from profiles.facts import FACTS, Sensitivity
from profiles.models import (
    AccessLogEntry,
    BankAccount,
    Citizen,
    ConsentEvent,
    ConsentNotice,
    FactSource,
    FactValue,
    Household,
    TagSuppression,
    User,
)
from profiles.purposes import Purpose
from services_portal.reference import regions


def consent_events_latest(citizen: Citizen) -> dict[str, ConsentEvent]:
    """The latest ledger row per purpose: the consent in force."""
    latest: dict[str, ConsentEvent] = {}
    for event in ConsentEvent.objects.filter(citizen=citizen).select_related("notice").order_by("created_at", "id"):
        latest[event.purpose] = event
    return latest


def consent_given(citizen: Citizen, purpose: Purpose | str) -> bool:
    """Whether this record's own ledger grants `purpose` now. For what covers a ward's data, ask about
    `citizen.consent_holder`, or use `consent_in_force`."""
    return citizen.pk in _ledger_granted({citizen.pk}, [str(purpose)])[str(purpose)]


class ConsentSubject(Protocol):
    """A person as the consent selectors need them: a Citizen, or any row with its id and guardian's."""

    @property
    def pk(self) -> int: ...

    @property
    def guardian_id(self) -> int | None: ...


def consent_holders(people: Iterable[ConsentSubject]) -> dict[int, int]:
    """Whose ledger covers each person's data, by person id: a ward's consent is held by their guardian
    (PIPL art. 31), anyone else's by themselves. The batch form of `Citizen.consent_holder`."""
    return {person.pk: person.guardian_id or person.pk for person in people}


_LATEST_GRANTED_SQL = """
SELECT citizen_id, purpose FROM (
    SELECT DISTINCT ON (citizen_id, purpose) citizen_id, purpose, granted
    FROM profiles_consentevent
    WHERE citizen_id = ANY(%s::int8[]) AND purpose = ANY(%s)
    ORDER BY citizen_id, purpose, created_at DESC, id DESC
) AS latest
WHERE granted
"""


def _ledger_granted(holder_ids: Iterable[int], purposes: Sequence[str]) -> dict[str, set[int]]:
    """For each purpose, the ledger owners among `holder_ids` whose latest row grants it: one query.
    The ledger is append-only, so its latest row per purpose is the consent in force."""
    granted_by_purpose: dict[str, set[int]] = {purpose: set() for purpose in purposes}
    if connection.vendor == "postgresql":
        # A feed batch asks for tens of thousands of people: the database picks each one's latest row,
        # and the ids go as one array (whose length the planner sees: it picks the index), not one parameter each.
        with connection.cursor() as cursor:
            cursor.execute(_LATEST_GRANTED_SQL, [sorted(set(holder_ids)), list(purposes)])
            for holder, purpose in cursor.fetchall():
                granted_by_purpose[purpose].add(holder)
        return granted_by_purpose
    latest: dict[tuple[int, str], bool] = {}
    events = ConsentEvent.objects.filter(citizen_id__in=set(holder_ids), purpose__in=purposes)
    for holder, purpose, granted in events.order_by("created_at", "id").values_list("citizen_id", "purpose", "granted"):
        latest[holder, purpose] = granted
    for (holder, purpose), is_granted in latest.items():
        if is_granted:
            granted_by_purpose[purpose].add(holder)
    return granted_by_purpose


def consent_in_force_by_purpose(
    people: Iterable[ConsentSubject], purposes: Iterable[Purpose | str]
) -> dict[str, set[int]]:
    """For each purpose, the people (by id, not their holders) whose consent holder has it granted
    now. One query, however many people and purposes."""
    holder_of = consent_holders(people)
    granted = _ledger_granted(holder_of.values(), [str(purpose) for purpose in purposes])
    return {
        purpose: {person for person, holder in holder_of.items() if holder in holders}
        for purpose, holders in granted.items()
    }


def consent_in_force(people: Iterable[ConsentSubject], purpose: Purpose | str) -> set[int]:
    """The people (by id, not their holders) whose consent holder has `purpose` granted now: the
    guardian's ledger for a ward, their own for anyone else. One query, however many people."""
    return consent_in_force_by_purpose(people, [purpose])[str(purpose)]


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
        return (
            self.event is not None
            and self.event.granted
            and self.notice is not None
            and self.event.notice_id != self.notice.pk
        )

    @property
    def summary(self) -> ConsentSummary | None:
        """The plain-language summary of the notice in force, shown above its legal text."""
        return consent_summary(self.purpose, self.notice.version if self.notice else None)


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
    sensitive_ok = consent_in_force(citizens, Purpose.SENSITIVE_FACTS)
    shown = {key: fact.sensitivity for key, fact in FACTS.items() if identity or not fact.identity}
    result: dict[int, dict[str, FactValue]] = {citizen.pk: {} for citizen in citizens}
    values = FactValue.objects.filter(citizen_id__in=list(result), superseded_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    for value in values:
        sensitivity = shown.get(value.key)
        if sensitivity == Sensitivity.ORDINARY or (sensitivity is not None and value.citizen_id in sensitive_ok):
            result[value.citizen_id][value.key] = value
    return result


def _citizens_with_consent(purpose: Purpose | str) -> QuerySet[Citizen]:
    purpose = str(purpose)
    ledgers = ConsentEvent.objects.filter(purpose=purpose).values_list("citizen_id", flat=True)
    holders = _ledger_granted(ledgers, [purpose])[purpose]
    return Citizen.objects.filter(Q(pk__in=holders) | Q(guardian_id__in=holders), erased_at__isnull=True)


def citizen_ids_with_consent(purpose: Purpose | str) -> list[int]:
    """Every live citizen whose consent holder has `purpose` granted now: the holders themselves and
    their wards (`consent_holders` read backwards)."""
    return sorted(_citizens_with_consent(purpose).values_list("pk", flat=True))


def citizen_regions_with_consent(purpose: Purpose | str) -> Iterator[tuple[str, int]]:
    """The same people as citizen_ids_with_consent, each as (region code, id), in that order, read as
    they are used: what chunks by region are cut from (services_portal.core.tasks.chunks_by_region)."""
    people = _citizens_with_consent(purpose).order_by("region_code", "pk").values_list("region_code", "pk")
    return people.iterator(chunk_size=20_000)


def fact_values_current(citizen: Citizen) -> dict[str, FactValue]:
    """Every current value held on the citizen, identity facts included: what the person (or staff
    serving them) is shown. The rules read services_portal.eligibility.facts, which leaves those out."""
    return fact_values_for([citizen], identity=True)[citizen.pk]


def fact_history(citizen: Citizen) -> QuerySet[FactValue]:
    return FactValue.objects.filter(citizen=citizen).select_related("recorded_by").order_by("key", "-recorded_at")


def household_members(citizen_ids: Iterable[int]) -> dict[int, list[int]]:
    """For each of these citizens whom household registration links to others, everyone in that
    household (themselves included). Two queries, however many citizens."""
    memberships = Household.members.through.objects.filter(citizen_id__in=citizen_ids)
    household_of = dict(memberships.values_list("citizen_id", "household_id"))
    if not household_of:
        return {}
    members: dict[int, list[int]] = {}
    for household_id, member_id in Household.members.through.objects.filter(
        household_id__in=set(household_of.values())
    ).values_list("household_id", "citizen_id"):
        members.setdefault(household_id, []).append(member_id)
    return {citizen_id: members[household_id] for citizen_id, household_id in household_of.items()}


def fact_values_stored(*, key: str, citizen_ids: Iterable[int]) -> dict[int, Any]:
    """The current stored value (as stored, not decoded) of one fact for each of these citizens who
    has one: for household facts, which add up the members' values whatever each member consented to."""
    values = FactValue.objects.filter(citizen_id__in=citizen_ids, key=key, superseded_at__isnull=True)
    return {value.citizen_id: value.value for value in values}


@dataclass(frozen=True)
class LifeEventTag:
    """A life event the person is in, with the facts behind it: what the tags pages and the export show."""

    code: str
    name: str
    basis: tuple[FactValue, ...]

    @property
    def basis_ids(self) -> list[int]:
        return sorted(value.pk for value in self.basis)


def tags_not_deleted(citizen: Citizen, tags: Sequence[LifeEventTag]) -> list[LifeEventTag]:
    """The tags less those the citizen deleted, unless the facts behind one changed or consent was
    granted since: a deleted tag is not derived again from the same facts without new consent."""
    suppressed = {s.life_event: s for s in TagSuppression.objects.filter(citizen=citizen)}
    last_grant = (
        ConsentEvent.objects.filter(citizen=citizen.consent_holder, granted=True).order_by("-created_at").first()
    )
    kept = []
    for tag in tags:
        hidden = suppressed.get(tag.code)
        if hidden and hidden.basis == tag.basis_ids and not (last_grant and last_grant.created_at > hidden.created_at):
            continue
        kept.append(tag)
    return kept


def tags_shown(citizen: Citizen) -> list[LifeEventTag]:
    """The life-event tags the citizen is shown, as the app that holds the life events works them
    out (hooks.life_event_tags)."""
    return [tag for tags in hooks.life_event_tags.collect(citizen) for tag in tags]


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


def bank_account_of(citizen: Citizen) -> BankAccount | None:
    """The account the person's benefits are paid into: the latest recorded."""
    return BankAccount.objects.filter(citizen=citizen).order_by("-created_at", "-id").first()


def department_names() -> dict[str, str]:
    """Department codes (as facts record them) to their names in the active language, from the app
    that keeps the departments (hooks.department_names)."""
    names: dict[str, str] = {}
    for provided in hooks.department_names.collect():
        names.update(provided)
    return names


def _iso(moment: datetime.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def citizen_export(citizen: Citizen) -> dict[str, Any]:
    """Everything the portal holds on the citizen, as JSON-ready data: the right of access (PIPL
    art. 45). Every fact value held, current or past, with its provenance, including sensitive ones
    the portal may not use without consent (marked `in_use: false`); the life-event tags and why;
    the consent ledger; the access log about them; and the sections the apps above profiles hold
    (hooks.export_sections: what they did with services, which the recommender learns from). Labels
    are in the active language."""
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
    export: dict[str, Any] = {
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
            for tag in tags_shown(citizen)
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
    }
    export["bank_accounts"] = [
        {
            "bank_name": account.bank_name,
            "account_number_masked": account.masked,
            "holder_name": account.holder_name,
            "source": account.source,
            "source_label": account.get_source_display(),
            "created_at": _iso(account.created_at),
        }
        for account in BankAccount.objects.filter(citizen=citizen).order_by("created_at", "id")
    ]
    for sections in hooks.export_sections.collect(citizen):
        export.update(sections)
    return export


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
