"""Recording facts with their provenance, and the citizen's own corrections."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from profiles.facts import FACTS, FactsInvalid, FactValueError, Sensitivity, facts_clean
from profiles.facts.codec import fact_encode
from profiles.models import Citizen, FactErrorReport, FactSource, FactValue, User
from profiles.purposes import Purpose
from profiles.selectors import consent_given
from services_portal.core.errors import PortalError


def _refuse(key: str, code: str, message: str) -> PortalError:
    return PortalError(code, message, fields={key: [message]})


def fact_replaceable(current: FactValue | None, *, by: FactSource | str) -> bool:
    """Whether a value from source `by` may replace `current`, the person's current value of a fact:
    a value a government department delivered is replaced only by a department's, never by what the
    person states or tells the counter (they report the error instead: fact_error_report). The forms
    leave such facts out; fact_record and facts_self_declare refuse them."""
    return current is None or current.source != FactSource.DEPARTMENT_FEED or by == FactSource.DEPARTMENT_FEED


def _department_values_refused(keys: Iterable[str]) -> PortalError:
    message = _("This value comes from a government department. If it is wrong, report the error.")
    return PortalError("department_value", message, fields={key: [message] for key in sorted(keys)})


def _check_consent(citizen: Citizen, key: str, source: str) -> None:
    fact = FACTS[key]
    holder = citizen.consent_holder
    if fact.sensitivity == Sensitivity.SENSITIVE and not consent_given(holder, Purpose.SENSITIVE_FACTS):
        raise _refuse(
            key,
            "sensitive_consent_required",
            _("%(fact)s is sensitive: it is kept only with your separate consent to hold sensitive facts.")
            % {"fact": fact.label},
        )
    if fact.identity:
        return  # proves who the person is, for nothing else: the legal duty to verify identity covers it
    if source == FactSource.DEPARTMENT_FEED and not consent_given(holder, Purpose.DATA_MATCHING):
        raise _refuse(key, "data_matching_consent_required", _("The person has not agreed to receive department data."))


@transaction.atomic
def fact_record(
    *,
    citizen: Citizen,
    key: str,
    value: Any,
    source: FactSource | str,
    department: str = "",
    recorded_by: User | None = None,
    observed_at: datetime.datetime | None = None,
    expires_at: datetime.datetime | None = None,
) -> FactValue:
    """Store a new value of a fact; the current one becomes history. Refused, with nothing stored,
    for an unknown fact, a bad value, a department that may not deliver it, or missing consent."""
    fact = FACTS.get(key)
    if fact is None:
        raise _refuse(key, "unknown_fact", _("%(key)s is not a fact the portal knows.") % {"key": key})
    try:
        clean = fact.parse(value, today=timezone.localdate())
    except FactValueError as error:
        raise _refuse(key, error.code, error.message) from None
    current = FactValue.objects.select_for_update().filter(citizen=citizen, key=key, superseded_at__isnull=True)
    if not all(fact_replaceable(held, by=source) for held in current):
        raise _department_values_refused([key])
    if fact.identity and source != FactSource.DEPARTMENT_FEED:
        raise _refuse(
            key,
            "identity_fact",
            _("%(fact)s comes only from a government department: it is what proves who you are.")
            % {"fact": fact.label},
        )
    if source == FactSource.DEPARTMENT_FEED and department not in fact.departments:
        raise _refuse(
            key, "department_not_allowed", _("This department may not deliver %(fact)s.") % {"fact": fact.label}
        )
    _check_consent(citizen, key, source)
    now = timezone.now()
    current.update(superseded_at=now)
    record = FactValue.objects.create(
        citizen=citizen,
        key=key,
        value=fact_encode(clean),
        source=source,
        department=department,
        recorded_by=recorded_by,
        observed_at=observed_at or now,
        expires_at=expires_at,
    )
    if key == "region_code" and citizen.region_code != clean:
        citizen.region_code = clean
        citizen.save(update_fields=["region_code"])
    return record


@transaction.atomic
def facts_self_declare(*, citizen: Citizen, values: Mapping[str, Any]) -> list[FactValue]:
    """A citizen states or corrects their own facts. Values from a department cannot be overwritten
    (report an error instead). A blank value withdraws what the citizen said before. Every value is
    checked first; one bad value stores nothing."""
    try:
        clean = facts_clean(values, today=timezone.localdate())
    except FactsInvalid as error:
        raise error.portal_error(_("Some answers need correcting.")) from None
    held = FactValue.objects.filter(citizen=citizen, key__in=clean, superseded_at__isnull=True)
    refused = {record.key for record in held if not fact_replaceable(record, by=FactSource.SELF_DECLARED)}
    if refused:
        raise _department_values_refused(refused)
    cleared = [key for key, value in values.items() if key in FACTS and key not in clean]
    FactValue.objects.filter(
        citizen=citizen, key__in=cleared, superseded_at__isnull=True, source=FactSource.SELF_DECLARED
    ).update(superseded_at=timezone.now())
    current = {
        record.key: record.value
        for record in FactValue.objects.filter(citizen=citizen, key__in=clean, superseded_at__isnull=True)
    }
    return [
        fact_record(citizen=citizen, key=key, value=value, source=FactSource.SELF_DECLARED)
        for key, value in clean.items()
        if current.get(key) != fact_encode(value)
    ]


@transaction.atomic
def fact_error_report(*, citizen: Citizen, fact_value: FactValue, text: str) -> FactErrorReport:
    if fact_value.citizen_id != citizen.pk:
        raise PortalError("not_found", _("Not found."))
    if fact_value.source != FactSource.DEPARTMENT_FEED:
        raise PortalError("own_value", _("You can change this value yourself on your profile."))
    if not text.strip():
        raise PortalError("missing_text", _("Say what is wrong."), fields={"text": [_("Say what is wrong.")]})
    return FactErrorReport.objects.create(fact_value=fact_value, text=text.strip()[:1000])
