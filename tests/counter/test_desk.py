"""The counter desk: looking a person up with a purpose, serving them, and their take-home checklist."""

from __future__ import annotations

import datetime
import re
from io import BytesIO

import pytest
import time_machine
from django.utils import timezone
from pypdf import PdfReader

from profiles.models import AccessChannel, AccessLogEntry, ConsentChannel, ConsentEvent, FactSource, FactValue, Role
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from profiles.services.facts import fact_record
from recommender.models import Interaction
from services_portal.counter.pdf import CJK_FONT, ChecklistFontMissing, checklist_font_check
from tests.factories import MODEL_BACKEND, StaffFactory, citizen_make, resident_id_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
ALLOWANCE = "gx-elderly-allowance"
DIBAO = "gx-dibao"
CONCESSION_CARD = "gx-elderly-preferential-card"


def signed_in(client, user):
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def html_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def counter_staff(db):
    """Counter staff of Qingxiu District, Nanning (450103), as in the demo."""
    return StaffFactory(username="qingxiu-counter", role=Role.COUNTER_STAFF, region_scope="450103")


@pytest.fixture
def elder(catalog):
    """An 86-year-old of Qingxiu with a Guangxi hukou and a mobile number."""
    person = citizen_make(region_code="450103", name="黄秀英")
    person.phone = "13800001111"
    person.save(update_fields=["phone"])
    for key, value in (("birth_date", "1940-03-01"), ("hukou_region_code", "450103")):
        fact_record(citizen=person, key=key, value=value, source=FactSource.SELF_DECLARED)
    return person


def look_up(client, **data):
    return client.post("/counter/", data, **EN)


def visit_of(client, person, purpose="counter_service") -> str:
    """Looks the person up and returns the visit's page address."""
    response = look_up(client, resident_id=person.resident_id, purpose=purpose)
    assert response.status_code == 302, html_of(response)
    return response["Location"]


# -- the look-up -----------------------------------------------------------------------------------


def test_looking_up_by_id_number_opens_the_person_and_logs_the_purpose(client, counter_staff, elder):
    # given counter staff of the person's district
    signed_in(client, counter_staff)
    # when they look the person up by resident ID number for counter service
    response = look_up(client, resident_id=elder.resident_id, purpose="counter_service")
    # then they are taken to the visit's page, whose address carries neither the ID number nor the record id
    assert response.status_code == 302
    address = response["Location"]
    assert re.fullmatch(r"/counter/visit/[A-Za-z0-9_-]{16}/", address)
    assert elder.resident_id not in address and f"/{elder.pk}/" not in address
    # and finding the person shows nothing yet, so nothing is logged yet
    assert not AccessLogEntry.objects.exists()
    # when the visit's page opens
    page = client.get(address, **EN)
    # then it shows who the person is, and the read is logged with the purpose, the fields and the page channel
    html = html_of(page)
    assert page.status_code == 200
    assert "黄秀英" in html and elder.resident_id_masked in html and "13800001111" in html
    assert elder.resident_id not in html
    (entry,) = AccessLogEntry.objects.all()
    assert (entry.actor, entry.subject, entry.purpose, entry.channel) == (
        counter_staff,
        elder,
        "counter_service",
        AccessChannel.PAGE,
    )
    assert {"name", "resident_id_masked", "phone", "birth_date", "consents"} <= set(entry.fields)
    assert elder.resident_id not in str(entry.fields)


def test_looking_up_by_name_and_mobile_number(client, counter_staff, elder):
    # given counter staff, and the person's name and mobile number (written with a space)
    signed_in(client, counter_staff)
    # when they look the person up by name and number for outreach
    response = look_up(client, name="黄秀英", phone="138 0000 1111", purpose="outreach")
    # then the person opens, and the read is logged with the purpose outreach
    assert response.status_code == 302
    assert client.get(response["Location"], **EN).status_code == 200
    assert list(AccessLogEntry.objects.values_list("subject", "purpose")) == [(elder.pk, "outreach")]


def test_the_purpose_is_required(client, counter_staff, elder):
    # when staff look a person up without saying why
    response = signed_in(client, counter_staff).post("/counter/", {"resident_id": elder.resident_id}, **EN)
    # then the look-up is refused with the reason, and nobody is opened or logged
    assert response.status_code == 400
    assert "Choose the purpose of this look-up." in html_of(response)
    assert not AccessLogEntry.objects.exists()


def test_the_look_up_needs_an_id_number_or_a_name_and_number(client, counter_staff, elder):
    signed_in(client, counter_staff)
    # a name alone is not enough, nor an ID number with a wrong check character
    response = look_up(client, name="黄秀英", purpose="counter_service")
    assert response.status_code == 400 and "Enter the mobile number as well as the name." in html_of(response)
    wrong = elder.resident_id[:17] + ("0" if elder.resident_id[17] != "0" else "1")
    response = look_up(client, resident_id=wrong, purpose="counter_service")
    assert response.status_code == 400 and "check the last character" in html_of(response)


def test_a_person_outside_the_staff_members_area_is_not_found(client, counter_staff, catalog):
    # given a person in Liuzhou, and staff of a Nanning district
    liuzhou = citizen_make(region_code="450202", name="覃明")
    liuzhou.phone = "13900002222"
    liuzhou.save(update_fields=["phone"])
    signed_in(client, counter_staff)
    # when the staff look them up, by ID number or by name and number, or someone who does not exist
    by_id = look_up(client, resident_id=liuzhou.resident_id, purpose="counter_service")
    by_name = look_up(client, name="覃明", phone="13900002222", purpose="counter_service")
    nobody = look_up(client, resident_id=resident_id_make(region="450103"), purpose="counter_service")
    # then both answer "not found", the same as for nobody at all, and nothing is logged
    for response in (by_id, by_name, nobody):
        assert response.status_code == 404
        assert "No one with these details is registered in your area." in html_of(response)
    assert not AccessLogEntry.objects.filter(subject=liuzhou).exists()


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.AUDITOR, Role.ADMINISTRATOR, Role.CATALOG_EDITOR])
def test_only_counter_staff_use_the_desk(client, db, role):
    # given staff of other roles, in the same area
    signed_in(client, StaffFactory(role=role, region_scope="450103"))
    # then every desk page refuses them
    for address in ("/counter/", "/counter/outreach/", "/counter/outreach/1/", "/counter/visit/abc/"):
        assert client.get(address).status_code == 403, address
    assert client.post("/counter/", {"purpose": "counter_service"}).status_code == 403


def test_citizens_are_refused_and_visitors_sent_to_sign_in(client, citizen):
    assert client.get("/counter/").status_code == 302
    assert client.get("/counter/")["Location"].startswith("/account/login/")
    assert signed_in(client, citizen.user).get("/counter/").status_code == 403


def test_a_visit_lives_only_in_its_session_and_for_a_while(client, counter_staff, elder, django_user_model):
    # given a visit opened by one member of staff
    address = visit_of(signed_in(client, counter_staff), elder)
    # when a colleague of the same area opens the same address in their own session
    from django.test import Client

    colleague = signed_in(Client(), StaffFactory(role=Role.COUNTER_STAFF, region_scope="450103"))
    response = colleague.get(address, **EN)
    # then it opens nobody: back to the look-up
    assert response.status_code == 302 and response["Location"] == "/counter/"
    # and the visit ends 30 minutes after its last page
    assert client.get(address).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=31)):
        assert client.get(address)["Location"] == "/counter/"
    # and once finished, it is closed
    address = visit_of(client, elder)
    assert client.post(address + "end/").status_code == 302
    assert client.get(address)["Location"] == "/counter/"


# -- the person's services ---------------------------------------------------------------------------


def test_the_person_page_shows_services_with_eligibility_and_reasons(client, counter_staff, elder):
    # when staff open the visit of an 86-year-old with a Guangxi hukou
    address = visit_of(signed_in(client, counter_staff), elder)
    html = html_of(client.get(address, **EN))
    # then the old-age allowance is listed as one they qualify for, with the criteria met
    assert "Old-age allowance" in html
    allowance = html.split("Old-age allowance", 1)[1].split("</li>\n\n<li", 1)[0]
    assert "Qualifies" in allowance and "Aged 80 or over" in allowance
    # and the facts with their provenance
    assert "Date of birth" in html and "Source: You told us" in html
    # and services the person's situation earns them come before those open to anyone, even in elder
    # mode's shorter list
    client.cookies["display"] = "elder"
    html = html_of(client.get(address, **EN))
    assert html.count('<li class="result') == 3
    first = html.split('<li class="result', 2)[1]
    assert "Old-age allowance" in first or "Free annual health check" in first
    assert "Old-age allowance" in html
    del client.cookies["display"]
    # when staff check one service the screener way
    html = html_of(client.get(address, {"service": DIBAO}, **EN))
    # then it says what is not known and what to ask
    check = html.split('id="check-result"', 1)[1]
    assert "May qualify." in check and "Ask the person about:" in check and "Not known" in check


def test_a_service_without_criteria_is_open_to_everyone_at_the_desk(client, counter_staff, elder):
    # when staff check the disability certificate (残疾人证办理), which has no criteria
    address = visit_of(signed_in(client, counter_staff), elder)
    html = html_of(client.get(address, {"service": "gx-disability-certificate"}, **EN))
    # then it is open to everyone, not something the person qualifies for
    check = html.split('id="check-result"', 1)[1].split("</section>", 1)[0]
    assert "Open to everyone" in check and "Qualifies" not in check


def test_facts_are_recorded_with_counter_staff_as_the_source(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    # when staff record what the person says: married, two in the household (date of birth unchanged)
    response = client.post(
        address + "facts/",
        {"marital_status": "widowed", "household_size": "2", "birth_date": "1940-03-01", "sex": ""},
        **EN,
    )
    # then the new answers are kept with the source "counter staff" and the staff member, the unchanged one is not
    assert response.status_code == 302 and response["Location"] == address
    recorded = FactValue.objects.filter(citizen=elder, superseded_at__isnull=True)
    by_key = {value.key: value for value in recorded}
    for key in ("marital_status", "household_size"):
        assert (by_key[key].source, by_key[key].recorded_by) == (FactSource.COUNTER_STAFF, counter_staff)
    assert by_key["birth_date"].source == FactSource.SELF_DECLARED
    assert "sex" not in by_key
    assert "2 answers recorded for the person" in html_of(client.get(address, **EN))


def test_a_sensitive_fact_is_refused_without_consent_and_nothing_is_stored(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    # given the facts page does not ask sensitive questions without the person's consent
    assert 'name="disability_level"' not in html_of(client.get(address + "facts/", **EN))
    # when a sensitive answer is posted anyway, with an ordinary one
    response = client.post(address + "facts/", {"disability_level": "2", "marital_status": "widowed"}, **EN)
    # then both are refused: nothing is stored
    assert response.status_code == 400
    assert "is sensitive" in html_of(response)
    assert not FactValue.objects.filter(citizen=elder, key__in=["disability_level", "marital_status"]).exists()
    # when the person agrees in person, and staff record the answer again
    client.post(address + "consents/", {"purpose": "sensitive_facts", "action": "grant"})
    response = client.post(address + "facts/", {"disability_level": "2"}, **EN)
    # then it is kept
    assert response.status_code == 302
    value = FactValue.objects.get(citizen=elder, key="disability_level")
    assert (value.source, value.recorded_by) == (FactSource.COUNTER_STAFF, counter_staff)


def test_no_children_is_recorded_at_the_counter_as_the_answer_none(client, counter_staff, elder):
    # given a person who agreed to sensitive facts, and the facts page offering "I have no children"
    address = visit_of(signed_in(client, counter_staff), elder)
    client.post(address + "consents/", {"purpose": "sensitive_facts", "action": "grant"})
    assert "I have no children</label>" in html_of(client.get(address + "facts/", **EN))
    # when staff tick it for the person
    response = client.post(address + "facts/", {"children_birth_dates": "", "children_birth_dates_none": "on"}, **EN)
    # then "none" is kept as an empty list, recorded by the staff member
    assert response.status_code == 302
    value = FactValue.objects.get(citizen=elder, key="children_birth_dates")
    assert (value.value, value.source, value.recorded_by) == ([], FactSource.COUNTER_STAFF, counter_staff)


def test_a_department_value_is_not_changed_at_the_counter(client, counter_staff, elder):
    consent_grant(citizen=elder, purpose=Purpose.DATA_MATCHING, channel=ConsentChannel.WEB)
    fact_record(
        citizen=elder, key="hukou_type", value="rural", source=FactSource.DEPARTMENT_FEED, department="public_security"
    )
    address = visit_of(signed_in(client, counter_staff), elder)
    response = client.post(address + "facts/", {"hukou_type": "urban"}, **EN)
    assert response.status_code == 400
    assert "comes from a government department" in html_of(response)
    assert FactValue.objects.get(citizen=elder, key="hukou_type", superseded_at__isnull=True).value == "rural"


def test_a_consent_given_in_person_is_witnessed(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    # given the consents page shows each notice for staff to read out
    html = html_of(client.get(address + "consents/", **EN))
    assert "The notice to read out" in html and "The person agrees" in html
    # when the person agrees to be assessed without an application
    response = client.post(address + "consents/", {"purpose": "proactive_benefits", "action": "grant"}, **EN)
    # then the ledger has the grant on the counter channel, with the staff member as witness
    assert response.status_code == 302
    event = ConsentEvent.objects.get(citizen=elder, purpose="proactive_benefits")
    assert (event.granted, event.channel, event.witness) == (True, ConsentChannel.COUNTER, counter_staff)
    assert "Recorded, with you as witness" in html_of(client.get(response["Location"], **EN))
    # and withdrawing in person is one step too
    client.post(address + "consents/", {"purpose": "proactive_benefits", "action": "withdraw"})
    latest = ConsentEvent.objects.filter(citizen=elder, purpose="proactive_benefits").first()
    assert (latest.granted, latest.witness) == (False, counter_staff)


def test_applying_on_the_persons_behalf_opens_the_application_form(client, counter_staff, elder):
    # (the application itself: tests/counter/test_apply_at_counter.py)
    address = visit_of(signed_in(client, counter_staff), elder)
    # when staff follow "Apply for the person" beside a service
    html = html_of(client.get(address, **EN))
    link = f"{address}apply/?service={CONCESSION_CARD}"
    assert f'href="{link}"' in html
    response = client.get(link, **EN)
    # then the application form opens, and nothing is recorded before it is submitted
    assert response.status_code == 200
    assert "Submit the application for the person" in html_of(response)
    assert not Interaction.objects.exists()
    # and for a benefit granted without application, the form says so first
    html = html_of(client.get(address + "apply/", {"service": ALLOWANCE}, **EN))
    assert "granted without application" in html and "record it on the consents page" in html


def test_applying_for_an_unknown_service_records_nothing(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    response = client.post(address + "apply/", {"service": "no-such-service"}, **EN)
    assert response.status_code == 400
    assert not Interaction.objects.exists()
    assert "Select a valid choice" in html_of(response)


# -- the checklist ----------------------------------------------------------------------------------


def test_the_checklist_lists_what_to_bring_where_to_go_and_the_hotline(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    # when staff make the checklist for the allowance, in Chinese, on an English page
    response = client.get(address + "checklist/", {"service": ALLOWANCE, "language": "zh-hans"}, **EN)
    # then the checklist part speaks Chinese: the service, what to bring, where to go and the hotline
    html = html_of(response)
    assert response.status_code == 200
    checklist = html.split('<section class="checklist" lang="zh-Hans"', 1)[1]
    assert "高龄津贴" in checklist and "居民身份证或户口簿" in checklist and "社会保障卡" in checklist
    assert "政务服务中心" in checklist and "12345" in checklist and "黄秀英" in checklist
    assert (
        "南宁市青秀区东葛路118号" in checklist and "周一至周五 9:00–17:00" in checklist and "0771-5502345" in checklist
    )
    # and the page links its print stylesheet and the PDF of the same checklist
    assert "counter/checklist-print.css" in html and 'media="print"' in html
    assert f"checklist.pdf?service={ALLOWANCE}&amp;language=zh-hans" in html
    # in English, the service centre keeps its Chinese name, and the department is named
    html = html_of(client.get(address + "checklist/", {"service": ALLOWANCE, "language": "en"}, **EN))
    checklist = html.split('<section class="checklist" lang="en"', 1)[1]
    assert "Old-age allowance" in checklist and "Resident identity card or household register" in checklist
    assert "government service centre (政务服务中心) of Qingxiu District, Nanning City" in checklist
    # and it gives the Qingxiu centre's street address, opening hours and phone from the reference data
    assert "Qingxiu District Government Service Centre" in checklist
    assert "118 Dongge Road, Qingxiu District, Nanning" in checklist
    assert "Monday to Friday 9:00–17:00" in checklist and 'href="tel:0771-5502345"' in checklist
    # without a choice, it lists the services the person qualifies for among those suggested
    html = html_of(client.get(address + "checklist/", **EN))
    assert "Old-age allowance" in html.split('<section class="checklist"', 1)[1]


def _pdf_text(pdf: bytes) -> str:
    """The PDF's text as a reader copies it (through each font's ToUnicode map), lines joined by spaces."""
    return " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages).replace("\n", " ")


def _pdf_fonts(pdf: bytes) -> dict[str, tuple[bool, bool]]:
    """Each font the PDF's pages use, by name without a subset prefix: (embedded, embedded as a subset),
    as `pdffonts` reports them."""
    fonts: dict[str, tuple[bool, bool]] = {}
    for page in PdfReader(BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            # a composite (Type0) font keeps its descriptor in its descendant
            described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = described.get("/FontDescriptor")
            embedded = descriptor is not None and any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
            name = str(font["/BaseFont"]).lstrip("/")
            subset = re.match(r"[A-Z]{6}\+", name) is not None
            fonts[name.split("+", 1)[-1]] = (embedded, subset)
    return fonts


def test_the_checklist_pdf_is_a4_in_the_chosen_language(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    # when staff download the checklist in English
    response = client.get(address + "checklist.pdf", {"service": [ALLOWANCE, DIBAO], "language": "en"}, **EN)
    # then it is a PDF of A4 pages in Helvetica, naming both services, with the Chinese (the person's name,
    # the centre's sign) in a subset of WenQuanYi Zen Hei embedded in it
    pdf = response.content
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert pdf.startswith(b"%PDF-") and b"attachment" in response["Content-Disposition"].encode()
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf
    fonts = _pdf_fonts(pdf)
    assert fonts["Helvetica"] == (False, False)
    assert fonts[f"{CJK_FONT}-0"] == (True, True)
    text = _pdf_text(pdf)
    assert "Old-age allowance" in text and "Minimum living allowance (dibao)" in text and "12345" in text
    assert "黄秀英" in text and "政务服务中心" in text
    # and it gives the Qingxiu centre's street address, opening hours and phone
    assert "Qingxiu District Government Service Centre" in text
    assert "118 Dongge Road, Qingxiu District, Nanning" in text
    assert "Monday to Friday 9:00–17:00" in text and "0771-5502345" in text
    # and downloading is a logged read, on the export channel
    assert AccessLogEntry.objects.filter(subject=elder, channel=AccessChannel.EXPORT, purpose="counter_service")
    # when they download it in Chinese
    pdf = client.get(address + "checklist.pdf", {"service": ALLOWANCE, "language": "zh-hans"}).content
    # then every font in it is a subset of Zen Hei embedded in the file: no font is left to the reader
    fonts = _pdf_fonts(pdf)
    assert fonts and all(name.startswith(f"{CJK_FONT}-") for name in fonts)
    assert set(fonts.values()) == {(True, True)}
    assert len(PdfReader(BytesIO(pdf)).pages) >= 1
    text = _pdf_text(pdf)
    assert "高龄津贴" in text and "黄秀英" in text
    assert "南宁市青秀区东葛路118号" in text and "周一至周五 9:00–17:00" in text and "0771-5502345" in text


def test_the_checklist_pdf_says_plainly_when_its_font_is_missing(client, counter_staff, elder, settings):
    # given a machine without the font (fonts-wqy-zenhei not installed)
    address = visit_of(signed_in(client, counter_staff), elder)
    settings.CHECKLIST_FONT_FILE = "/nonexistent/wqy-zenhei.ttc"
    # when staff download a checklist, then the error names the package to install
    with pytest.raises(ChecklistFontMissing, match="apt-get install fonts-wqy-zenhei"):
        client.get(address + "checklist.pdf", {"service": ALLOWANCE, "language": "zh-hans"})
    # and the deployment check warns about it beforehand
    assert [message.id for message in checklist_font_check()] == ["counter.W001"]
