"""The result page: what a "maybe" service's criteria meet and what needs an answer, and the eligible services
ranked by how relevant they are to the answers (services_portal.screener.screening.screened_rank)."""

import datetime
import re

import pytest

from services_portal.catalog.models import Category, Criterion, Department, LifeEvent, ServiceItem
from services_portal.screener.screening import screener_answers_clean, screener_run
from tests.screener.pages import get, html, results, section, service_codes, step_asking

TODAY = datetime.date(2026, 12, 3)
BUSINESS = {"gx-individual-business-registration", "gx-company-establishment"}


def run(raw):
    return screener_run(answers=screener_answers_clean(raw, today=TODAY), on=TODAY)


def maybe_item(page: str, code: str) -> str:
    """One service of the "maybe" list, as the page shows it."""
    start = page.index(f'<h3><a href="/services/{code}/">', page.index("<h2>You may be able to get</h2>"))
    return page[start : page.index("\n</li>", start)]


def criterion_label(code: str, key: str) -> str:
    return Criterion.objects.get(service__code=code, key=key).label_en


@pytest.mark.parametrize("elder", [False, True])
def test_a_maybe_service_shows_the_criteria_met_and_a_link_to_the_step_asking_the_missing_one(client, catalog, elder):
    # given an 82-year-old who has not said where their hukou is
    if elder:
        client.cookies["display"] = "elder"
    page = results(client, {"age": "82"})

    # then the old-age allowance is "maybe": its age criterion met, its hukou criterion needing an answer
    item = maybe_item(page, "gx-elderly-allowance")
    assert re.search(
        r'status-met">Met:</span>\s*' + re.escape(criterion_label("gx-elderly-allowance", "aged_80")), item
    )
    hukou = Criterion.objects.exclude(key="aged_80").get(service__code="gx-elderly-allowance").label_en
    assert re.search(r'status-unknown">Needs an answer:</span>\s*' + re.escape(hukou), item)
    # with a link to the step that asks for it (a later step in elder mode, three questions a page), at the question
    number = step_asking(client, "hukou_region_code")
    assert number == (2 if elder else 1)
    link = f'href="/screener/step/{number}/?then=results#question-hukou_region_code"'
    assert link in item and f"Answer on step {number}: Household registration (hukou) place" in item
    assert 'id="question-hukou_region_code"' in html(get(client, f"/screener/step/{number}/"))


def test_a_criterion_needing_answers_from_two_steps_links_to_each(client, catalog):
    # given a person who only said their age: the extreme-poverty support's income criterion needs where they live,
    # the hukou type (step 1) and the household income (a later step)
    page = results(client, {"age": "82"})
    item = maybe_item(page, "gx-extreme-poverty-support")
    income_step = step_asking(client, "household_income_monthly_per_capita")
    assert income_step > 1
    assert "Answer on step 1: Where you live, Household registration type</a>" in item
    assert (
        f'href="/screener/step/{income_step}/?then=results#question-household_income_monthly_per_capita">'
        f"Answer on step {income_step}: Household income per person per month</a>"
    ) in item


def test_a_maybe_service_missing_two_answers_shows_both_unknown(client, catalog):
    page = results(client, {"hukou_region_code": "450103"})
    item = maybe_item(page, "gx-elderly-allowance")
    assert item.count('status-unknown">Needs an answer:') == 1  # the age: hukou is met
    assert item.count('status-met">Met:') == 1
    assert 'href="/screener/step/1/?then=results#question-age"' in item


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_82_year_old_sees_the_services_for_older_people_first_and_business_registration_last(
    client, catalog, language
):
    # given an 82-year-old with a hukou in Nanning
    page = results(client, {"age": "82", "hukou_region_code": "450103"}, language)

    # then what they can get starts with the old-age allowance (it matches two answers: age and hukou), then the
    # other services for older people; registering a business, which only asks for an adult, comes last
    heading = "You can get" if language == "en" else "您可以享受"
    eligible = service_codes(section(page, heading))
    elderly = set(LifeEvent.objects.get(code="elderly").services.values_list("code", flat=True))
    assert eligible[0] == "gx-elderly-allowance"
    assert set(eligible[-2:]) == BUSINESS
    assert all(code in elderly for code in eligible[:-2]), eligible
    # and the page says why, naming the group
    group = LifeEvent.objects.get(code="elderly")
    assert (group.name_en if language == "en" else group.name_zh) in section(page, heading).split("<ul")[0]


def test_a_new_parent_who_works_sees_the_services_for_new_parents_first(catalog):
    # given an employed 30-year-old whose child was born four months ago
    result = run({"age": "30", "employment_status": "employed", "children_birth_dates": "2026-08-01"})

    # then every service for new parents comes before the ones any employee or adult can get
    eligible = [item.service.code for item in result.eligible]
    newborn = set(LifeEvent.objects.get(code="newborn_parent").services.values_list("code", flat=True))
    first_other = next(position for position, code in enumerate(eligible) if code not in newborn)
    assert first_other >= 5 and not newborn & set(eligible[first_other:]), eligible
    # the infant-care tax deduction first: it matches both answers given, the child and the job
    assert eligible[0] == "gx-infant-care-tax-deduction"
    assert {"gx-iit-annual-reconciliation", "gx-housing-fund-loan", *BUSINESS} <= set(eligible[first_other:])
    assert [str(name) for name in result.life_events] == [LifeEvent.objects.get(code="newborn_parent").name]


@pytest.fixture
def make_service(db):
    department = Department.objects.create(code="test-dept", name_zh="测试部门", name_en="Test department")
    category = Category.objects.create(code="test-cat", name_zh="测试类别", name_en="Test category")

    def make(code, *expressions, essential=False, life_events=()):
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
        service.life_events.set(life_events)
        for position, expression in enumerate(expressions):
            Criterion.objects.create(
                service=service, key=f"c{position}", label_zh=expression, label_en=expression, expression=expression
            )
        return service

    return make


def test_the_ranking_puts_essential_first_then_the_persons_life_events_then_more_answers_matched(make_service):
    # given services a 70-year-old tenant qualifies for, made to differ in one way each
    elderly = LifeEvent.objects.create(code="test-elderly", name_zh="老年人", name_en="Elderly", expression="age >= 60")
    students = LifeEvent.objects.create(code="test-student", name_zh="学生", name_en="Students", expression="age < 25")
    make_service("a-adult", "age >= 18")
    make_service("b-adult-tenant", "age >= 18", "owns_home == false")
    make_service("c-for-the-elderly", "age >= 60", life_events=[elderly])
    make_service("d-for-students-too", "age >= 18", life_events=[students])
    make_service("e-essential", "age >= 18", essential=True)
    make_service("f-open")

    # when they are screened (with whatever else the database holds)
    result = run({"age": "70", "owns_home": "false"})
    mine = {service.code for service in ServiceItem.objects.filter(department__code="test-dept")}

    # then: essential first, then the service for their life event, then the one matching two answers, then
    # the rest by name; a life event they are not in counts for nothing; the open one is listed apart
    assert [item.service.code for item in result.eligible if item.service.code in mine] == [
        "e-essential",
        "c-for-the-elderly",
        "b-adult-tenant",
        "a-adult",
        "d-for-students-too",
    ]
    assert [item.service.code for item in result.open if item.service.code in mine] == ["f-open"]
    assert elderly.name in result.life_events and students.name not in result.life_events
