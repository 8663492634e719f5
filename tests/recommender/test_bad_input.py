"""Bad input to the recommender: refused interactions store nothing; a broken model falls back to rules."""

import datetime
import logging

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from profiles.models import ConsentChannel
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from profiles.services.facts import facts_self_declare
from recommender.explanations import Fallback, ReasonKind
from recommender.models import Interaction, ModelStatus, RecommenderModel
from recommender.selectors import recommendations_for
from recommender.services.interactions import InteractionInvalid, interaction_record, interactions_import
from recommender.serving import served_forget


@pytest.fixture(autouse=True)
def _nothing_loaded():
    served_forget()
    yield
    served_forget()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"service_code": "gx-no-such-service"}, "unknown_service"),
        ({"kind": "liked"}, "unknown_interaction_kind"),
        ({"channel": "fax"}, "unknown_channel"),
        ({"occurred_at": timezone.now() + datetime.timedelta(days=1)}, "timestamp_in_future"),
        ({"occurred_at": datetime.datetime(2026, 1, 1, 9, 0)}, "naive_timestamp"),  # noqa: DTZ001 - the point
    ],
)
def test_an_impossible_interaction_is_refused_and_nothing_is_stored(catalog, citizen, change, code):
    # given
    values = {"service_code": "gx-childcare-subsidy", "kind": "view", "channel": "web"} | change

    # when / then
    with pytest.raises(InteractionInvalid) as refused:
        interaction_record(citizen=citizen, **values)
    assert refused.value.code == code
    assert refused.value.message
    assert not Interaction.objects.exists()


def test_a_batch_keeps_the_good_rows_and_reports_each_bad_one(catalog, citizen):
    # given a batch with one good row and one of each kind of mistake
    moment = timezone.now() - datetime.timedelta(hours=1)
    good = {"citizen": citizen.pk, "service": "gx-childcare-subsidy", "kind": "apply", "channel": "app"}
    rows = [
        good | {"occurred_at": moment.isoformat()},
        good | {"citizen": 999_999, "occurred_at": moment.isoformat()},
        good | {"service": "gx-no-such-service", "occurred_at": moment.isoformat()},
        good | {"kind": "liked", "occurred_at": moment.isoformat()},
        good | {"occurred_at": (timezone.now() + datetime.timedelta(days=2)).isoformat()},
        good | {"occurred_at": "yesterday"},
    ]

    # when
    result = interactions_import(rows=rows)

    # then
    assert result.stored == 1
    assert [(r["line"], r["code"]) for r in result.rejections] == [
        (2, "unknown_person"),
        (3, "unknown_service"),
        (4, "unknown_interaction_kind"),
        (5, "timestamp_in_future"),
        (6, "invalid_timestamp"),
    ]
    assert all(r["reason"] for r in result.rejections)
    assert list(Interaction.objects.values_list("citizen_id", "kind", "channel")) == [(citizen.pk, "apply", "app")]


@pytest.fixture
def job_seeker(citizen):
    consent_grant(citizen=citizen, purpose=Purpose.PERSONALISATION, channel=ConsentChannel.WEB)
    facts_self_declare(
        citizen=citizen,
        values={"birth_date": "1995-05-01", "region_code": "450103", "employment_status": "unemployed"},
    )
    return citizen


def test_without_a_model_the_rules_rank_and_say_why(catalog, job_seeker):
    # when no model was ever trained
    for_you = recommendations_for(job_seeker)

    # then the list comes from the rules, with the life event and the fact behind it
    assert for_you.personalised
    assert for_you.fallback == Fallback.NO_MODEL
    assert for_you.model_version is None
    assert for_you.items
    life_event_reasons = [r for item in for_you.items for r in item.reasons if r.kind == ReasonKind.LIFE_EVENT]
    assert {r.life_event for r in life_event_reasons} == {"job_seeker"}
    assert {f.key for r in life_event_reasons for f in r.facts} == {"employment_status"}
    assert all(item.reasons for item in for_you.items)


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_a_broken_model_falls_back_to_rules_and_is_logged(catalog, job_seeker, caplog, damage):
    # given a serving model whose artifact is corrupt or gone
    model = RecommenderModel(
        version=1,
        status=ModelStatus.ACTIVE,
        window_start=timezone.now() - datetime.timedelta(days=30),
        window_end=timezone.now() - datetime.timedelta(days=7),
        holdout_end=timezone.now(),
        checksum="0" * 64,
    )
    model.artifact.save("model-v1.npz", ContentFile(b"not a model"), save=False)
    model.save()
    if damage == "missing":
        model.artifact.storage.delete(model.artifact.name)

    # when
    with caplog.at_level(logging.ERROR, logger="recommender.serving"):
        for_you = recommendations_for(job_seeker)

    # then the person still gets the rules' list, and the failure is in the log
    assert for_you.fallback == Fallback.MODEL_UNAVAILABLE
    assert for_you.items
    assert "v1 is not usable" in caplog.text
