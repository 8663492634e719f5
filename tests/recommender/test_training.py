"""Training, the registry, batch scoring and serving, on a small simulated province."""

import datetime
import io
import shutil

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from profiles.models import Citizen, ConsentChannel, Role
from profiles.purposes import Purpose
from profiles.services.consent import consent_withdraw, personalisation_set
from recommender import training
from recommender.evaluation.run import evaluation_build, holdout_build
from recommender.explanations import ReasonKind, Source
from recommender.features import catalog_index, personalised_ids
from recommender.models import SCORED_SOURCES, Interaction, ModelStatus, RecommenderModel, ScoredList
from recommender.selectors import recommendations_for
from recommender.services.scoring import STORED_PER_PERSON, scores_store
from recommender.services.training import artifact_load, model_evaluate, model_train
from recommender.serving import served_forget
from recommender.simulator import population_simulate
from recommender.tasks import score_population
from tests.conftest import catalog_present, data_shared_by_tests
from tests.factories import StaffFactory

NOW = datetime.datetime(2026, 11, 1, 10, 0, tzinfo=datetime.UTC)
HOLDOUT = datetime.timedelta(days=training.TrainingParameters.holdout_days)


def ndcg(evaluation, name: str, mask=None) -> float:
    method = next(m for m in evaluation.methods if m.name == name)
    values = method.per_user["ndcg"] if mask is None else method.per_user["ndcg"][mask]
    return float(np.nanmean(values))


@pytest.fixture(autouse=True)
def _nothing_loaded():
    served_forget()
    yield
    served_forget()


@pytest.fixture(scope="class")
def _province_shared(django_db_blocker, catalog_data):
    with data_shared_by_tests(django_db_blocker):
        catalog_present(catalog_data)
        population_simulate(people=1500, seed=7, now=NOW)
        yield


@pytest.fixture
def province(_province_shared, db):
    """1,500 simulated people, simulated once for the tests of a class: each test rolls back what it changes."""


@pytest.fixture(scope="class")
def _trained_shared(_province_shared, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=str(media)), django_db_blocker.unblock():
        return model_train(now=NOW - HOLDOUT).model.pk, media


@pytest.fixture
def trained(_trained_shared, province, settings, tmp_path):
    """The first model, trained two weeks before the end of the data (the next one has a hold-out to be judged
    on), once for the tests of a class; each test has its own copy of the model's file."""
    model_id, media = _trained_shared
    settings.MEDIA_ROOT = str(shutil.copytree(media, tmp_path / "media"))
    return RecommenderModel.objects.get(pk=model_id)


def _reads(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT")]


def active_citizen() -> Citizen:
    """A simulated person who allows personalisation and has used several services."""
    allowed = personalised_ids(Citizen.objects.values_list("pk", flat=True))
    counts: dict[int, int] = {}
    for citizen_id in Interaction.objects.filter(kind="apply").values_list("citizen_id", flat=True):
        counts[citizen_id] = counts.get(citizen_id, 0) + 1
    busiest = max((c for c in counts if c in allowed), key=lambda c: (counts[c], c))
    return Citizen.objects.get(pk=busiest)


def test_the_hybrid_beats_both_baselines_overall_and_for_people_new_to_the_portal(catalog):
    # given a simulated province
    population_simulate(people=4000, seed=11, now=NOW)

    # when the models are fitted before the cut and judged after it
    evaluation = model_evaluate(now=NOW)

    # then the hybrid ranks better than popularity and than the rules alone, also in the cold-start slice
    cold = evaluation.cold_start
    assert cold.sum() >= 20
    for baseline in ("popularity", "rules only"):
        assert ndcg(evaluation, "hybrid") > ndcg(evaluation, baseline)
        assert ndcg(evaluation, "hybrid", cold) > ndcg(evaluation, baseline, cold)
    assert set(evaluation.groups) == {"age band", "region", "online/offline", "disability"}


class TestOnATrainedModel:
    """Tests that share one simulated province and the model first trained on it."""

    def test_training_registers_a_versioned_model_with_its_data_window_and_metrics_and_serves_it(self, trained):
        # then
        assert trained.version == 1
        assert trained.status == ModelStatus.ACTIVE
        assert trained.window_end == NOW - 2 * HOLDOUT
        assert trained.holdout_end == NOW - HOLDOUT
        assert trained.parameters["als_factors"] == training.TrainingParameters.als_factors
        assert len(trained.checksum) == 64
        assert trained.artifact.name.endswith("model-v1.npz")
        summary = trained.metrics["summary"]
        assert trained.metrics["ndcg@10"] == pytest.approx(summary["methods"]["hybrid"]["overall"]["ndcg"])
        assert summary["methods"]["hybrid"]["groups"]["age band"]["largest_gap"]["ndcg"] is not None
        assert trained.people_count > 100
        assert trained.interaction_count > 1000

    def test_a_person_s_list_blends_the_models_and_says_why_in_their_language(self, trained):
        # given
        person = active_citizen()

        # when
        with override("zh-hans"):
            for_you = recommendations_for(person)
        with override("en"):
            in_english = recommendations_for(person)

        # then the serving model ranks, and every item carries reasons
        assert for_you.personalised and for_you.model_version == 1 and for_you.fallback is None
        assert len(for_you.items) == 10
        assert all(item.reasons for item in for_you.items)
        sources = {source for item in for_you.items for source in item.sources}
        assert {Source.ALS, Source.LIGHTFM} <= sources
        collaborative = [r for item in for_you.items for r in item.reasons if r.kind == ReasonKind.COLLABORATIVE]
        assert collaborative and all(r.services for r in collaborative)
        done = set(
            Interaction.objects.filter(citizen=person, kind__in=["apply", "complete"]).values_list(
                "service__code", flat=True
            )
        )
        assert not done & {item.service.code for item in for_you.items}
        assert {service.code for service in collaborative[0].services} <= set(
            Interaction.objects.filter(citizen=person).values_list("service__code", flat=True)
        )
        english = [r.text for item in in_english.items for r in item.reasons]
        chinese = [r.text for item in for_you.items for r in item.reasons]
        assert any(text.startswith("People who used") for text in english)
        assert any(text.startswith("办理过") for text in chinese)

    def test_a_worse_model_is_kept_out_of_serving(self, trained, monkeypatch):
        # given a second training, two weeks on, whose blend turns LightFM's ranking upside down
        fit = training.artifact_fit

        def upside_down(*args, **kwargs):
            artifact, timings = fit(*args, **kwargs)
            artifact.blend = {Source.LIGHTFM.value: -1.0}
            return artifact, timings

        monkeypatch.setattr("recommender.services.training.artifact_fit", upside_down)

        # when
        second = model_train(now=NOW).model

        # then it is registered but not served; the first model serves on
        assert second.status == ModelStatus.REJECTED
        assert "below the serving model" in second.note
        assert second.metrics["serving_model"]["ndcg@10"] > second.metrics["ndcg@10"]
        assert second.metrics["serving_model"]["paired_difference"] < 0
        assert RecommenderModel.objects.get(status=ModelStatus.ACTIVE).version == 1

    def test_a_better_or_equal_model_replaces_the_serving_one_atomically(self, trained):
        # when the training two weeks on does as well
        second = model_train(now=NOW).model

        # then exactly one model serves, and it is the new one
        assert second.status == ModelStatus.ACTIVE
        assert list(RecommenderModel.objects.values_list("version", "status").order_by("version")) == [
            (1, ModelStatus.RETIRED),
            (2, ModelStatus.ACTIVE),
        ]
        assert recommendations_for(active_citizen()).model_version == 2

    def test_batch_scoring_runs_in_chunks_and_serving_reads_the_stored_list(self, trained, settings):
        # given small chunks, so several tasks share the population
        settings.RECOMMENDER_SCORE_CHUNK = 100
        allowed = personalised_ids(Citizen.objects.values_list("pk", flat=True))

        # when
        queued = score_population.delay().get()

        # then everyone who allows personalisation has a stored list from the serving model
        assert queued == len(allowed)
        assert ScoredList.objects.count() == len(allowed)
        assert set(ScoredList.objects.values_list("model__version", flat=True)) == {1}
        person = active_citizen()
        stored = ScoredList.objects.get(citizen=person)
        codes = catalog_index().codes
        assert [codes[j] for j in stored.positions[:3]] == [
            item.service.code for item in recommendations_for(person).items[:3]
        ]

        # and when the stored list, newer than anything the person did, puts its last item first
        shares = stored.share_matrix.copy()
        shares[-1, SCORED_SOURCES.index(Source.RULES.value)] = 100.0
        stored.services, stored.shares = ScoredList.encode(stored.positions, shares)
        stored.scored_at = timezone.now()
        stored.save()

        # then serving follows the stored scores rather than scoring again
        assert recommendations_for(person).items[0].service.code == codes[stored.positions[-1]]

    def test_stored_lists_are_arrays_best_first_of_what_may_be_recommended(self, trained):
        # when
        score_population.delay()

        # then each list holds at most STORED_PER_PERSON positions, each once, best first, and the
        # serving list of a person who has done something since follows the same order
        lists = list(ScoredList.objects.all())
        assert lists
        for stored in lists:
            positions, shares = stored.positions, stored.share_matrix
            assert 0 < len(positions) <= STORED_PER_PERSON
            assert len(set(positions.tolist())) == len(positions)
            assert shares.shape == (len(positions), len(SCORED_SOURCES))
            totals = shares.sum(axis=1)
            assert np.all(np.diff(totals) <= 1e-5)
        done = {
            (citizen_id, service_id)
            for citizen_id, service_id in Interaction.objects.filter(kind__in=["apply", "complete"]).values_list(
                "citizen_id", "service_id"
            )
        }
        ids = catalog_index().ids
        assert not any((stored.citizen_id, ids[j]) in done for stored in lists for j in stored.positions)

    def test_scoring_a_chunk_reads_in_bulk_whatever_its_size(self, trained):
        # given chunks of 50 and of 500 people
        ids = sorted(personalised_ids(Citizen.objects.values_list("pk", flat=True)))

        # when each is scored
        with CaptureQueriesContext(connection) as small:
            scores_store(model_id=trained.pk, citizen_ids=ids[:50])
        with CaptureQueriesContext(connection) as large:
            stored = scores_store(model_id=trained.pk, citizen_ids=ids[:500])

        # then ten times the people cost no more reads (SQLite's bulk_create writes in batches of its own)
        assert stored == 500
        assert len(_reads(large)) == len(_reads(small)) < 20

    def test_evaluating_a_chunk_of_people_at_a_time_gives_the_same_evaluation(self, trained):
        # given the hold-out read as one chunk and as chunks of 37 people
        index = catalog_index()
        parameters = training.TrainingParameters()
        artifact = artifact_load(trained)
        whole = holdout_build(now=NOW, parameters=parameters, index=index, chunk=100_000)
        chunked = holdout_build(now=NOW, parameters=parameters, index=index, chunk=37)

        # when
        one = evaluation_build(whole, artifact, index, k=10, description={})
        many = evaluation_build(chunked, artifact, index, k=10, description={})

        # then the people, the fitted data, every method's per-person metrics and the groups are the same
        assert np.array_equal(whole.ids, chunked.ids)
        assert (whole.learners.positives != chunked.learners.positives).nnz == 0
        assert (whole.learners.user_features != chunked.learners.user_features).nnz == 0
        assert [m.name for m in one.methods] == [m.name for m in many.methods]
        for a, b in zip(one.methods, many.methods, strict=True):
            assert a.coverage == b.coverage
            for metric in a.per_user:
                assert np.array_equal(a.per_user[metric], b.per_user[metric], equal_nan=True)
        assert {d: set(g) for d, g in one.groups.items()} == {d: set(g) for d, g in many.groups.items()}
        for dimension, groups in one.groups.items():
            for label, mask in groups.items():
                assert np.array_equal(mask, many.groups[dimension][label])
        assert np.array_equal(one.cold_start, many.cold_start)

    def test_withdrawing_personalisation_forgets_the_stored_list(self, trained):
        score_population.delay()
        person = active_citizen()
        assert ScoredList.objects.filter(citizen=person).exists()

        consent_withdraw(citizen=person, purpose=Purpose.PERSONALISATION, channel=ConsentChannel.WEB)

        assert not ScoredList.objects.filter(citizen=person).exists()


class TestOnASimulatedProvince:
    """Tests that share one simulated province, before any model."""

    def test_people_who_withdrew_personalisation_are_left_out_of_the_next_training(self, province):
        # given two active people who stop personalisation, one by consent and one by the switch
        allowed = sorted(personalised_ids(Interaction.objects.values_list("citizen_id", flat=True).distinct()))
        withdrawn, switched_off = Citizen.objects.get(pk=allowed[0]), Citizen.objects.get(pk=allowed[1])
        consent_withdraw(citizen=withdrawn, purpose=Purpose.PERSONALISATION, channel=ConsentChannel.WEB)
        personalisation_set(citizen=switched_off, enabled=False)

        # when
        model = model_train(now=NOW).model

        # then neither is counted among the people the model learnt from
        assert model.people_count == len(allowed) - 2
        assert recommendations_for(withdrawn).personalised is False

    def test_the_evaluation_command_writes_a_report_with_charts(self, province, tmp_path):
        # when
        out = io.StringIO()
        call_command("recommender_evaluate", "--out", str(tmp_path), stdout=out)

        # then
        report = (tmp_path / "report.md").read_text()
        assert "hybrid" in out.getvalue() and "rules only" in out.getvalue()
        assert "| popularity |" in report
        assert "Largest gap" in report or "largest gap" in report
        charts = list(tmp_path.glob("*.png"))
        assert len(charts) >= 4
        assert all(chart.read_bytes().startswith(b"\x89PNG") for chart in charts)


def test_an_administrator_trains_from_the_admin_and_an_auditor_only_reads(catalog, client):
    # given a province active up to today
    population_simulate(people=600, seed=3, now=timezone.now())
    administrator = StaffFactory(role=Role.ADMINISTRATOR)
    auditor = StaffFactory(role=Role.AUDITOR)
    train_url = reverse("admin:recommender_recommendermodel_train")
    listing = reverse("admin:recommender_recommendermodel_changelist")

    # when the auditor tries, then the administrator does
    client.force_login(auditor)
    assert client.get(listing).status_code == 200
    assert client.post(train_url).status_code == 403
    assert not RecommenderModel.objects.exists()
    client.force_login(administrator)
    response = client.post(train_url)

    # then training ran (eagerly here), and the new model serves
    assert response.status_code == 302
    assert RecommenderModel.objects.get().status == ModelStatus.ACTIVE


def test_training_and_scoring_are_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"recommender.tasks.train", "recommender.tasks.score_population"} <= tasks
