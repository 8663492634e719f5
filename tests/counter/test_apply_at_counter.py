"""Applying for the person at the counter desk: the same application as online (channel counter, staff
recorded, materials scanned at the desk), a service or a bundle, the facts held read out and confirmed,
the missing ones asked, the declaration witnessed; then a receipt. A walk-in recorded at the desk can be
applied for in the same visit."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from profiles.models import AccessLogEntry, Citizen, FactSource, FactValue
from profiles.resident_id import resident_id_hash
from recommender.models import Interaction
from services_portal.casework.models import Application, Case, CaseOrigin, CaseState, MaterialFile
from services_portal.casework.services.applications import application_form_for
from services_portal.catalog.models import Bundle, ServiceItem
from tests.counter import test_desk
from tests.counter.test_activation import _walk_in
from tests.counter.test_desk import EN, ZH, html_of, signed_in, visit_of
from tests.factories import citizen_make, mother_of_a_newborn, resident_id_make

CONCESSION_CARD = "gx-elderly-preferential-card"
ALLOWANCE = "gx-elderly-allowance"

# Qingxiu's counter staff, and an 86-year-old of Qingxiu who tells the portal her date of birth
counter_staff = test_desk.counter_staff
elder = test_desk.elder


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """The scans stay in the test's own directory."""
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def scan(name: str = "scan.png") -> SimpleUploadedFile:
    """A real (tiny) scanned page."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def form_page(client, address: str, **query) -> str:
    response = client.get(address + "apply/", query, **EN)
    assert response.status_code == 200, html_of(response)
    return html_of(response)


def key_of(html: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def scans_for(citizen, *, service: str = "", bundle: str = "") -> dict[str, list[SimpleUploadedFile]]:
    """A scan for every material to upload, named as the desk's file inputs are."""
    services = [ServiceItem.objects.get(code=service)] if service else []
    form = application_form_for(citizen, services=services, bundle=Bundle.objects.get(code=bundle) if bundle else None)
    return {f"material.{material.code}": [scan(f"{material.code}.png")] for material in form.uploads}


def submit(client, address: str, citizen, *, service: str = CONCESSION_CARD, without: str = "", **fields: object):
    """Staff fill in the form as shown (every held fact confirmed, every material scanned, the
    declaration witnessed) with `fields` changing it and the field `without` left out; returns the response."""
    html = form_page(client, address, service=service)
    data = {
        "service": service,
        "idempotency_key": key_of(html),
        "confirmed": re.findall(r'name="confirmed" value="([^"]+)"', html),
        "declared": "on",
        **scans_for(citizen, service=service),
        **fields,
    }
    sent = {key: value for key, value in data.items() if value is not None and key != without}
    return client.post(address + "apply/", sent, **EN)


# -- the form --------------------------------------------------------------------------------------


def test_the_form_reads_out_what_is_held_asks_what_is_missing_and_lists_the_scans(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    # when staff open the application for the concession card
    html = form_page(client, address, service=CONCESSION_CARD)
    # then the person's date of birth is read out with its source, ticked, and each material has a file input
    assert re.search(r'<input type="checkbox" name="confirmed" value="birth_date"[^>]*checked', html)
    assert "Date of birth: 1 March 1940" in html or "Date of birth: March 1, 1940" in html
    assert "source: the person said so" in html
    for material in ServiceItem.objects.get(code=CONCESSION_CARD).materials:
        assert f'name="material.{material["code"]}"' in html and material["en"] in html
    assert 'enctype="multipart/form-data"' in html
    assert "The person confirmed and signed the declaration." in html
    # and showing the person's facts is logged with the purpose of the visit
    assert AccessLogEntry.objects.filter(actor=counter_staff, subject=elder, purpose="counter_service").exists()


def test_the_person_page_leads_to_the_form_and_the_form_lets_staff_choose(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    # the services page links each service to its application
    assert f'href="{address}apply/?service={CONCESSION_CARD}"' in html_of(client.get(address, **EN))
    # the apply page without a choice offers a service or a bundle
    html = form_page(client, address)
    assert 'name="service"' in html and 'name="bundle"' in html and 'value="birth"' in html
    # choosing both, or a service the catalog does not have, is refused on the page
    response = client.get(address + "apply/", {"service": CONCESSION_CARD, "bundle": "birth"}, **EN)
    assert response.status_code == 400 and "Choose one service or one bundle, not both." in html_of(response)
    response = client.get(address + "apply/", {"service": "no-such-service"}, **EN)
    assert response.status_code == 400


def test_a_benefit_granted_without_application_says_so_first(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    html = form_page(client, address, service=ALLOWANCE)
    assert "granted without application" in html and "record it on the consents page" in html


def test_the_form_is_in_chinese_for_staff_working_in_chinese(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    html = html_of(client.get(address + "apply/", {"service": CONCESSION_CARD}, **ZH))
    assert "申请人已确认并签署声明。" in html


# -- submitting ------------------------------------------------------------------------------------


def test_staff_apply_for_the_person_and_hand_them_a_receipt(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    # when staff submit the application with the scans, the declaration witnessed
    response = submit(client, address, elder)
    # then it is the person's application, made at the counter by the staff member
    application = Application.objects.get(citizen=elder)
    assert (application.origin, application.staff) == (CaseOrigin.COUNTER, counter_staff)
    assert response.status_code == 302 and response["Location"] == f"{address}applications/{application.pk}/"
    # with one case, submitted, at the counter, in the person's area
    case = Case.objects.get(application=application)
    assert (case.service.code, case.state, case.origin, case.region_code) == (
        CONCESSION_CARD,
        CaseState.SUBMITTED,
        CaseOrigin.COUNTER,
        "450103",
    )
    # and the scans uploaded by the staff member
    files = MaterialFile.objects.filter(application=application)
    assert files.count() == len(case.service.materials)
    assert {file.uploaded_by for file in files} == {counter_staff}
    # and one "apply" on the counter channel (not two: the case's history records it)
    assert list(Interaction.objects.filter(citizen=elder).values_list("kind", "channel")) == [("apply", "counter")]
    # and the receipt names the case, its department and where the person follows it
    html = html_of(client.get(response["Location"], **EN))
    assert f"Receipt for application {application.pk}" in html
    assert f"<td>{case.pk}</td>" in html and case.service.department.name_en in html
    assert "Submitted, waiting to be accepted" in html
    assert f"/me/applications/{application.pk}/" in html
    assert "The application is submitted. Give the person this receipt." in html
    # and leads to the large-print checklist of the service
    assert f'href="{address}checklist/?service={CONCESSION_CARD}"' in html
    # and back on the person's page the application is under way, with its receipt, and no longer suggested
    html = html_of(client.get(address, **EN))
    assert "Applications under way" in html and f'href="{response["Location"]}"' in html
    assert f'href="{address}apply/?service={CONCESSION_CARD}"' not in html


def test_nothing_is_submitted_without_the_declaration(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    response = submit(client, address, elder, declared=None)
    assert response.status_code == 400
    html = html_of(response)
    assert 'id="apply-declared_error"' in html and "Confirm the declaration" in html
    assert not Application.objects.exists() and not Interaction.objects.exists()
    assert not MaterialFile.objects.exists()


def test_a_required_scan_missing_is_refused_beside_its_input(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    photo = "material.recent-passport-style-photo"
    response = submit(client, address, elder, without=photo)
    assert response.status_code == 400
    html = html_of(response)
    assert f'id="apply-{photo}_error"' in html and f'href="#apply-{photo}"' in html
    assert not Application.objects.exists() and not MaterialFile.objects.exists()


def test_a_held_fact_is_confirmed_or_corrected_by_staff(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    # when staff untick the date of birth without correcting it
    response = submit(client, address, elder, confirmed=[])
    # then nothing is submitted, and the form asks them to confirm or correct it
    assert response.status_code == 400 and "Confirm that this is still true, or correct it." in html_of(response)
    assert not Application.objects.exists()
    # when they correct it instead
    response = submit(client, address, elder, confirmed=[], birth_date="1940-04-01")
    # then the application goes in and the correction is recorded with the staff member as its source
    assert response.status_code == 302
    value = FactValue.objects.filter(citizen=elder, key="birth_date").order_by("-id")[0]
    assert (value.value, value.source, value.recorded_by) == ("1940-04-01", FactSource.COUNTER_STAFF, counter_staff)


def test_submitting_twice_makes_one_application(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    html = form_page(client, address, service=CONCESSION_CARD)
    data = {"service": CONCESSION_CARD, "idempotency_key": key_of(html), "confirmed": ["birth_date"], "declared": "on"}
    first = client.post(address + "apply/", {**data, **scans_for(elder, service=CONCESSION_CARD)}, **EN)
    again = client.post(address + "apply/", {**data, **scans_for(elder, service=CONCESSION_CARD)}, **EN)
    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    assert Application.objects.filter(citizen=elder).count() == 1
    assert Interaction.objects.filter(citizen=elder).count() == 1


def test_applying_again_for_the_same_period_is_refused_on_the_page(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    submit(client, address, elder)
    # the form says the person has applied already, and a second submission is refused
    assert "The person has applied for this already" in form_page(client, address, service=CONCESSION_CARD)
    response = submit(client, address, elder)
    assert response.status_code == 400 and "already applied" in html_of(response)
    assert Application.objects.filter(citizen=elder).count() == 1


def test_a_bundle_is_one_form_and_one_case_per_service(client, counter_staff):
    # given a Qingxiu mother of a baby born 20 days ago, who agreed to data matching and sensitive facts
    mother = mother_of_a_newborn()
    address = visit_of(signed_in(client, counter_staff), mother)
    # when staff apply for the birth bundle with the one scan it needs
    html = form_page(client, address, bundle="birth")
    assert re.findall(r'name="(material\.[^"]+)"', html) == ["material.birth_medical_certificate"]
    response = client.post(
        address + "apply/",
        {
            "bundle": "birth",
            "idempotency_key": key_of(html),
            "confirmed": ["children_birth_dates"],
            "declared": "on",
            **scans_for(mother, bundle="birth"),
        },
        **EN,
    )
    assert response.status_code == 302, html_of(response)
    # then one application holds a case per service of the bundle, in three departments
    application = Application.objects.get(citizen=mother)
    assert application.bundle_id == Bundle.objects.get(code="birth").pk
    cases = list(application.cases.select_related("service__department"))
    assert len(cases) == 6 and {case.origin for case in cases} == {CaseOrigin.COUNTER}
    departments = {case.service.department.code for case in cases}
    assert departments == {"health", "public_security", "healthcare_security"}
    # and the receipt lists them all
    html = html_of(client.get(response["Location"], **EN))
    assert all(f"<td>{case.pk}</td>" in html for case in cases)


def test_a_walk_in_is_recorded_and_applied_for_in_the_same_visit(client, counter_staff, catalog):
    desk = signed_in(client, counter_staff)
    # given a person the portal did not know, recorded after staff checked their ID card
    number = resident_id_make(born="19500101")
    visit = _walk_in(desk, number, name="韦秀兰")
    person = Citizen.objects.get(resident_id_hash=resident_id_hash(number))
    assert f'href="{visit}apply/"' in html_of(desk.get(visit, **EN))
    # when staff apply for the concession card, asking the date of birth the portal lacks
    html = form_page(desk, visit, service=CONCESSION_CARD)
    assert 'name="birth_date"' in html
    response = submit(desk, visit, person, birth_date="1950-01-01")
    # then the application is in, for the walk-in, with the answer recorded as the staff's
    assert response.status_code == 302, html_of(response)
    case = Case.objects.get(citizen=person)
    assert (case.origin, case.region_code) == (CaseOrigin.COUNTER, "450103")
    assert Application.objects.get(cases=case).staff == counter_staff
    assert FactValue.objects.get(citizen=person, key="birth_date").source == FactSource.COUNTER_STAFF
    # and the receipt tells them how to follow it once they verify an account
    html = html_of(desk.get(response["Location"], **EN))
    assert "no verified online account yet" in html


def test_a_receipt_is_only_the_persons_own(client, counter_staff, elder):
    address = visit_of(signed_in(client, counter_staff), elder)
    receipt = submit(client, address, elder)["Location"]
    # another person served at the desk: the first one's receipt number finds nothing for them
    other = citizen_make(region_code="450103")
    other_address = visit_of(client, other)
    application_id = receipt.rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"{other_address}applications/{application_id}/", **EN).status_code == 404
