"""The anonymous eligibility screener: which facts to ask, what the answers qualify for, the most relevant first.

Nothing a visitor enters is stored on the server: the pages keep answers in the visitor's browser (answers.py),
the API takes them with each request; both are dropped after it. The screener asks for an age instead of a date
of birth; everything else is a registry fact.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

from profiles.facts import AGE_ANSWER, FACTS, TOPICS, FactDefinition, FactsInvalid, facts_clean
from services_portal.catalog.models import ServiceItem
from services_portal.catalog.rules import catalog_rules, catalog_version, life_events_compiled, published_services
from services_portal.eligibility.engine import (
    CriterionResult,
    Outcome,
    ServiceEligibility,
    Status,
    eligibility_evaluate,
)
from services_portal.eligibility.life_events import life_events_of

# The screener asks for an age where the registry stores a date of birth: easier to answer.
ASKED_INSTEAD = {"birth_date": AGE_ANSWER}
ANSWERS = {AGE_ANSWER.key: AGE_ANSWER}


def screener_question(key: str) -> FactDefinition:
    """The definition the screener asks for a stored fact key (age for birth_date)."""
    return ASKED_INSTEAD.get(key) or FACTS.get(key) or ANSWERS[key]


def screener_fact_keys(*, version: str | None = None) -> list[str]:
    """The stored facts the published catalog's criteria need and a visitor can state, in registry order.
    `version` (catalog_version), when the caller has just read it, saves reading it again."""
    rules = catalog_rules(version=version)
    needed = {key for service in rules for criterion in service.criteria for key in criterion.compiled.needs}
    return [key for key, fact in FACTS.items() if key in needed and not fact.identity]


def screener_facts() -> list[FactDefinition]:
    """The facts the published catalog's criteria need, in registry order, as the screener asks them."""
    return [screener_question(key) for key in screener_fact_keys()]


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
    asked = screener_facts()
    for topic in TOPICS:
        facts = [fact for fact in asked if fact.topic == topic]
        for start in range(0, len(facts), per_step):
            steps.append(Step(len(steps) + 1, topic, tuple(facts[start : start + per_step])))
    return steps


def screener_step_asking(steps: Sequence[Step], keys: Collection[str]) -> Step | None:
    """The first of `steps` that asks one of the questions `keys` (as asked: "age")."""
    return next((step for step in steps if any(fact.key in keys for fact in step.facts)), None)


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

    @property
    def matched_facts(self) -> frozenset[str]:
        """The stored facts the answers positively meet its criteria on."""
        return frozenset(
            key
            for result in self.eligibility.results
            if result.status == Status.MET
            for key in result.criterion.compiled.needs
        )


@dataclass(frozen=True)
class StepQuestions:
    """Questions one step asks."""

    step: Step
    questions: tuple[FactDefinition, ...]

    @property
    def labels(self) -> str:
        """The questions as one text: "Age, Sex"."""
        return _(", ").join(str(question.label) for question in self.questions)


@dataclass(frozen=True)
class CriterionAnswer:
    """One criterion of a service as the result page shows it: its verdict and, when unknown, where it is asked."""

    result: CriterionResult
    asked_on: tuple[StepQuestions, ...]  # for an unknown criterion: the steps asking what would settle it, in order

    @property
    def status(self) -> Status:
        return self.result.status

    @property
    def label(self) -> str:
        return self.result.criterion.label


def screened_criteria(item: ScreenedService, *, steps: Sequence[Step]) -> list[CriterionAnswer]:
    """Each criterion of `item` with its verdict; an unknown one with the steps asking the questions that settle it."""
    answers = []
    for result in item.eligibility.results:
        needed = {screener_question(key) for key in result.missing}
        asked_on = tuple(
            StepQuestions(step, tuple(fact for fact in step.facts if fact in needed))
            for step in steps
            if needed.intersection(step.facts)
        )
        answers.append(CriterionAnswer(result, asked_on))
    return answers


def screened_rank(items: Iterable[ScreenedService], *, life_events: Collection[str]) -> list[ScreenedService]:
    """`items`, the most relevant to the answers first.

    Essential assistance first (missing it costs a person most); then services the catalog files under more of
    the life events the answers put the person in (an 82-year-old is "elderly", not "new business"); then those
    whose met criteria rest on more of the answers (age and hukou for the old-age allowance, age alone for a
    business licence); then by name. A service with no criteria matches on nothing and is listed apart (open).
    """

    def relevance(item: ScreenedService) -> tuple[bool, int, int, str]:
        events = {event.code for event in item.service.life_events.all()}
        return (
            not item.service.essential,
            -len(events & set(life_events)),
            -len(item.matched_facts),
            item.service.name,
        )

    return sorted(items, key=relevance)


# An essential service (minimum living allowance, medical assistance ...) counts this many times an ordinary one
# when choosing which question to ask next: missing one of them costs a person more.
ESSENTIAL_WEIGHT = 3


@dataclass(frozen=True)
class QuestionValue:
    """What answering one unknown stored fact is worth to the "maybe" services of a result."""

    fact: str  # the stored fact key (birth_date, though the screener asks for an age)
    weight: Fraction
    settles: tuple[str, ...]  # "maybe" services this fact is all that is missing for, in the order given
    narrows: tuple[str, ...] = ()  # "maybe" services that also need other facts

    @property
    def helps(self) -> tuple[str, ...]:
        return self.settles + self.narrows


def questions_rank(
    evaluations: Iterable[ServiceEligibility], *, essential: Collection[str], askable: Collection[str]
) -> list[QuestionValue]:
    """The unknown facts worth asking, the most valuable first: the first is the next best question.

    Each "maybe" service shares its weight (ESSENTIAL_WEIGHT for an essential service, 1 otherwise) equally
    among the stored facts it is missing: a service settled by one fact alone gives it its whole weight,
    one missing three facts gives each a third. A fact's value is the sum of its shares. Facts outside
    `askable` get no value (their share is not passed on: the service still needs them). Equal values
    keep the fact registry's order. Exact fractions, so that three thirds tie with one whole.
    """
    shares: dict[str, Fraction] = {}
    settles: dict[str, list[str]] = {}
    narrows: dict[str, list[str]] = {}
    for evaluation in evaluations:
        if evaluation.outcome != Outcome.MAYBE or not evaluation.missing_facts:
            continue
        missing = evaluation.missing_facts
        share = Fraction(ESSENTIAL_WEIGHT if evaluation.service_code in essential else 1, len(missing))
        for key in missing:
            if key not in askable:
                continue
            shares[key] = shares.get(key, Fraction(0)) + share
            (settles if len(missing) == 1 else narrows).setdefault(key, []).append(evaluation.service_code)
    order = {key: position for position, key in enumerate(FACTS)}
    ranked = sorted(shares, key=lambda key: (-shares[key], order.get(key, len(order))))
    return [QuestionValue(key, shares[key], tuple(settles.get(key, ())), tuple(narrows.get(key, ()))) for key in ranked]


@dataclass(frozen=True)
class NextQuestion:
    """A question worth asking, as the screener asks it, with the "maybe" services it helps decide."""

    question: FactDefinition  # what the visitor answers: the age for birth_date
    settles: list[ScreenedService]  # decided by this answer alone
    narrows: list[ScreenedService]  # brought closer: they need other answers too

    @property
    def key(self) -> str:
        return self.question.key

    @property
    def label(self) -> Any:
        return self.question.label

    @property
    def helps(self) -> list[ScreenedService]:
        return self.settles + self.narrows


@dataclass(frozen=True)
class ScreenerResult:
    reference_date: datetime.date
    eligible: list[ScreenedService]  # what the answers earned: every criterion met, the most relevant first
    maybe: list[ScreenedService]  # ranked as eligible
    not_eligible: list[ScreenedService]
    open: list[ScreenedService]  # no criteria: anyone can use them, whatever the answers
    questions: list[NextQuestion] = field(default_factory=list)  # worth asking, the next best first
    life_events: list[str] = field(default_factory=list)  # names of the life events the answers put the person in

    @property
    def next_question(self) -> NextQuestion | None:
        return self.questions[0] if self.questions else None

    def step_to_answer(self, steps: Sequence[Step]) -> Step | None:
        """The first step asking a question that a "maybe" service is missing: where "answer more" goes on."""
        return screener_step_asking(steps, {question.key for item in self.maybe for question in item.ask_for})


def screener_run(*, answers: Mapping[str, Any], on: datetime.date, skipped: Collection[str] = ()) -> ScreenerResult:
    """Evaluate the whole published catalog for clean answers, with derived facts (ages) as of `on`.

    `skipped` are questions (as asked: "age") the visitor was just asked and left blank: the questions
    worth asking next leave them out, so that "answer more" moves on instead of asking them again.
    """
    version = catalog_version()
    evaluations = eligibility_evaluate(facts=answers, on=on, services=catalog_rules(version=version))
    services = published_services(version=version)
    grouped: dict[Outcome, list[ScreenedService]] = {outcome: [] for outcome in Outcome}
    for evaluation in evaluations:
        grouped[evaluation.outcome].append(ScreenedService(services[evaluation.service_code], evaluation))
    events = life_events_compiled(version=version)
    memberships = life_events_of(answers, rules=[rule for _event, rule in events], on=on)
    maybe = screened_rank(grouped[Outcome.MAYBE], life_events=memberships)
    askable = {key for key in screener_fact_keys(version=version) if screener_question(key).key not in skipped}
    essential = {item.service.code for item in maybe if item.service.essential}
    by_code = {item.service.code: item for item in maybe}
    questions = [
        NextQuestion(
            screener_question(value.fact),
            [by_code[code] for code in value.settles],
            [by_code[code] for code in value.narrows],
        )
        for value in questions_rank((item.eligibility for item in maybe), essential=essential, askable=askable)
    ]
    return ScreenerResult(
        reference_date=on,
        eligible=screened_rank(grouped[Outcome.ELIGIBLE], life_events=memberships),
        maybe=maybe,
        not_eligible=sorted(grouped[Outcome.NOT_ELIGIBLE], key=lambda item: item.service.name),
        open=sorted(grouped[Outcome.OPEN], key=lambda item: item.service.name),
        questions=questions,
        life_events=[event.name for event, rule in events if rule.code in memberships],
    )
