"""The citizen's own pages under /me/: their facts, tags, consents, who looked, the export.

Each is a plain form post and a redirect; the citizen always comes from the signed-in user.
"""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.utils import timezone

from profiles.models import AccessChannel, ConsentChannel, FactErrorReport, FactSource, FactValue, Role
from profiles.purposes import Purpose
from profiles.selectors import consent_given
from profiles.services.access import access_record
from profiles.services.consent import consent_grant
from profiles.services.facts import fact_record
from services_portal.catalog.life_events import citizen_tags
from tests.factories import MODEL_BACKEND, StaffFactory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}

# Each page's <h1> in both languages.
PAGES = {
    "/me/": ("My account", "我的账户"),
    "/me/facts/": ("Your answers", "您填写的信息"),
    "/me/tags/": ("Your life-event tags", "您的人生大事标签"),
    "/me/consents/": ("Your consents", "您的授权"),
    "/me/access-log/": ("Who looked at my data", "谁查看了我的信息"),
    "/me/export/": ("Everything we hold about you", "我们保存的您的全部信息"),
    "/me/close/": ("Close my account", "注销账户"),
}


@pytest.fixture
def me(client, citizen):
    """A client signed in as `citizen`."""
    client.force_login(citizen.user, backend=MODEL_BACKEND)
    return client


def declare(citizen, key, value, **extra):
    return fact_record(citizen=citizen, key=key, value=value, source=FactSource.SELF_DECLARED, **extra)


def from_department(citizen, key, value, department):
    consent_grant(citizen=citizen, purpose=Purpose.DATA_MATCHING, channel=ConsentChannel.WEB)
    return fact_record(citizen=citizen, key=key, value=value, source=FactSource.DEPARTMENT_FEED, department=department)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_in_both_languages(me, citizen, catalog, path, language):
    # given a citizen with a fact, a tag, a consent and a staff read
    declare(citizen, "birth_date", (timezone.localdate() - datetime.timedelta(days=365 * 70)).isoformat())
    consent_grant(citizen=citizen, purpose=Purpose.PERSONALISATION, channel=ConsentChannel.WEB)
    staff = StaffFactory(username="counter7", role=Role.COUNTER_STAFF)
    access_record(actor=staff, subject=citizen, fields=["birth_date"], purpose="counter_service", channel="page")
    # when the page is opened in the language
    response = me.get(path, HTTP_ACCEPT_LANGUAGE=language)
    # then it answers in that language
    html = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{PAGES[path][0 if language == 'en' else 1]}</h1>" in html
    assert f'<html lang="{"en" if language == "en" else "zh-Hans"}">' in html


@pytest.mark.parametrize("path", [*PAGES, "/me/export.json"])
def test_the_pages_need_a_signed_in_citizen(client, db, path):
    assert client.get(path)["Location"].startswith("/account/login/?next=")
    client.force_login(StaffFactory(role=Role.COUNTER_STAFF), backend=MODEL_BACKEND)
    assert client.get(path).status_code == 404


def test_the_profile_shows_facts_by_topic_with_their_source(me, citizen, catalog):
    declare(citizen, "household_size", 3)
    from_department(citizen, "hukou_type", "rural", "public_security")
    declare(citizen, "region_code", "450103")
    html = me.get("/me/", **EN).content.decode()
    about_you, family = html.split("<h3>About you</h3>")[1].split("<h3>Your family</h3>")
    assert "Rural" in about_you and "Government department" in about_you
    assert "Guangxi Department of Public Security" in about_you
    assert "Qingxiu District, Nanning City" in about_you
    assert "3 people" in family and "You told us" in family


def test_editing_a_fact_saves_it_and_keeps_the_old_value_as_history(me, citizen):
    # given a fact the citizen stated before
    declare(citizen, "household_size", 2)
    form = me.get("/me/facts/", **EN).content.decode()
    assert 'name="household_size" value="2"' in form
    # when they change it
    response = me.post("/me/facts/", {"household_size": "4", "sex": "female"}, **EN)
    # then it is saved and the profile shows the new value, the old one in the history
    assert response.status_code == 302 and response["Location"] == "/me/"
    profile = me.get("/me/", **EN).content.decode()
    assert "Your answers are saved." in profile
    assert "4 people" in profile.split("<h2>Earlier values</h2>")[0]
    assert "2 people" in profile.split("<h2>Earlier values</h2>")[1]
    assert "Female" in profile


@pytest.mark.parametrize(("headers", "message"), [(EN, "Enter a whole number."), (ZH, "请输入整数")])
def test_a_bad_value_is_shown_on_its_field_and_nothing_is_saved(me, citizen, headers, message):
    response = me.post("/me/facts/", {"household_size": "many", "sex": "female"}, **headers)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_household_size"' in html and 'id="id_household_size_error"' in html and message in html
    assert not FactValue.objects.filter(citizen=citizen).exists()


def test_a_blank_answer_withdraws_what_the_citizen_said(me, citizen):
    declare(citizen, "owns_home", True)
    me.post("/me/facts/", {"owns_home": ""})
    assert not FactValue.objects.filter(citizen=citizen, key="owns_home", superseded_at__isnull=True).exists()


def test_a_department_value_is_read_only_and_refused_if_sent(me, citizen):
    # given a value from the public security department
    from_department(citizen, "hukou_type", "rural", "public_security")
    form = me.get("/me/facts/", **EN).content.decode()
    assert 'name="hukou_type"' not in form and 'id="fact-hukou_type"' in form
    # when a form sends a value for it anyway
    response = me.post("/me/facts/", {"hukou_type": "urban", "household_size": "3"}, **EN)
    # then it is refused on that fact, with the way to report an error, and nothing is stored
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#fact-hukou_type"' in html and "If it is wrong, report the error." in html
    assert not FactValue.objects.filter(citizen=citizen, key="household_size").exists()
    assert FactValue.objects.get(citizen=citizen, superseded_at__isnull=True).value == "rural"


def test_reporting_an_error_in_a_department_value(me, citizen, catalog):
    record = from_department(citizen, "hukou_type", "rural", "public_security")
    response = me.post("/me/facts/report/", {"key": "hukou_type", "text": ""}, **EN)
    assert response.status_code == 400 and 'href="#report-hukou_type-text"' in response.content.decode()
    response = me.post("/me/facts/report/", {"key": "hukou_type", "text": "I moved to the city in 2019."}, **EN)
    assert response.status_code == 302
    assert FactErrorReport.objects.get().fact_value == record
    assert "Your report is sent to Guangxi Department of Public Security" in me.get("/me/facts/", **EN).content.decode()


def test_an_error_report_names_a_fact_the_citizen_holds(me, citizen, other_citizen):
    from_department(other_citizen, "hukou_type", "rural", "public_security")
    assert me.post("/me/facts/report/", {"key": "hukou_type", "text": "wrong"}).status_code == 404
    assert not FactErrorReport.objects.exists()


def test_sensitive_questions_wait_for_the_consent(me, citizen):
    assert 'name="disability_level"' not in me.get("/me/facts/").content.decode()
    consent_grant(citizen=citizen, purpose=Purpose.SENSITIVE_FACTS, channel=ConsentChannel.WEB)
    assert 'name="disability_level"' in me.get("/me/facts/").content.decode()


def test_deleting_a_tag(me, citizen, catalog):
    # given an elderly citizen with the "elderly" tag and the fact behind it
    declare(citizen, "birth_date", (timezone.localdate() - datetime.timedelta(days=365 * 70)).isoformat())
    page = me.get("/me/tags/", **EN).content.decode()
    assert 'name="life_event" value="elderly"' in page and "Date of birth" in page and "You told us" in page
    # when they delete it
    response = me.post("/me/tags/", {"life_event": "elderly"}, **EN)
    # then it is gone
    assert response.status_code == 302
    page = me.get("/me/tags/", **EN).content.decode()
    assert "The tag is removed." in page and 'value="elderly"' not in page
    assert "elderly" not in {tag.code for tag in citizen_tags(citizen)}


def test_granting_then_withdrawing_a_consent_takes_effect_on_the_next_request(me, citizen):
    # given the consents page: every purpose with its notice, none granted
    page = me.get("/me/consents/", **EN).content.decode()
    assert page.count('value="grant"') == len(Purpose) and 'value="withdraw"' not in page
    assert "Notice version 1" in page
    # when the citizen agrees to hold sensitive facts and states one
    assert me.post("/me/consents/", {"purpose": "sensitive_facts", "action": "grant"}).status_code == 302
    assert consent_given(citizen, Purpose.SENSITIVE_FACTS)
    me.post("/me/facts/", {"disability_level": "2"})
    assert "Disability level" in me.get("/me/", **EN).content.decode()
    page = me.get("/me/consents/", **EN).content.decode()
    assert page.count('value="withdraw"') == 1 and "Agreed on" in page
    # when they withdraw it
    me.post("/me/consents/", {"purpose": "sensitive_facts", "action": "withdraw"})
    # then the very next page neither shows nor uses the fact
    profile = me.get("/me/", **EN).content.decode()
    assert "Disability level" not in profile and "Sensitive facts (health, disability" in profile
    assert "Withdrawn on" in me.get("/me/consents/", **EN).content.decode()
    assert list(citizen.consent_events.order_by("id").values_list("granted", "channel")) == [
        (True, "web"),
        (False, "web"),
    ]


def test_the_personalisation_switch_is_in_the_header_of_every_page(me, citizen):
    html = me.get("/services/", **EN).content.decode()
    assert 'aria-pressed="true">Personalisation: on' in html and "My account" in html and "Sign out" in html
    response = me.post("/me/personalisation/", {"personalisation": "off", "next": "/services/"})
    assert response["Location"] == "/services/"
    citizen.refresh_from_db()
    assert citizen.personalisation_enabled is False
    assert 'aria-pressed="false">Personalisation: off' in me.get("/", **EN).content.decode()
    # another site is not a place to go back to
    assert (
        me.post("/me/personalisation/", {"personalisation": "on", "next": "https://evil.example/"})["Location"]
        == "/me/"
    )


def test_visitors_see_a_sign_in_link_and_no_switch(client, db):
    html = client.get("/", **EN).content.decode()
    assert 'href="/account/login/"' in html and "Personalisation" not in html


def test_who_looked_at_my_data(me, citizen, other_citizen):
    # given two reads of the citizen's data by staff, and one of someone else's
    staff = StaffFactory(username="counter7", role=Role.COUNTER_STAFF)
    fields = ["birth_date", "name"]
    access_record(actor=staff, subject=citizen, fields=fields, purpose="counter_service", channel="page")
    access_record(actor=staff, subject=other_citizen, fields=["sex"], purpose="outreach", channel="page")
    # when they open the page
    html = me.get("/me/access-log/", **EN).content.decode()
    # then they see who, what, why and how of their own entry only
    assert "Counter staff · counter7" in html
    assert "Date of birth, Name" in html and "Serving the person at a counter" in html and "Staff page" in html
    assert "Reaching a person who is not online" not in html


def test_the_access_log_pages_through_fewer_entries_in_elder_mode(me, citizen):
    staff = StaffFactory(role=Role.CASEWORKER)
    for _ in range(7):
        access_record(actor=staff, subject=citizen, fields=["sex"], purpose="casework", channel=AccessChannel.PAGE)
    me.cookies["display"] = "elder"
    html = me.get("/me/access-log/", **EN).content.decode()
    assert html.count('class="log-entry"') == 6 and "Page 1 of 2" in html


def test_the_export_holds_the_facts_with_their_sources(me, citizen, catalog):
    # given facts from the citizen and from a department, and a consent
    declare(citizen, "household_size", 2)
    declare(citizen, "household_size", 3)
    from_department(citizen, "hukou_type", "rural", "public_security")
    # when they download their data
    response = me.get("/me/export.json", **EN)
    # then it is an attachment with every value and where it came from
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    data = json.loads(response.content)
    facts = {(fact["key"], fact["value"]): fact for fact in data["facts"]}
    assert facts[("household_size", 3)]["source"] == "self_declared" and facts[("household_size", 3)]["current"]
    assert facts[("household_size", 2)]["superseded_at"] is not None
    hukou = facts[("hukou_type", "rural")]
    assert hukou["source"] == "department_feed" and hukou["department"] == "public_security"
    assert hukou["department_name"] == "Guangxi Department of Public Security" and hukou["value_display"] == "Rural"
    assert [event["purpose"] for event in data["consents"]] == ["data_matching"]
    assert data["citizen"]["resident_id_masked"] == citizen.resident_id_masked
    assert citizen.resident_id not in response.content.decode()
    # and the page shows the same
    page = me.get("/me/export/", **EN).content.decode()
    assert "Guangxi Department of Public Security" in page and 'href="/me/export.json"' in page


def test_every_change_needs_the_csrf_token(citizen):
    from django.test import Client

    # given a browser without the form's token (another site posting on the citizen's behalf)
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen.user, backend=MODEL_BACKEND)
    # when it posts changes, then each is refused and nothing changes
    for path, data in [
        ("/me/consents/", {"purpose": "personalisation", "action": "grant"}),
        ("/me/facts/", {"household_size": "3"}),
        ("/me/personalisation/", {"personalisation": "off"}),
        ("/me/close/", {"password": "correct-horse-battery-9"}),
    ]:
        assert client.post(path, data).status_code == 403
    assert not citizen.consent_events.exists() and not FactValue.objects.filter(citizen=citizen).exists()
    citizen.refresh_from_db()
    assert citizen.personalisation_enabled and citizen.erased_at is None


def test_personal_pages_are_not_kept_by_the_browser(me):
    for path in ["/me/", "/me/export/", "/me/export.json"]:
        assert "no-store" in me.get(path)["Cache-Control"]


def test_withdrawing_sensitive_consent_deletes_the_sensitive_facts(me, citizen):
    # given a sensitive fact, held under a consent
    from profiles.services.consent import consent_withdraw

    consent_grant(citizen=citizen, purpose=Purpose.SENSITIVE_FACTS, channel=ConsentChannel.WEB)
    declare(citizen, "disability_level", 2)
    # when the citizen withdraws the consent
    consent_withdraw(citizen=citizen, purpose=Purpose.SENSITIVE_FACTS, channel=ConsentChannel.WEB)
    # then the fact is gone with its history: from the profile and from everything held
    data = json.loads(me.get("/me/export.json").content)
    assert [fact["key"] for fact in data["facts"]] == []
    assert "Disability level" not in me.get("/me/", **EN).content.decode()


def test_no_children_is_an_answer_shown_as_none_and_kept(me, citizen):
    # given a citizen who may state sensitive facts, on the form that offers "I have no children"
    consent_grant(citizen=citizen, purpose=Purpose.SENSITIVE_FACTS, channel=ConsentChannel.WEB)
    form = me.get("/me/facts/", **EN).content.decode()
    assert 'name="children_birth_dates_none"' in form and "I have no children</label>" in form

    # when they tick it, leaving the dates empty
    response = me.post("/me/facts/", {"children_birth_dates": "", "children_birth_dates_none": "on"}, **EN)

    # then "none" is stored as an empty list, shown as "None", and ticked when they come back
    assert response.status_code == 302
    record = FactValue.objects.get(citizen=citizen, key="children_birth_dates", superseded_at__isnull=True)
    assert record.value == []
    family = me.get("/me/", **EN).content.decode().split("<h3>Your family</h3>")[1]
    assert "Children&#x27;s dates of birth" in family or "Children's dates of birth" in family
    assert "None" in family and "Not given" not in family.split("<h3>")[0]
    again = me.get("/me/facts/", **EN).content.decode()
    assert re.search(r'type="checkbox" name="children_birth_dates_none"[^>]*checked', again)

    # and sending the same "none" again changes nothing; leaving both empty withdraws it
    me.post("/me/facts/", {"children_birth_dates": "", "children_birth_dates_none": "on"}, **EN)
    assert FactValue.objects.filter(citizen=citizen, key="children_birth_dates").count() == 1
    me.post("/me/facts/", {"children_birth_dates": ""}, **EN)
    assert not FactValue.objects.filter(
        citizen=citizen, key="children_birth_dates", superseded_at__isnull=True
    ).exists()
