"""The anonymous eligibility screener: which facts to ask, and what the answers qualify for.

Nothing a visitor enters is stored: answers travel with each request and are dropped after it.
The screener asks for an age instead of a date of birth; everything else is a registry fact.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from profiles.facts import AGE_ANSWER, FACTS, TOPICS, FactDefinition, FactsInvalid, facts_clean
from services_portal.catalog.models import ServiceItem
from services_portal.catalog.rules import catalog_rules
from services_portal.catalog.selectors import services_by_code
from services_portal.eligibility.engine import Outcome, ServiceEligibility, eligibility_evaluate

# The screener asks for an age where the registry stores a date of birth: easier to answer.
ASKED_INSTEAD = {"birth_date": AGE_ANSWER}
ANSWERS = {AGE_ANSWER.key: AGE_ANSWER}


def screener_question(key: str) -> FactDefinition:
    """The definition the screener asks for a stored fact key (age for birth_date)."""
    return ASKED_INSTEAD.get(key) or FACTS.get(key) or ANSWERS[key]


def screener_facts() -> list[FactDefinition]:
    """The facts the published catalog's criteria need, in registry order, as the screener asks them."""
    needed = {key for rules in catalog_rules() for criterion in rules.criteria for key in criterion.compiled.needs}
    return [screener_question(key) for key in FACTS if key in needed]


@dataclass(frozen=True)
class Step:
    number: int
    topic: str
    facts: tuple[FactDefinition, ...]

    @property
    def title(self) -> str:
        return str(TOPICS[self.topic])


def screener_steps(*, per_step: int) -> list[Step]:
    """Questions grouped by topic, at most `per_step` on one page."""
    steps: list[Step] = []
    for topic in TOPICS:
        facts = [fact for fact in screener_facts() if fact.topic == topic]
        for start in range(0, len(facts), per_step):
            steps.append(Step(len(steps) + 1, topic, tuple(facts[start : start + per_step])))
    return steps


def screener_answers_clean(raw: Mapping[str, Any], *, today: datetime.date) -> dict[str, Any]:
    """Validate a visitor's answers; raises PortalError with a message per field."""
    try:
        return facts_clean(raw, today=today, answers=ANSWERS)
    except FactsInvalid as error:
        raise error.portal_error(_("Some answers need correcting.")) from None


@dataclass(frozen=True)
class ScreenedService:
    service: ServiceItem
    eligibility: ServiceEligibility

    @property
    def ask_for(self) -> list[FactDefinition]:
        """What the visitor could tell us to settle the unknown criteria."""
        return [screener_question(key) for key in self.eligibility.missing_facts]


@dataclass(frozen=True)
class ScreenerResult:
    reference_date: datetime.date
    eligible: list[ScreenedService]  # what the answers earned: every criterion met
    maybe: list[ScreenedService]
    not_eligible: list[ScreenedService]
    open: list[ScreenedService]  # no criteria: anyone can use them, whatever the answers


def screener_run(*, answers: Mapping[str, Any], on: datetime.date) -> ScreenerResult:
    """Evaluate the whole published catalog for clean answers, with derived facts (ages) as of `on`."""
    evaluations = eligibility_evaluate(facts=answers, on=on, services=catalog_rules())
    services = services_by_code([evaluation.service_code for evaluation in evaluations])
    grouped: dict[Outcome, list[ScreenedService]] = {outcome: [] for outcome in Outcome}
    for evaluation in evaluations:
        grouped[evaluation.outcome].append(ScreenedService(services[evaluation.service_code], evaluation))
    essential_first = lambda item: (not item.service.essential, item.service.name)  # noqa: E731
    return ScreenerResult(
        reference_date=on,
        eligible=sorted(grouped[Outcome.ELIGIBLE], key=essential_first),
        maybe=sorted(grouped[Outcome.MAYBE], key=essential_first),
        not_eligible=sorted(grouped[Outcome.NOT_ELIGIBLE], key=lambda item: item.service.name),
        open=sorted(grouped[Outcome.OPEN], key=lambda item: item.service.name),
    )
