"""The "for you" page (/me/for-you/), its save / dismiss / not relevant buttons, the views a service
page records, and the interactions in the person's export.

Tests marked PATCHED replace `recommender.selectors.recommendations_for` with a list built here, to
check that the page shows what the ranking gives it; the others use the real ranking.
"""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.test import Client
from django.utils import formats, timezone, translation

from profiles.facts import FACTS
from profiles.models import ConsentChannel, FactSource, Role
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant, personalisation_set
from profiles.services.facts import fact_record
from recommender import selectors
from recommender.explanations import FactBasis, Fallback, ForYou, Reason, ReasonKind, Recommendation, Source
from recommender.models import Interaction, InteractionChannel, InteractionKind
from recommender.services.interactions import interaction_record
from services_portal.catalog.models import Department, ServiceItem
from tests.factories import MODEL_BACKEND, StaffFactory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
OBSERVED = datetime.date(2026, 3, 15)


@pytest.fixture
def me(client, citizen, catalog):
    """A client signed in as `citizen`, with the seed catalog."""
    client.force_login(citizen.user, backend=MODEL_BACKEND)
    return client


def personalised(citizen) -> None:
    consent_grant(citizen=citizen, purpose=Purpose.PERSONALISATION, channel=ConsentChannel.WEB)


def aged_70(citizen) -> None:
    born = (timezone.localdate() - datetime.timedelta(days=365 * 70)).isoformat()
    fact_record(citizen=citizen, key="birth_date", value=born, source=FactSource.SELF_DECLARED)


def service(code: str) -> ServiceItem:
    return ServiceItem.objects.select_related("department").get(code=code)


def elderly_list(citizen, limit: int, *, fallback: Fallback | None = None) -> ForYou:
    """What a ranking might give a 70-year-old: built when the page asks, so in the page's language."""
    security = Department.objects.get(code="public_security").name
    allowance = Recommendation(
        service=service("gx-elderly-allowance"),
        score=0.92,
        sources=(Source.RULES,),
        eligible=True,
        reasons=(
            Reason(
                kind=ReasonKind.LIFE_EVENT,
                text="Reason: you are in the elderly life event.",
                life_event="elderly",
                facts=(
                    FactBasis(
                        key="birth_date",
                        label=str(FACTS["birth_date"].label),
                        value="1956-01-02",
                        source=str(FactSource.DEPARTMENT_FEED.label),
                        department=security,
                        observed_on=OBSERVED.isoformat(),
                    ),
                ),
            ),
            Reason(kind=ReasonKind.CRITERIA, text="Reason: you meet the criteria.", criteria=("Aged 80 or over",)),
        ),
    )
    card = service("gx-elderly-preferential-card")
    health_check = Recommendation(
        service=service("gx-elderly-health-checkup"),
        score=0.61,
        sources=(Source.ALS, Source.LIGHTFM),
        eligible=False,
        missing_facts=(str(FACTS["hukou_type"].label),),
        reasons=(
            Reason(
                kind=ReasonKind.COLLABORATIVE,
                text=f"Reason: people who used {card.name} also used this service.",
                services=(card,),
            ),
            Reason(kind=ReasonKind.SIMILAR_PEOPLE, text="Reason: people like you (aged 65 to 79).", traits=("65-79",)),
        ),
    )
    dibao = Recommendation(
        service=service("gx-dibao"),
        score=0.4,
        sources=(Source.POPULARITY,),
        eligible=True,
        reasons=(Reason(kind=ReasonKind.ESSENTIAL, text="Reason: essential help."),),
    )
    items = [allowance, health_check, dibao][:limit]
    return ForYou(personalised=fallback is None, items=items, model_version=3, fallback=fallback)


@pytest.fixture
def recommending(monkeypatch):
    """PATCHED: `recommendations_for` answers with `elderly_list`; returns the limits it was asked for."""
    limits: list[int] = []

    def install(fallback: Fallback | None = None) -> list[int]:
        def fake(citizen, *, limit: int = 10) -> ForYou:
            limits.append(limit)
            return elderly_list(citizen, limit, fallback=fallback)

        monkeypatch.setattr(selectors, "recommendations_for", fake)
        return limits

    return install


def feedback(client, code: str, action: str, *, next: str = "", headers: dict | None = None):  # noqa: A002
    data = {"service": code, "action": action, **({"next": next} if next else {})}
    return client.post("/me/for-you/feedback/", data, **(headers or EN))


def card_of(html: str, code: str) -> str:
    """The <li> of one suggestion on the page."""
    start = html.index(f'href="/services/{code}/"')
    start = html.rindex('<li class="result', 0, start)
    return html[start : html.index('<input type="hidden" name="service"', start) + 400]


# -- what the page shows (PATCHED) ------------------------------------------------------------------


def test_the_page_lists_each_suggestion_with_its_reasons_and_their_sources(me, citizen, recommending):
    # given a ranking that suggests three services with reasons of every kind
    recommending()
    # when the person opens the page
    response = me.get("/me/for-you/", **EN)
    # then each suggestion shows, in order, with its department and whether they qualify
    html = response.content.decode()
    assert response.status_code == 200 and "<h1>Services for you</h1>" in html
    codes = ["gx-elderly-allowance", "gx-elderly-health-checkup", "gx-dibao"]
    positions = [html.index(f'<a href="/services/{code}/">') for code in codes]
    assert positions == sorted(positions)
    allowance, health_check = card_of(html, codes[0]), card_of(html, codes[1])
    assert "Old-age allowance" in allowance and "Guangxi Department of Civil Affairs" in allowance
    assert "You qualify" in allowance
    assert "You may qualify." in health_check
    assert '<a href="/me/facts/">tell us</a>: Household registration type.' in health_check
    # the life event's fact, with its value, source, department and date
    assert "Reason: you are in the elderly life event." in allowance
    with translation.override("en"):
        observed = formats.date_format(OBSERVED)
    assert "<dt>Date of birth</dt><dd>1956-01-02" in allowance
    assert f"Source: Government department · Guangxi Department of Public Security · as of {observed}" in allowance
    # the criteria met
    assert "Met:</span> Aged 80 or over" in allowance
    # the person's services that led to a collaborative suggestion, and the traits shared
    assert "Reason: people who used Senior citizen concession card also used this service." in health_check
    assert "Reason: people like you (aged 65 to 79)." in health_check
    assert "Chosen for you" in html


def test_every_button_names_its_service(me, recommending):
    recommending()
    html = me.get("/me/for-you/", **EN).content.decode()
    # three buttons a card, each with a name no other button has
    names = re.findall(
        r'<button class="button button-secondary" type="submit" name="action" value="[a-z_]+">(.*?)</button>', html
    )
    assert len(names) == 9 and len(set(names)) == 9
    assert 'Save<span class="visually-hidden">: Old-age allowance</span>' in names
    assert 'Not relevant<span class="visually-hidden"> to me: Minimum living allowance (dibao)</span>' in names
    # each card's form posts its own service, with the CSRF token
    assert html.count('action="/me/for-you/feedback/"') == 3
    assert html.count('name="csrfmiddlewaretoken"') >= 3


def test_without_consent_the_page_says_so_and_links_to_the_consents(me, recommending):
    recommending(fallback=Fallback.NO_CONSENT)
    html = me.get("/me/for-you/", **EN).content.decode()
    assert "Not personalised: you have not agreed to personalised suggestions" in html
    assert '<a href="/me/consents/">consents page</a>' in html


def test_with_the_switch_off_the_page_offers_to_turn_it_on(me, citizen, recommending):
    recommending(fallback=Fallback.SWITCHED_OFF)
    html = me.get("/me/for-you/", **EN).content.decode()
    assert "your personalisation switch is off" in html
    switch = html[html.index("your personalisation switch is off") :]
    assert 'action="/me/personalisation/"' in switch and 'name="personalisation" value="on"' in switch
    # and the button turns it on, back to this page
    response = me.post("/me/personalisation/", {"personalisation": "on", "next": "/me/for-you/"})
    citizen.refresh_from_db()
    assert response["Location"] == "/me/for-you/" and citizen.personalisation_enabled


def test_elder_mode_shows_fewer_suggestions(me, recommending):
    limits = recommending()
    me.get("/me/for-you/")
    me.cookies["display"] = "elder"
    me.get("/me/for-you/")
    assert limits[0] == 10 and limits[1] < limits[0]


def test_the_page_follows_the_language(me, recommending):
    recommending()
    chinese = me.get("/me/for-you/", **ZH).content.decode()
    assert "高龄津贴" in chinese and "Old-age allowance" not in chinese
    assert '<html lang="zh-Hans">' in chinese


def test_the_menu_leads_signed_in_citizens_to_their_suggestions(me, client, db):
    assert 'href="/me/for-you/"' in me.get("/", **EN).content.decode()
    assert 'href="/me/for-you/"' not in Client().get("/", **EN).content.decode()


# -- the buttons ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("save", "Saved: Old-age allowance."),
        ("dismiss", "Removed from your list: Old-age allowance."),
        ("not_relevant", "Thank you for telling us. We will not suggest Old-age allowance again."),
    ],
)
def test_each_button_records_its_interaction_on_the_web(me, citizen, action, message):
    # given a person who allows personalisation
    personalised(citizen)
    # when they press a button on a suggestion
    response = feedback(me, "gx-elderly-allowance", action)
    # then it is recorded, from the web, and they go back to the list
    assert response.status_code == 302 and response["Location"] == "/me/for-you/"
    interaction = Interaction.objects.get(citizen=citizen)
    assert (interaction.service.code, interaction.kind, interaction.channel) == (
        "gx-elderly-allowance",
        action,
        InteractionChannel.WEB,
    )
    # and told what happened, on the next page they see
    page = feedback(me, "gx-dibao", "dismiss", next="/services/gx-dibao/")
    assert page["Location"] == "/services/gx-dibao/"
    assert message in me.get("/services/gx-dibao/", **EN).content.decode()


def test_without_personalisation_a_dismissal_is_kept_and_a_save_is_not(me, citizen):
    # given a person who has not agreed to personalisation
    # when they save one suggestion and dismiss another
    saved = feedback(me, "gx-elderly-allowance", "save", next="/services/gx-elderly-allowance/")
    dismissed = feedback(me, "gx-dibao", "dismiss")
    # then only the dismissal is kept: it is their wish, not their activity
    assert saved.status_code == 302 and dismissed.status_code == 302
    kinds = list(Interaction.objects.filter(citizen=citizen).values_list("service__code", "kind"))
    assert kinds == [("gx-dibao", InteractionKind.DISMISS)]
    html = me.get("/services/gx-elderly-allowance/", **EN).content.decode()
    assert "Not saved: personalisation is off" in html


def test_a_dismissed_service_is_gone_on_the_next_load(me, citizen):
    # given a 70-year-old who allows personalisation, with suggestions
    personalised(citizen)
    aged_70(citizen)
    html = me.get("/me/for-you/", **EN).content.decode()
    first = re.search(r'name="service" value="([a-z0-9-]+)"', html).group(1)
    # when they dismiss the first one
    feedback(me, first, "dismiss")
    # then it is not suggested again
    assert f'name="service" value="{first}"' not in me.get("/me/for-you/", **EN).content.decode()


def test_the_real_list_renders_for_a_person_without_consent(me, citizen):
    aged_70(citizen)
    response = me.get("/me/for-you/", **EN)
    html = response.content.decode()
    assert response.status_code == 200 and "<h1>Services for you</h1>" in html
    assert "Not personalised" in html


def test_an_unknown_service_or_action_changes_nothing(me, citizen):
    personalised(citizen)
    unknown_service = feedback(me, "no-such-service", "dismiss")
    unknown_action = feedback(me, "gx-dibao", "apply")
    assert unknown_service.status_code == 302 and unknown_action.status_code == 302
    assert not Interaction.objects.filter(citizen=citizen).exists()
    html = me.get("/services/gx-dibao/", **EN).content.decode()
    assert "no-such-service is not a service in the catalog." in html
    assert "Sorry, that did not work." in html


def test_the_buttons_need_the_csrf_token(citizen, catalog):
    # given a browser without the form's token (another site posting on the person's behalf)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(citizen.user, backend=MODEL_BACKEND)
    # when it posts a dismissal, then it is refused and nothing is recorded
    assert feedback(browser, "gx-dibao", "dismiss").status_code == 403
    assert not Interaction.objects.exists()


def test_a_redirect_off_the_site_is_not_followed(me, citizen):
    response = feedback(me, "gx-dibao", "dismiss", next="https://evil.example/")
    assert response["Location"] == "/me/for-you/"


# -- who may see the page -------------------------------------------------------------------------


def test_the_page_is_for_signed_in_citizens(client, catalog):
    dismissal = {"service": "gx-dibao", "action": "dismiss"}
    # a visitor is sent to sign in
    assert client.get("/me/for-you/")["Location"].startswith("/account/login/?next=")
    assert client.post("/me/for-you/feedback/", dismissal)["Location"].startswith("/account/login/?next=")
    # staff have no suggestions of their own: like every /me/ page, there is none for them
    client.force_login(StaffFactory(role=Role.COUNTER_STAFF), backend=MODEL_BACKEND)
    assert client.get("/me/for-you/").status_code == 404
    assert client.post("/me/for-you/feedback/", dismissal).status_code == 404
    assert not Interaction.objects.exists()


def test_the_buttons_are_form_posts(me):
    assert me.get("/me/for-you/feedback/").status_code == 405


def test_the_page_is_not_kept_by_the_browser(me, recommending):
    recommending()
    assert "no-store" in me.get("/me/for-you/")["Cache-Control"]


# -- the service page records a view --------------------------------------------------------------


def test_opening_a_service_page_records_one_view_with_personalisation(me, citizen):
    personalised(citizen)
    response = me.get("/services/gx-elderly-allowance/", **EN)
    assert response.status_code == 200
    views = Interaction.objects.filter(citizen=citizen)
    assert list(views.values_list("service__code", "kind", "channel")) == [
        ("gx-elderly-allowance", InteractionKind.VIEW, InteractionChannel.WEB)
    ]


def test_opening_a_service_page_without_consent_records_nothing(me, citizen):
    assert me.get("/services/gx-elderly-allowance/").status_code == 200
    # with consent but the switch off, nothing either
    personalised(citizen)
    personalisation_set(citizen=citizen, enabled=False)
    assert me.get("/services/gx-elderly-allowance/").status_code == 200
    assert not Interaction.objects.exists()


def test_a_visitor_opening_a_service_page_leaves_no_trace(client, catalog):
    html = client.get("/services/gx-elderly-allowance/", **EN).content.decode()
    assert "Save this service" not in html
    assert not Interaction.objects.exists()


def test_the_service_page_has_a_save_button_for_citizens(me, citizen):
    personalised(citizen)
    html = me.get("/services/gx-elderly-allowance/", **EN).content.decode()
    assert "Save this service" in html and 'name="next" value="/services/gx-elderly-allowance/"' in html
    response = feedback(me, "gx-elderly-allowance", "save", next="/services/gx-elderly-allowance/")
    assert response["Location"] == "/services/gx-elderly-allowance/"
    assert Interaction.objects.filter(citizen=citizen, kind=InteractionKind.SAVE).count() == 1


# -- the export -----------------------------------------------------------------------------------


def test_the_export_holds_the_interactions(me, citizen):
    # given a view from the app last week and a dismissal on the web
    last_week = timezone.now() - datetime.timedelta(days=7)
    interaction_record(
        citizen=citizen, service_code="gx-dibao", kind="view", channel=InteractionChannel.APP, occurred_at=last_week
    )
    interaction_record(citizen=citizen, service_code="gx-elderly-allowance", kind="dismiss", channel="web")
    # when they download their data
    exported = json.loads(me.get("/me/export.json", **EN).content)
    # then both are there, newest first, with service, kind, channel and time
    rows = [(row["service"], row["kind"], row["channel"]) for row in exported["interactions"]]
    assert rows == [("gx-elderly-allowance", "dismiss", "web"), ("gx-dibao", "view", "app")]
    assert exported["interactions"][1]["occurred_at"] == timezone.localtime(last_week).isoformat()
    assert exported["interactions"][1]["service_name"] == "Minimum living allowance (dibao)"
    # and the export page shows them too
    page = me.get("/me/export/", **EN).content.decode()
    assert "What you did with services" in page and "Dismissed “Old-age allowance” (Web)" in page
