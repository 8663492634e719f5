"""Applying and completing as the recommender sees them: a submitted application is the person's "apply"
and a caseworker's approval their "complete", on the channel they applied through, whatever their
consent to personalisation; and a service with a case not yet decided is not recommended to them, on
the "for you" list as in batch scoring (read once per chunk of people)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from profiles.models import Citizen, Role
from recommender.features import catalog_index, people_load, personalised_ids
from recommender.models import Interaction, ScoredList
from recommender.scoring import candidates
from recommender.selectors import recommendations_for
from recommender.services.scoring import scores_store
from recommender.services.training import model_train
from recommender.simulator import population_simulate
from services_portal.casework.models import ApprovalReason, Case, CaseOrigin, CaseState, RejectionReason
from services_portal.casework.services import benefit_period, case_accept, case_approve, case_reject
from services_portal.casework.services.applications import application_form_for, application_submit
from services_portal.catalog.models import ServiceItem
from tests.factories import StaffFactory, citizen_make
from tests.recommender.test_for_you_pages import aged_70, personalised

CONCESSION_CARD = "gx-elderly-preferential-card"  # for anyone aged 60 or more, applied for
HEALTH_CHECKUP = "gx-elderly-health-checkup"  # granted without application (免申即享)


def scan(name: str = "scan.png") -> SimpleUploadedFile:
    """A real (tiny) scanned page."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def apply(citizen, code: str, *, origin: CaseOrigin = CaseOrigin.ONLINE, staff=None) -> Case:
    """The person applies for one service with every required material, confirming what the portal holds."""
    services = [ServiceItem.objects.get(code=code)]
    form = application_form_for(citizen, services=services)
    application = application_submit(
        citizen=citizen,
        services=services,
        confirmed=[fact.definition.key for fact in form.held],
        given={},
        files={material.code: [scan()] for material in form.uploads if material.required},
        declared=True,
        origin=origin,
        staff=staff,
    )
    return application.cases.get()


def found_by_matching(citizen, code: str = "", *, service: ServiceItem | None = None) -> Case:
    """A proactive case in review, as detection opens it."""
    service = service or ServiceItem.objects.get(code=code)
    return Case.objects.create(
        citizen=citizen,
        service=service,
        origin=CaseOrigin.PROACTIVE,
        period=benefit_period(service, timezone.localdate()),
        region_code=citizen.region_code,
        state=CaseState.IN_REVIEW,
    )


def logged(citizen) -> list[tuple[str, str, str]]:
    return sorted(Interaction.objects.filter(citizen=citizen).values_list("service__code", "kind", "channel"))


def suggested(citizen) -> list[str]:
    return [item.service.code for item in recommendations_for(citizen, limit=50).items]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """The scans stay in the test's own directory."""
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


@pytest.fixture
def counter_staff(db):
    return StaffFactory(role=Role.COUNTER_STAFF, region_scope="450103")


# -- interactions ----------------------------------------------------------------------------------


def test_an_application_online_is_an_apply_on_the_web_even_without_personalisation(citizen, catalog):
    # given a person who has not agreed to personalisation
    # when they apply online
    apply(citizen, CONCESSION_CARD)
    # then their "apply" is kept, on the web: an application is not activity tracking
    assert logged(citizen) == [(CONCESSION_CARD, "apply", "web")]


def test_an_application_at_the_counter_is_one_apply_on_the_counter(citizen, catalog, counter_staff):
    # when counter staff apply for the person
    apply(citizen, CONCESSION_CARD, origin=CaseOrigin.COUNTER, staff=counter_staff)
    # then it is recorded once, on the counter channel
    assert logged(citizen) == [(CONCESSION_CARD, "apply", "counter")]


def test_an_approval_is_a_completion_on_the_channel_applied_through(citizen, catalog, counter_staff, caseworker):
    # given an application made at the counter
    case = apply(citizen, CONCESSION_CARD, origin=CaseOrigin.COUNTER, staff=counter_staff)
    # when a caseworker accepts it (not yet a completion), then approves it
    accepted = case_accept(case_id=case.pk, actor=caseworker, version=case.version)
    assert logged(citizen) == [(CONCESSION_CARD, "apply", "counter")]
    case_approve(case_id=case.pk, actor=caseworker, reason_code=ApprovalReason.CRITERIA_MET, version=accepted.version)
    # then the approval is the person's "complete", on the counter channel too
    assert logged(citizen) == [(CONCESSION_CARD, "apply", "counter"), (CONCESSION_CARD, "complete", "counter")]


def test_a_rejection_is_no_completion(citizen, catalog, caseworker):
    case = apply(citizen, CONCESSION_CARD)
    case = case_accept(case_id=case.pk, actor=caseworker, version=case.version)
    case_reject(case_id=case.pk, actor=caseworker, reason_code=RejectionReason.NOT_ELIGIBLE, version=case.version)
    assert logged(citizen) == [(CONCESSION_CARD, "apply", "web")]


def test_a_benefit_found_by_data_matching_is_nothing_the_person_did(citizen, catalog, caseworker):
    # given a proactive case in review, approved
    case = found_by_matching(citizen, HEALTH_CHECKUP)
    case_approve(case_id=case.pk, actor=caseworker, reason_code=ApprovalReason.CRITERIA_MET, version=case.version)
    # then the interaction log holds nothing of it
    assert Case.objects.get(pk=case.pk).state == CaseState.APPROVED
    assert logged(citizen) == []


# -- no recommendation while a case is open ---------------------------------------------------------


def test_a_service_applied_for_leaves_the_list_personalised_or_not(catalog):
    # given two 70-year-olds, one allowing personalisation, both offered the concession card
    allowing, not_allowing = citizen_make(), citizen_make()
    personalised(allowing)
    for person in (allowing, not_allowing):
        aged_70(person)
        assert CONCESSION_CARD in suggested(person)
    # when each applies for it
    for person in (allowing, not_allowing):
        apply(person, CONCESSION_CARD)
    # then neither list offers it any more
    for person in (allowing, not_allowing):
        assert CONCESSION_CARD not in suggested(person)


def test_a_case_in_review_keeps_its_service_off_the_list_until_it_is_decided(citizen, catalog, caseworker):
    # given a 70-year-old offered the concession card, with nothing done with it
    personalised(citizen)
    aged_70(citizen)
    assert CONCESSION_CARD in suggested(citizen)
    # when a case for it is open (found by matching: no "apply" in the log)
    case = found_by_matching(citizen, CONCESSION_CARD)
    # then it is not offered while the case is in review
    assert CONCESSION_CARD not in suggested(citizen)
    # and once it is rejected it is offered again
    case_reject(case_id=case.pk, actor=caseworker, reason_code=RejectionReason.DATA_WRONG, version=case.version)
    assert CONCESSION_CARD in suggested(citizen)


def test_a_benefit_granted_without_applying_is_not_offered_again_in_its_period(citizen, catalog, caseworker):
    # given a 70-year-old whose concession card a caseworker granted from data matching: nothing the
    # person did, so no "complete" in their log
    personalised(citizen)
    aged_70(citizen)
    case = found_by_matching(citizen, CONCESSION_CARD)
    case_approve(case_id=case.pk, actor=caseworker, reason_code=ApprovalReason.CRITERIA_MET, version=case.version)
    assert not Interaction.objects.filter(citizen=citizen, kind="complete").exists()
    # then it is not offered while the grant covers the period
    assert CONCESSION_CARD not in suggested(citizen)
    # and in the next benefit period it is offered again
    next_year = timezone.localdate().replace(month=1, day=15) + datetime.timedelta(days=366)
    people = people_load([citizen.pk], index=catalog_index(), on=next_year)
    assert candidates(people)[0, catalog_index().position[CONCESSION_CARD]]


def test_batch_scoring_filters_open_cases_reading_them_once_per_chunk(catalog):
    # given chunks of 2 and of 6 people, each with a case in review for the concession card
    people = [citizen_make() for _ in range(6)]
    for person in people:
        aged_70(person)
        found_by_matching(person, CONCESSION_CARD)
    index = catalog_index()
    card = index.position[CONCESSION_CARD]
    today = timezone.localdate()

    # when each chunk is described for scoring
    def queries(ids: list[int]) -> tuple[int, bool]:
        with CaptureQueriesContext(connection) as captured:
            chunk = people_load(ids, index=index, on=today)
        reads_of_cases = [q["sql"] for q in captured if "casework_case" in q["sql"]]
        assert len(reads_of_cases) == 1, reads_of_cases
        return len(captured), bool(candidates(chunk)[:, card].any())

    small, large = queries([p.pk for p in people[:2]]), queries([p.pk for p in people])
    # then nobody's card is a candidate, and three times the people cost no more queries
    assert small == (large[0], False) and large[1] is False
    # and people described as they were (an evaluation's cut) are not filtered by today's cases
    before = people_load([p.pk for p in people], index=index, on=today, until=timezone.now())
    assert before.under_way is None and candidates(before)[:, card].all()


def test_batch_scoring_stores_no_service_whose_case_is_open(catalog, settings, tmp_path):
    # given a small simulated province with a model serving, and a chunk of its people scored
    settings.MEDIA_ROOT = str(tmp_path / "media")
    now = datetime.datetime(2026, 11, 1, 10, 0, tzinfo=datetime.UTC)
    population_simulate(people=400, seed=5, now=now)
    model = model_train(now=now).model
    chunk = sorted(personalised_ids(Citizen.objects.values_list("pk", flat=True)))[:40]
    assert len(chunk) == 40 and scores_store(model_id=model.pk, citizen_ids=chunk) == len(chunk)
    index = catalog_index()
    # when each person has a case opened for the service at the top of their list, and the chunk is scored again
    services = ServiceItem.objects.in_bulk(index.ids)
    top = {}
    for stored in ScoredList.objects.filter(citizen_id__in=chunk).select_related("citizen"):
        top[stored.citizen_id] = index.ids[int(stored.positions[0])]
        found_by_matching(stored.citizen, service=services[top[stored.citizen_id]])
    with CaptureQueriesContext(connection) as captured:
        scores_store(model_id=model.pk, citizen_ids=chunk)
    # then no one's list holds that service any more, and the cases were read in one query for the chunk
    assert len(top) == len(chunk)
    for stored in ScoredList.objects.filter(citizen_id__in=chunk):
        assert top[stored.citizen_id] not in {index.ids[int(j)] for j in stored.positions}
    assert len([q for q in captured if "casework_case" in q["sql"]]) == 1
