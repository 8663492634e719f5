"""The "for you" API writes its answer without DRF's nested serializers (recommender.api.for_you_data);
ForYouOutput stays the documented schema. Both must give the same JSON for every kind of reason."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory
from django.utils import translation
from rest_framework.utils.encoders import JSONEncoder

from recommender.api import ForYouOutput, for_you_data
from recommender.explanations import Fallback
from recommender.selectors import recommendations_for
from tests.recommender.test_for_you_pages import aged_70, elderly_list, personalised


def as_json(data) -> object:
    return json.loads(json.dumps(data, cls=JSONEncoder))


@pytest.mark.parametrize("fallback", [None, Fallback.NO_CONSENT])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_direct_answer_is_the_documented_one(citizen, catalog, fallback, language):
    # given a list with every kind of reason: facts with sources, criteria, services, traits
    request = RequestFactory().get("/api/v1/me/recommendations/")
    with translation.override(language):
        for_you = elderly_list(citizen, 10, fallback=fallback)
        # when it is written directly and through the schema's serializer
        direct = as_json(for_you_data(for_you, request))
        documented = as_json(ForYouOutput(for_you, context={"request": request}).data)
    # then the two are the same
    assert direct == documented
    assert direct["results"][0]["reasons"][0]["facts"][0]["key"] == "birth_date"


def test_the_direct_answer_is_the_documented_one_for_a_real_ranking(citizen, catalog):
    personalised(citizen)
    aged_70(citizen)
    request = RequestFactory().get("/api/v1/me/recommendations/")
    for_you = recommendations_for(citizen, limit=20)
    assert for_you.items
    assert as_json(for_you_data(for_you, request)) == as_json(ForYouOutput(for_you, context={"request": request}).data)
