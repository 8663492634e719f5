"""The screener pages: question steps, "check your answers", the result, and "answer more".

Post/redirect/get: every page has its own address and is shown by a GET, pre-filled from the answers so far.
Its form posts back to that address; the answers are kept (answers.py: in the visitor's browser, never on the
server) and a redirect leads to the next page, so that Back, Forward and Refresh only ever repeat a GET.
Answers a page refuses are kept as well, and the redirect leads back to it, showing them with their errors.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accessibility.middleware import DisplayHttpRequest
from profiles.facts import NONE_ANSWER, FactDefinition, FactType
from profiles.facts.fields import fact_form_value
from services_portal.core.errors import PortalError
from services_portal.reference import regions
from services_portal.screener.answers import IDLE, ScreenerAnswers, answers_read, answers_write
from services_portal.screener.forms import StepForm
from services_portal.screener.screening import (
    Step,
    screened_criteria,
    screener_answers_clean,
    screener_run,
    screener_step_asking,
    screener_steps,
)

QUESTIONS_PER_STEP = 5
QUESTIONS_PER_STEP_ELDER = 3


def _per_step(request: DisplayHttpRequest) -> int:
    return QUESTIONS_PER_STEP_ELDER if request.display.elder_mode else QUESTIONS_PER_STEP


def _step_url(number: int) -> str:
    return reverse("screener:step", args=[number])


# Where a step reached from "check your answers" or a result's "answer on step N" link returns once answered.
RETURNS = {"check": "screener:check", "results": "screener:results"}


def _redirect(to: str, answers: ScreenerAnswers) -> HttpResponse:
    return answers_write(HttpResponseRedirect(to), answers)


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], answers: ScreenerAnswers, *, status: int = 200
) -> HttpResponse:
    # Sent again with every page, so that the idle time counts from the last page seen.
    return answers_write(render(request, template, context, status=status), answers)


def _posted(facts: tuple[FactDefinition, ...], request: HttpRequest) -> dict[str, str]:
    return {fact.key: str(fact_form_value(fact, request.POST)).strip() for fact in facts}


def _form(facts: tuple[FactDefinition, ...], answers: ScreenerAnswers) -> StepForm:
    """A page's questions, pre-filled with the answers so far, or with the answers it refused and their errors."""
    today = timezone.localdate()
    keys = [fact.key for fact in facts]
    if any(key in answers.refused for key in keys):
        data = {key: answers.refused.get(key, answers.given.get(key, "")) for key in keys}
        return StepForm(data, facts=facts, today=today)
    return StepForm(initial={key: answers.given.get(key, "") for key in keys}, facts=facts, today=today)


def _clean(answers: ScreenerAnswers, steps: list[Step]) -> dict[str, Any] | HttpResponse:
    """The answers so far, checked again; an answer that no longer passes (a date now in the future, a region
    since abolished) is a redirect to its step, which shows the error."""
    asked = {fact.key for step in steps for fact in step.facts}
    given = {key: value for key, value in answers.given.items() if key in asked}
    try:
        return screener_answers_clean(given, today=timezone.localdate())
    except PortalError as error:
        step = screener_step_asking(steps, error.fields.keys())
        if step is None:  # pragma: no cover - only asked questions are checked
            raise
        answers.refuse({fact.key: answers.given.get(fact.key, "") for fact in step.facts})
        return _redirect(_step_url(step.number), answers)


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


@never_cache
@require_http_methods(["GET", "POST"])
def screener_start(request: DisplayHttpRequest) -> HttpResponse:
    answers = answers_read(request)
    if request.method == "POST":
        if request.POST.get("action") == "clear":
            return _redirect(reverse("screener:start"), ScreenerAnswers())
        return _redirect(_step_url(1), answers)
    steps = screener_steps(per_step=_per_step(request))
    context = {"steps": steps, "answered": len(answers.given), "idle_minutes": int(IDLE.total_seconds() // 60)}
    return _page(request, "screener/start.html", context, answers)


@never_cache
@require_http_methods(["GET", "POST"])
def screener_step(request: DisplayHttpRequest, number: int) -> HttpResponse:
    steps = screener_steps(per_step=_per_step(request))
    answers = answers_read(request)
    if number < 1:
        return _redirect(_step_url(1), answers)
    if number > len(steps):  # a step of elder mode's longer list, after switching it off
        return _redirect(reverse("screener:check"), answers)
    step = steps[number - 1]
    then = request.GET.get("then", "")
    then = then if then in RETURNS else ""
    if request.method == "POST":
        raw = _posted(step.facts, request)
        back = request.POST.get("action") == "back"
        if StepForm(request.POST, facts=step.facts, today=timezone.localdate()).is_valid():
            answers.answer(raw)
        else:
            answers.refuse(raw)
            if not back:
                return _redirect(request.get_full_path(), answers)
        if back:
            return _redirect(_step_url(number - 1) if number > 1 else reverse("screener:start"), answers)
        if then == "check" and number < len(steps) and steps[number].topic == step.topic:
            # "change answers about" a topic asked over several steps: each of its steps, then back
            return _redirect(f"{_step_url(number + 1)}?then=check", answers)
        if then:
            return _redirect(reverse(RETURNS[then]), answers)
        return _redirect(_step_url(number + 1) if number < len(steps) else reverse("screener:check"), answers)
    form = _form(step.facts, answers)
    context = {"step": step, "steps": steps, "form": form, "then": then}
    return _page(request, "screener/step.html", context, answers)


@never_cache
@require_http_methods(["GET", "POST"])
def screener_check(request: DisplayHttpRequest) -> HttpResponse:
    answers = answers_read(request)
    if request.method == "POST":
        return _redirect(reverse("screener:results"), answers)
    steps = screener_steps(per_step=_per_step(request))
    rows = [
        (step, [(fact, _display_value(fact, answers.given.get(fact.key, ""))) for fact in step.facts]) for step in steps
    ]
    return _page(request, "screener/check.html", {"rows": rows, "steps": steps}, answers)


@never_cache
@require_GET
def screener_results(request: DisplayHttpRequest) -> HttpResponse:
    steps = screener_steps(per_step=_per_step(request))
    answers = answers_read(request)
    clean = _clean(answers, steps)
    if isinstance(clean, HttpResponse):
        return clean
    today = timezone.localdate()
    result = screener_run(answers=clean, on=today, skipped=answers.skipped)
    question = result.next_question
    context = {
        "result": result,
        "maybe": [(item, screened_criteria(item, steps=steps)) for item in result.maybe],
        # the next best question, answerable on the result page itself
        "question_form": StepForm(facts=(question.question,), today=today) if question else None,
    }
    return _page(request, "screener/result.html", context, answers)


@never_cache
@require_http_methods(["GET", "POST"])
def screener_more(request: DisplayHttpRequest) -> HttpResponse:
    """The unanswered questions that matter, the next best first: "answer more" goes on from the unknowns."""
    per_step = _per_step(request)
    steps = screener_steps(per_step=per_step)
    questions = {fact.key: fact for step in steps for fact in step.facts}
    answers = answers_read(request)
    if request.method == "POST":
        # the questions the page showed (the result page's one, or this page's): their answers, and blanks
        asked = tuple(
            questions[key] for key in dict.fromkeys(request.POST.get("asked", "").split(",")) if key in questions
        )
        raw = _posted(asked, request)
        if not StepForm(request.POST, facts=asked, today=timezone.localdate()).is_valid():
            answers.refuse(raw)
            return _redirect(reverse("screener:more"), answers)
        answers.answer(raw)
        if request.POST.get("action") != "results":
            return _redirect(reverse("screener:more"), answers)
        # left blank when asking for results: asked no more, so that the next question is another one
        answers.skipped += [key for key, value in raw.items() if not value and key not in answers.skipped]
        return _redirect(reverse("screener:results"), answers)

    refused = tuple(questions[key] for key in answers.refused if key in questions)
    if refused:
        facts = refused
    else:
        clean = _clean(answers, steps)
        if isinstance(clean, HttpResponse):
            return clean
        result = screener_run(answers=clean, on=timezone.localdate(), skipped=answers.skipped)
        if not result.questions:
            # every question that matters was skipped: the first step asking one of them, else the results
            step = result.step_to_answer(steps)
            return _redirect(_step_url(step.number) if step else reverse("screener:results"), answers)
        facts = tuple(question.question for question in result.questions[:per_step])
    context = {"form": _form(facts, answers), "asked": ",".join(fact.key for fact in facts)}
    return _page(request, "screener/more.html", context, answers)
