"""What the portal is told about a simulated person: their consents, and the facts it holds under them.

Consent rates have no public figures behind them: they are the assumptions in `rates`. Sensitive facts are
held only for people who granted the sensitive-facts consent, department facts only for people who agreed
to data matching; the others declare some facts themselves (online) or tell counter staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from profiles.facts import FACTS
from recommender.simulator import rates
from recommender.simulator.population import CORE_FACTS, SENSITIVE_FACTS, Cohort, day_of

CONSENT_PURPOSES = (
    "personalisation",
    "data_matching",
    "sensitive_facts",
    "proactive_benefits",
    "notify_inbox",
    "notify_sms",
    "notify_counter",
)


@dataclass
class Consents:
    """Who granted what (each granted purpose is one ledger row), and when the person first came."""

    granted: dict[str, np.ndarray]
    withdrawn: np.ndarray  # personalisation granted, then withdrawn before the window
    switched_off: np.ndarray  # personalisation granted, switch turned off
    joined: np.ndarray  # day of the first consent, before the simulated window

    @property
    def personalised(self) -> np.ndarray:
        """Whose activity the portal may record: interaction_observe keeps only dismissals otherwise."""
        return self.granted["personalisation"] & ~self.withdrawn & ~self.switched_off


def consents_draw(rng: np.random.Generator, cohort: Cohort, *, window_start: int) -> Consents:
    n = len(cohort)
    online = cohort.online
    personalisation = rng.random(n) < np.where(
        online, rates.CONSENT_PERSONALISATION.value, rates.CONSENT_PERSONALISATION_OFFLINE.value
    )
    data_matching = rng.random(n) < rates.CONSENT_DATA_MATCHING.value
    sensitive = rng.random(n) < np.where(
        data_matching, rates.CONSENT_SENSITIVE_WITH_MATCHING.value, rates.CONSENT_SENSITIVE_WITHOUT_MATCHING.value
    )
    granted = {
        "personalisation": personalisation,
        "data_matching": data_matching,
        "sensitive_facts": sensitive,
        "proactive_benefits": rng.random(n) < rates.CONSENT_PROACTIVE.value,
        "notify_inbox": rng.random(n) < np.where(online, rates.CONSENT_NOTIFY_INBOX.value, 0.05),
        "notify_sms": rng.random(n) < rates.CONSENT_NOTIFY_SMS.value,
        "notify_counter": rng.random(n) < np.where(online, 0.10, rates.CONSENT_NOTIFY_COUNTER.value),
    }
    withdrawn = personalisation & (rng.random(n) < rates.CONSENT_WITHDRAWN.value)
    switched_off = personalisation & ~withdrawn & (rng.random(n) < rates.PERSONALISATION_SWITCHED_OFF.value)
    joined = window_start - 35 - rng.integers(0, 900, n)
    return Consents(granted=granted, withdrawn=withdrawn, switched_off=switched_off, joined=joined)


@dataclass(frozen=True)
class StoredFact:
    person: int  # index in the cohort
    key: str
    value: Any  # clean Python value
    source: str  # a FactSource value
    department: str
    observed: int  # day


def facts_stored(
    rng: np.random.Generator, cohort: Cohort, consents: Consents, true_facts: list[dict[str, Any]]
) -> list[StoredFact]:
    """The facts the portal holds: from departments for people who agreed to data matching, otherwise
    what they declared themselves (or told counter staff); sensitive facts only with that consent."""
    matching = consents.granted["data_matching"].tolist()
    sensitive_ok = consents.granted["sensitive_facts"].tolist()
    online = cohort.online.tolist()
    joined = consents.joined.tolist()
    keys = [key for key, fact in FACTS.items() if not fact.identity]  # identity facts prove, and are not simulated
    known_draw = rng.random((len(cohort), len(keys)))
    lag = rng.integers(1, 21, (len(cohort), len(keys)))
    event_day = {
        "graduation_date": cohort.graduated,
        "business_registered_date": cohort.business_registered,
    }
    unemployed_since = cohort.unemployed_since.tolist()
    pregnant_known = cohort.pregnant_known.tolist()
    stored = []
    for i, facts in enumerate(true_facts):
        from_department = matching[i]
        # Without data matching, online people declare facts themselves; the others tell counter staff.
        source = "department_feed" if from_department else ("self_declared" if online[i] else "counter_staff")
        for k, key in enumerate(keys):
            if key not in facts:
                continue
            fact = FACTS[key]
            if key in SENSITIVE_FACTS:
                if not sensitive_ok[i]:
                    continue
                chance = 0.9 if from_department else 0.5
            elif key in CORE_FACTS:
                chance = 1.0
            else:
                chance = rates.FACT_KNOWN_FROM_DEPARTMENT.value if from_department else rates.FACT_SELF_DECLARED.value
            if known_draw[i, k] >= chance:
                continue
            value = facts[key]
            # A fact about an event is observed soon after it; the rest when the person first came.
            observed = joined[i]
            if key in event_day:
                observed = max(observed, int(event_day[key][i]) + int(lag[i, k]))
            elif key == "children_birth_dates" and value:
                observed = max(observed, day_of(max(value)) + int(lag[i, k]))
            elif key == "employment_status" and value == "unemployed":
                observed = max(observed, unemployed_since[i] + int(lag[i, k]) // 2)
            elif key == "is_pregnant" and value:
                observed = max(observed, pregnant_known[i])
            department = fact.departments[0] if source == "department_feed" and fact.departments else ""
            stored.append(StoredFact(i, key, value, source, department, min(observed, cohort.today)))
    return stored
