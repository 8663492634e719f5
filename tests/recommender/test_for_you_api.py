"""The "for you" API: GET /api/v1/me/recommendations/, POST .../feedback/ and POST /api/v1/me/interactions/,
through the surface an app or a browser touches.

Tests marked PATCHED replace `recommender.selectors.recommendations_for` with the list built in
test_for_you_pages, to check the API's shape against known data; the others use the real ranking.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from profiles.models import Role
from profiles.services.consent import personalisation_set
from recommender import selectors
from recommender.models import Interaction, InteractionChannel, InteractionKind
from tests.factories import PASSWORD, StaffFactory
from tests.recommender.test_for_you_pages import aged_70, elderly_list, personalised

RECOMMENDATIONS = "/api/v1/me/recommendations/"
FEEDBACK = "/api/v1/me/recommendations/feedback/"
INTERACTIONS = "/api/v1/me/interactions/"


def token_for(username: str, password: str = PASSWORD) -> str:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["token"]


@pytest.fixture
def app_client(citizen, catalog):
    """A citizen's app: signed in with a token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(citizen.resident_id)}")
    return client


@pytest.fixture
def web_client(citizen, catalog):
    """A citizen's browser: a session."""
    client = APIClient()
    client.force_login(citizen.user)
    return client


@pytest.fixture
def recommending(monkeypatch):
    """PATCHED: `recommendations_for` answers with `elderly_list`; returns the limits it was asked for."""
    limits: list[int] = []

    def fake(citizen, *, limit: int = 10):
        limits.append(limit)
        return elderly_list(citizen, limit)

    monkeypatch.setattr(selectors, "recommendations_for", fake)
    return limits


def stored(citizen) -> list[tuple[str, str, str]]:
    return list(Interaction.objects.filter(citizen=citizen).values_list("service__code", "kind", "channel"))


# -- the list -------------------------------------------------------------------------------------


def test_the_list_has_each_service_with_its_reasons(app_client, recommending):
    # given a ranking with reasons of several kinds (PATCHED)
    # when the app asks for the list in English
    response = app_client.get(RECOMMENDATIONS, HTTP_ACCEPT_LANGUAGE="en")
    # then it has the list's state and each suggestion with its service, sources and reasons
    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("personalised", "fallback", "model_version")} == {
        "personalised": True,
        "fallback": None,
        "model_version": 3,
    }
    first, second = body["results"][:2]
    assert first["service"] == {
        "code": "gx-elderly-allowance",
        "name": "Old-age allowance",
        "department": {"code": "civil_affairs", "name": "Guangxi Department of Civil Affairs"},
        "url": "http://testserver/services/gx-elderly-allowance/",
    }
    assert first["score"] == 0.92 and first["eligible"] is True and first["sources"] == ["rules"]
    life_event, criteria = first["reasons"]
    assert life_event["kind"] == "life_event" and life_event["life_event"] == "elderly"
    assert life_event["facts"] == [
        {
            "key": "birth_date",
            "label": "Date of birth",
            "value": "1956-01-02",
            "source": "Government department",
            "department": "Guangxi Department of Public Security",
            "observed_on": "2026-03-15",
        }
    ]
    assert criteria["kind"] == "criteria" and criteria["criteria"] == ["Aged 80 or over"]
    assert second["eligible"] is False and second["missing_facts"] == ["Household registration type"]
    collaborative, similar = second["reasons"]
    assert collaborative["services"] == [
        {"code": "gx-elderly-preferential-card", "name": "Senior citizen concession card"}
    ]
    assert similar["kind"] == "similar_people" and similar["traits"] == ["65-79"]


def test_the_list_is_in_the_language_of_the_request(app_client, recommending):
    english = app_client.get(RECOMMENDATIONS, HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    chinese = app_client.get(RECOMMENDATIONS, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"][0]
    assert (english["service"]["name"], chinese["service"]["name"]) == ("Old-age allowance", "高龄津贴")
    assert chinese["service"]["department"]["name"] == "广西壮族自治区民政厅"
    assert chinese["reasons"][0]["facts"][0]["department"] == "广西壮族自治区公安厅"


def test_the_app_chooses_how_many(app_client, recommending):
    assert len(app_client.get(RECOMMENDATIONS, {"limit": 2}).json()["results"]) == 2
    assert recommending == [2]
    refused = app_client.get(RECOMMENDATIONS, {"limit": 500})
    assert refused.status_code == 400 and refused.json()["error"]["fields"].keys() == {"limit"}


def test_the_real_list_gives_reasons_in_each_language(app_client, citizen):
    # given a 70-year-old who allows personalisation (the real ranking)
    personalised(citizen)
    aged_70(citizen)
    # when the app asks in each language
    english = app_client.get(RECOMMENDATIONS, HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = app_client.get(RECOMMENDATIONS, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    # then the same services come, with the reasons written in that language
    assert english["personalised"] is True and english["results"]
    assert [r["service"]["code"] for r in english["results"]] == [r["service"]["code"] for r in chinese["results"]]
    names_en = [r["service"]["name"] for r in english["results"]]
    names_zh = [r["service"]["name"] for r in chinese["results"]]
    assert all(en != zh for en, zh in zip(names_en, names_zh, strict=True))
    life_event = next(reason for r in english["results"] for reason in r["reasons"] if reason["kind"] == "life_event")
    assert "Older people" in life_event["text"] and life_event["facts"][0]["key"] == "birth_date"
    texts_zh = [reason["text"] for r in chinese["results"] for reason in r["reasons"] if reason["kind"] == "life_event"]
    assert texts_zh and all("老年人" in text for text in texts_zh)


def test_without_consent_the_list_says_it_is_not_personalised(app_client, citizen):
    # given a person who has not agreed to personalisation (the real ranking)
    aged_70(citizen)
    body = app_client.get(RECOMMENDATIONS).json()
    assert body["personalised"] is False and body["fallback"] == "no_consent"
    # with consent but the switch off, it says so
    personalised(citizen)
    personalisation_set(citizen=citizen, enabled=False)
    assert app_client.get(RECOMMENDATIONS).json()["fallback"] == "switched_off"


def test_a_longer_list_costs_no_more_queries(app_client, citizen):
    # given a 70-year-old who allows personalisation (the real ranking)
    personalised(citizen)
    aged_70(citizen)
    app_client.get(RECOMMENDATIONS)  # the catalog's rules are built once per process

    # when the app asks for two suggestions, then for ten
    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert len(app_client.get(RECOMMENDATIONS, {"limit": limit}).json()["results"]) == limit
        return len(captured)

    # then the answer costs the same: nothing is read item by item
    assert queries(10) == queries(2)


# -- feedback -------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["save", "dismiss", "not_relevant"])
def test_feedback_from_the_app_is_stored_as_from_the_app(app_client, citizen, action):
    # given a person who allows personalisation
    personalised(citizen)
    # when their app gives feedback on a suggestion
    response = app_client.post(FEEDBACK, {"service": "gx-dibao", "action": action}, format="json")
    # then it is stored, from the app, and returned
    assert response.status_code == 201
    body = response.json()
    assert body["recorded"] is True and body["service"]["code"] == "gx-dibao"
    assert (body["kind"], body["channel"]) == (action, "app")
    assert stored(citizen) == [("gx-dibao", action, InteractionChannel.APP)]


def test_feedback_in_a_browser_is_from_the_web_unless_the_client_says(web_client, citizen):
    personalised(citizen)
    web_client.post(FEEDBACK, {"service": "gx-dibao", "action": "save"}, format="json")
    web_client.post(FEEDBACK, {"service": "gx-dibao", "action": "dismiss", "channel": "app"}, format="json")
    assert sorted(stored(citizen)) == [
        ("gx-dibao", InteractionKind.DISMISS, InteractionChannel.APP),
        ("gx-dibao", InteractionKind.SAVE, InteractionChannel.WEB),
    ]


def test_without_personalisation_a_save_is_not_kept_but_a_dismissal_is(app_client, citizen):
    # given a person who has not agreed to personalisation
    # when they save one service and dismiss another
    saved = app_client.post(FEEDBACK, {"service": "gx-elderly-allowance", "action": "save"}, format="json")
    dismissed = app_client.post(FEEDBACK, {"service": "gx-dibao", "action": "dismiss"}, format="json")
    # then the save is answered "not recorded", and only the dismissal is kept
    assert saved.status_code == 200 and saved.json() == {"recorded": False}
    assert dismissed.status_code == 201
    assert stored(citizen) == [("gx-dibao", InteractionKind.DISMISS, InteractionChannel.APP)]


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"service": "gx-dibao", "action": "like"}, "invalid", "action"),
        ({"service": "gx-dibao", "action": "apply"}, "invalid", "action"),
        ({"service": "gx-dibao", "action": "save", "channel": "counter"}, "invalid", "channel"),
        ({"action": "save"}, "invalid", "service"),
        ({"service": "no-such-service", "action": "dismiss"}, "unknown_service", "service"),
        ({"service": "no-such-service", "action": "save"}, "unknown_service", "service"),
    ],
)
def test_invalid_feedback_is_refused_in_the_one_error_shape(app_client, citizen, payload, code, field):
    personalised(citizen)
    response = app_client.post(FEEDBACK, payload, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and field in error["fields"] and error["message"]
    assert not Interaction.objects.exists()


# -- interactions an app reports ------------------------------------------------------------------


def test_the_app_reports_what_happened_and_when(app_client, citizen):
    # given a person who allows personalisation
    personalised(citizen)
    yesterday = (timezone.now() - datetime.timedelta(days=1)).replace(microsecond=0)
    # when their app reports an application made yesterday, and a view just now
    applied = app_client.post(
        INTERACTIONS,
        {"service": "gx-dibao", "kind": "apply", "occurred_at": yesterday.isoformat()},
        format="json",
    )
    viewed = app_client.post(INTERACTIONS, {"service": "gx-elderly-allowance", "kind": "view"}, format="json")
    # then both are stored, from the app, at their times
    assert applied.status_code == 201 and viewed.status_code == 201
    application = Interaction.objects.get(citizen=citizen, kind=InteractionKind.APPLY)
    assert application.occurred_at == yesterday and application.channel == InteractionChannel.APP
    assert applied.json()["kind_label"] and applied.json()["channel"] == "app"
    assert len(stored(citizen)) == 2


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        (
            {"service": "gx-dibao", "kind": "apply", "occurred_at": "2999-01-01T09:00:00+08:00"},
            "timestamp_in_future",
            "occurred_at",
        ),
        ({"service": "no-such-service", "kind": "view"}, "unknown_service", "service"),
        ({"service": "gx-dibao", "kind": "dismiss"}, "invalid", "kind"),
        ({"service": "gx-dibao", "kind": "view", "occurred_at": "yesterday"}, "invalid", "occurred_at"),
    ],
)
def test_the_app_cannot_report_the_impossible(app_client, citizen, payload, code, field):
    personalised(citizen)
    response = app_client.post(INTERACTIONS, payload, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and field in error["fields"]
    assert not Interaction.objects.exists()


def test_without_personalisation_the_app_s_reports_are_not_kept(app_client, citizen):
    response = app_client.post(INTERACTIONS, {"service": "gx-dibao", "kind": "view"}, format="json")
    assert response.status_code == 200 and response.json() == {"recorded": False}
    assert not Interaction.objects.exists()


# -- who may call ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("get", RECOMMENDATIONS), ("post", FEEDBACK), ("post", INTERACTIONS)])
def test_only_citizens_have_suggestions(catalog, method, path):
    payload = {"service": "gx-dibao", "action": "dismiss", "kind": "view"}
    # a visitor is refused, in the one error shape
    anonymous = getattr(APIClient(), method)(path, payload, format="json")
    assert anonymous.status_code in (401, 403) and set(anonymous.json()) == {"error"}
    # staff and department feeds have no suggestions of their own
    for role in (Role.COUNTER_STAFF, Role.DEPARTMENT_FEED):
        client = APIClient()
        client.force_login(StaffFactory(role=role))
        refused = getattr(client, method)(path, payload, format="json")
        assert refused.status_code == 403 and set(refused.json()) == {"error"}
    assert not Interaction.objects.exists()


def test_the_schema_documents_the_endpoints(client, db):
    text = client.get("/api/schema/").content.decode()
    for path in (RECOMMENDATIONS, FEEDBACK, INTERACTIONS):
        assert f"{path}:" in text, path
    assert "ForYouOutput" in text and "ReasonOutput" in text
