"""The next best question: the one unknown fact that would settle the most "maybe" services.

The rule (services_portal.screener.screening.questions_rank): each "maybe" service shares its weight (3 for
essential assistance, 1 otherwise) equally among the facts it is missing; equal values keep the registry's order.
"""

import datetime
from fractions import Fraction

import pytest

from profiles.facts import FACTS
from services_portal.catalog.models import Category, Criterion, Department, ServiceItem
from services_portal.catalog.rules import service_rules_build
from services_portal.eligibility.engine import eligibility_evaluate
from services_portal.screener.screening import questions_rank, screener_run

ON = datetime.date(2026, 12, 3)
EVERY_FACT = frozenset(FACTS)


@pytest.fixture
def make_service(db):
    department = Department.objects.create(code="test-dept", name_zh="测试部门", name_en="Test department")
    category = Category.objects.create(code="test-cat", name_zh="测试类别", name_en="Test category")

    def make(code: str, *expressions: str, essential: bool = False) -> ServiceItem:
        service = ServiceItem.objects.create(
            code=code,
            name_zh=code,
            name_en=code,
            description_zh="测试",
            description_en="Test",
            category=category,
            department=department,
            essential=essential,
        )
        for position, expression in enumerate(expressions):
            Criterion.objects.create(
                service=service,
                key=f"c{position}",
                label_zh=expression,
                label_en=expression,
                expression=expression,
                position=position,
            )
        return service

    return make


def rank(services, facts=None, askable=EVERY_FACT):
    """Evaluate the services for the facts with the real engine, then rank the unknown facts."""
    rules = [service_rules_build(ServiceItem.objects.prefetch_related("criteria").get(pk=s.pk)) for s in services]
    evaluations = eligibility_evaluate(facts=facts or {}, on=ON, services=rules)
    essential = {service.code for service in services if service.essential}
    return questions_rank(evaluations, essential=essential, askable=askable)


def test_a_fact_that_settles_a_service_alone_counts_fully_one_of_two_counts_half(make_service):
    # given a service that needs one unknown fact, and one that needs two
    veterans = make_service("veterans", "is_veteran == true")
    renters = make_service("sick-renters", "owns_home == false", "chronic_illness == true")

    # when the unknown facts are ranked
    ranked = rank([veterans, renters])

    # then the fact that settles a service alone comes first; the two halves follow in registry order
    assert [(value.fact, value.weight) for value in ranked] == [
        ("is_veteran", Fraction(1)),
        ("chronic_illness", Fraction(1, 2)),
        ("owns_home", Fraction(1, 2)),
    ]
    assert ranked[0].settles == ("veterans",) and ranked[0].narrows == ()
    assert ranked[1].settles == () and ranked[1].narrows == ("sick-renters",)


@pytest.mark.parametrize(("essential", "first"), [(True, "owns_home"), (False, "is_veteran")])
def test_an_essential_service_weighs_three_times_an_ordinary_one(make_service, essential, first):
    # given one service (essential or not) that owns_home alone settles, and two ordinary ones needing is_veteran
    renters = make_service("renters", "owns_home == false", essential=essential)
    veterans = make_service("veterans", "is_veteran == true")
    old_veterans = make_service("veterans-household", "is_veteran == true", "household_size >= 2")

    # when the unknown facts are ranked
    ranked = rank([renters, veterans, old_veterans])

    # then essential, the one service (3) outweighs the two ordinary ones (1 + 1/2); ordinary, it does not
    assert ranked[0].fact == first
    weights = {value.fact: value.weight for value in ranked}
    assert weights["owns_home"] == (3 if essential else 1)
    assert weights["is_veteran"] == Fraction(3, 2)


def test_equal_values_keep_the_registry_order(make_service):
    # given a service settled by owns_home alone, and three that each need the same three other facts
    renters = make_service("renters", "owns_home == false")
    triples = [
        make_service(f"triple-{n}", "is_veteran == true", "chronic_illness == true", "is_pregnant == true")
        for n in (1, 2, 3)
    ]

    # when the unknown facts are ranked
    ranked = rank([*triples, renters])

    # then each fact is worth exactly one (three thirds tie with one whole) and they keep the registry's order
    assert {value.weight for value in ranked} == {Fraction(1)}
    assert [value.fact for value in ranked] == ["is_pregnant", "chronic_illness", "is_veteran", "owns_home"]
    assert [value.fact for value in ranked] == [key for key in FACTS if key in {value.fact for value in ranked}]


def test_a_fact_the_screener_cannot_ask_is_left_out_and_its_share_is_not_passed_on(make_service):
    # given a service needing two facts, one of which the screener does not ask
    renters = make_service("sick-renters", "owns_home == false", "chronic_illness == true")

    # when owns_home is not askable
    ranked = rank([renters], askable=EVERY_FACT - {"owns_home"})

    # then only chronic_illness is offered, still worth half: the service needs the other answer too
    assert [(value.fact, value.weight) for value in ranked] == [("chronic_illness", Fraction(1, 2))]


def test_no_question_when_nothing_is_maybe(make_service):
    # given services the answers decide, one way or the other
    veterans = make_service("veterans", "is_veteran == true")
    renters = make_service("renters", "owns_home == false")

    # when the facts are all known, then nothing is worth asking
    assert rank([veterans, renters], facts={"is_veteran": True, "owns_home": True}) == []


def test_the_screener_result_names_the_next_question_as_the_screener_asks_it(make_service):
    # given a catalog of just two services, needing an age and a home
    ServiceItem.objects.update(is_published=False)
    make_service("elderly", "age >= 60", essential=True)
    make_service("renters", "owns_home == false")

    # when a visitor has answered nothing
    result = screener_run(answers={}, on=ON)

    # then the next question is the age (the screener asks it for birth_date): the essential service wins
    assert result.next_question is not None
    assert result.next_question.key == "age"
    assert [item.service.code for item in result.next_question.settles] == ["elderly"]
    assert [question.key for question in result.questions] == ["age", "owns_home"]

    # and once the age was asked and skipped, the home is asked next
    skipped = screener_run(answers={}, on=ON, skipped={"age"})
    assert skipped.next_question is not None and skipped.next_question.key == "owns_home"

    # and when everything is answered there is no next question
    assert screener_run(answers={"age": 70, "owns_home": True}, on=ON).next_question is None


# -- the API ----------------------------------------------------------------------------------------


def screen(api_client, facts, language="en"):
    return api_client.post("/api/v1/screener/", {"facts": facts}, format="json", HTTP_ACCEPT_LANGUAGE=language)


def expected_next(body, registry):
    """The documented rule, applied to what the response says of each "maybe" service."""
    order = ["age" if key == "birth_date" else key for key in registry]
    values: dict[str, Fraction] = {}
    for service in body["maybe"]:
        asked = [fact["key"] for fact in service["tell_us"]]
        for key in asked:
            values[key] = values.get(key, Fraction(0)) + Fraction(3 if service["essential"] else 1, len(asked))
    return min(values, key=lambda key: (-values[key], order.index(key)))


@pytest.mark.parametrize("facts", [{}, {"age": 40}, {"age": 85, "region_code": "450103", "owns_home": False}])
def test_the_api_names_the_next_best_question(api_client, catalog, facts):
    # when a visitor screens with a few answers
    body = screen(api_client, facts).json()
    registry = [fact["key"] for fact in api_client.get("/api/v1/facts/").json()]

    # then the next question is the one the documented rule picks from the response's own "maybe" services
    question = body["next_question"]
    assert question["key"] == expected_next(body, registry)
    assert question["label"] and question["question"]
    assert question["key"] not in facts

    # and it settles exactly the "maybe" services that miss nothing else; it narrows the others that miss it
    tell_us = {service["code"]: [fact["key"] for fact in service["tell_us"]] for service in body["maybe"]}
    assert question["settles"] and set(question["settles"]) == {
        code for code, keys in tell_us.items() if keys == [question["key"]]
    }
    assert set(question["narrows"]) == {
        code for code, keys in tell_us.items() if question["key"] in keys and len(keys) > 1
    }


def test_the_api_asks_in_the_callers_language(api_client, catalog):
    english = screen(api_client, {"age": 40}, "en").json()["next_question"]
    chinese = screen(api_client, {"age": 40}, "zh-hans").json()["next_question"]
    assert english["key"] == chinese["key"]
    assert english["question"] != chinese["question"]
    assert any("\u4e00" <= character <= "\u9fff" for character in chinese["question"])


def test_the_api_has_no_next_question_when_nothing_is_maybe(api_client, make_service):
    # given a catalog of one service, which the answer decides
    ServiceItem.objects.update(is_published=False)
    make_service("renters", "owns_home == false")

    # then before the answer, owns_home is the question; after it, there is none
    assert screen(api_client, {}).json()["next_question"]["settles"] == ["renters"]
    body = screen(api_client, {"owns_home": True}).json()
    assert body["maybe"] == [] and body["next_question"] is None
