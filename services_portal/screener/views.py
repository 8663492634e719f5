"""The screener pages: question steps, "check your answers", and the result.

Answers travel in hidden fields from page to page and are never stored (no session, no log):
each page is a POST that carries everything answered so far.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accessibility.middleware import DisplayHttpRequest
from profiles.facts import NONE_ANSWER, FactDefinition, FactType
from profiles.facts.fields import fact_form_value
from services_portal.core.errors import PortalError
from services_portal.reference import regions
from services_portal.screener.forms import StepForm
from services_portal.screener.screening import (
    ScreenerResult,
    Step,
    screener_answers_clean,
    screener_run,
    screener_steps,
)

QUESTIONS_PER_STEP = 5
QUESTIONS_PER_STEP_ELDER = 3


def _display_value(fact: FactDefinition, raw: str) -> str:
    if not raw:
        return _("Not answered")
    if fact.none_answer and raw.lower() == NONE_ANSWER:
        return str(fact.none_answer)
    if fact.type == FactType.BOOLEAN:
        return {"true": _("Yes"), "false": _("No")}.get(raw, raw)
    if fact.type == FactType.CHOICE:
        return fact.choice_label(raw)
    if fact.type == FactType.REGION:
        return regions.display_name(raw)
    return raw


def _step_page(
    request: HttpRequest, step: Step, steps: list[Step], raw: dict[str, str], form: StepForm | None = None
) -> HttpResponse:
    today = timezone.localdate()
    if form is None:
        form = StepForm(initial={fact.key: raw.get(fact.key, "") for fact in step.facts}, facts=step.facts, today=today)
    own = {fact.key for fact in step.facts}
    context = {
        "step": step,
        "steps": steps,
        "form": form,
        "hidden_answers": {key: value for key, value in raw.items() if value and key not in own},
    }
    return render(request, "screener/step.html", context, status=400 if form.errors else 200)


def _more_page(
    request: HttpRequest, facts: tuple[FactDefinition, ...], raw: dict[str, str], skipped: list[str], form: StepForm
) -> HttpResponse:
    """The unanswered questions that matter, the next best first: "answer more" goes on from the unknowns."""
    own = {fact.key for fact in facts}
    context = {
        "form": form,
        "asked": ",".join(fact.key for fact in facts),
        "skipped": ",".join(skipped),
        "hidden_answers": {key: value for key, value in raw.items() if value and key not in own},
    }
    return render(request, "screener/more.html", context, status=400 if form.errors else 200)


def _result_page(request: HttpRequest, result: ScreenerResult, raw: dict[str, str], skipped: list[str]) -> HttpResponse:
    question = result.next_question
    today = timezone.localdate()
    context = {
        "result": result,
        "hidden_answers": {key: value for key, value in raw.items() if value},
        "skipped": ",".join(skipped),
        # the next best question, answerable on the result page itself
        "question_form": StepForm(facts=(question.question,), today=today) if question else None,
    }
    return render(request, "screener/result.html", context)


def _keys(value: str, known: dict[str, FactDefinition]) -> list[str]:
    """Question keys from a hidden field ("age,hukou_type"), only those the screener asks, once each."""
    return list(dict.fromkeys(key for key in value.split(",") if key in known))


def _check_page(request: HttpRequest, steps: list[Step], raw: dict[str, str]) -> HttpResponse:
    rows = [(step, [(fact, _display_value(fact, raw.get(fact.key, ""))) for fact in step.facts]) for step in steps]
    answers = {key: value for key, value in raw.items() if value}
    return render(request, "screener/check.html", {"rows": rows, "hidden_answers": answers, "steps": steps})


@never_cache
def screener_page(request: DisplayHttpRequest) -> HttpResponse:
    per_step = QUESTIONS_PER_STEP_ELDER if request.display.elder_mode else QUESTIONS_PER_STEP
    steps = screener_steps(per_step=per_step)
    if request.method != "POST":
        return render(request, "screener/start.html", {"steps": steps})

    questions = {fact.key: fact for step in steps for fact in step.facts}
    raw = {key: fact_form_value(fact, request.POST).strip() for key, fact in questions.items()}
    # Questions a visitor was asked on the result or "answer more" page and left blank: asked no more this time.
    asked = _keys(request.POST.get("asked", ""), questions)
    skipped = _keys(request.POST.get("skipped", ""), questions)
    action = request.POST.get("action", "next")
    if action == "results":
        skipped += [key for key in asked if not raw[key] and key not in skipped]
    try:
        current = min(max(int(request.POST.get("step", "0")), 0), len(steps))
    except ValueError:
        current = 0
    today = timezone.localdate()

    if action == "back":
        return (
            _step_page(request, steps[current - 2], steps, raw)
            if current > 1
            else render(request, "screener/start.html", {"steps": steps})
        )
    if action.startswith("change-"):
        number = action.removeprefix("change-")
        target = int(number) if number.isdigit() and 1 <= int(number) <= len(steps) else 1
        return _step_page(request, steps[target - 1], steps, raw)
    if action in ("results", "more"):
        try:
            answers = screener_answers_clean(raw, today=today)
        except PortalError as error:
            if any(key in error.fields for key in asked):
                asked_facts = tuple(questions[key] for key in asked)
                form = StepForm(request.POST, facts=asked_facts, today=today)
                return _more_page(request, asked_facts, raw, [key for key in skipped if key not in asked], form)
            first_bad = next(step for step in steps if any(fact.key in error.fields for fact in step.facts))
            form = StepForm(request.POST, facts=first_bad.facts, today=today)
            return _step_page(request, first_bad, steps, raw, form)
        result = screener_run(answers=answers, on=today, skipped=skipped)
        if action == "results":
            return _result_page(request, result, raw, skipped)
        if not result.questions:
            # nothing unknown is left that could settle a service: all the questions again, answers kept
            return _step_page(request, steps[0], steps, raw)
        facts = tuple(question.question for question in result.questions[:per_step])
        form = StepForm(initial={fact.key: "" for fact in facts}, facts=facts, today=today)
        return _more_page(request, facts, raw, skipped, form)

    if current >= 1:
        step = steps[current - 1]
        form = StepForm(request.POST, facts=step.facts, today=today)
        if not form.is_valid():
            return _step_page(request, step, steps, raw, form)
    if current >= len(steps):
        return _check_page(request, steps, raw)
    return _step_page(request, steps[current], steps, raw)
