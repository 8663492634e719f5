"""People's facts as the rules read them: their current stored facts as Python values, with the
household facts (its size, the income per person) worked out from the members household registration
links them to. Profiles stores the facts; this is the one place that readies them for eligibility,
life events and the recommender's features.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from profiles.facts.codec import fact_decode
from profiles.models import Citizen
from profiles.selectors import fact_values_for, fact_values_stored, household_members

HOUSEHOLD_INCOME_FROM = "income_monthly"


def facts_for(citizens: Sequence[Citizen]) -> dict[int, dict[str, Any]]:
    """Citizens' current facts as Python values, ready for eligibility (identity facts left out),
    with the household facts worked out where household registration links them to others."""
    records = fact_values_for(list(citizens))
    facts = {
        citizen_id: {key: fact_decode(key, record.value) for key, record in values.items()}
        for citizen_id, values in records.items()
    }
    for citizen_id, household in household_facts(list(facts)).items():
        facts[citizen_id].update(household)
    return facts


def citizen_facts(citizen: Citizen) -> dict[str, Any]:
    """One citizen's current facts as Python values, ready for eligibility (see facts_for)."""
    return facts_for([citizen])[citizen.pk]


def household_facts(citizen_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """household_size from the registered members; the income per person when every member's income
    is known. Only for citizens in a registered household."""
    members_of = household_members(citizen_ids)
    if not members_of:
        return {}
    everyone = {member for members in members_of.values() for member in members}
    incomes = {
        citizen_id: fact_decode(HOUSEHOLD_INCOME_FROM, value)
        for citizen_id, value in fact_values_stored(key=HOUSEHOLD_INCOME_FROM, citizen_ids=everyone).items()
    }
    result: dict[int, dict[str, Any]] = {}
    for citizen_id, members in members_of.items():
        household: dict[str, Any] = {"household_size": len(members)}
        if all(member in incomes for member in members):
            total = sum(incomes[member] for member in members)
            household["household_income_monthly_per_capita"] = (total / len(members)).quantize(Decimal("0.01"))
        result[citizen_id] = household
    return result
