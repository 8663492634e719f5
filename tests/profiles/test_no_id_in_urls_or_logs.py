"""No resident ID number in a URL, a query string, a request id or a log line: look-ups and audit
searches take the number in a POST body, and the logs mask whatever slips through."""

import io
import logging
import re

import pytest
from rest_framework.test import APIClient

from profiles.models import AccessLogEntry, Role
from services_portal.core.logging import ResidentIdMask
from tests.factories import StaffFactory


def staff(role: Role, region_scope: str = "450100") -> APIClient:
    client = APIClient()
    client.force_login(StaffFactory(role=role, region_scope=region_scope))
    return client


# -- the API -------------------------------------------------------------------------------------


def test_the_staff_look_up_takes_the_number_in_the_body_only(citizen):
    client = staff(Role.COUNTER_STAFF)
    # when the number comes in the query string, as before
    in_url = client.get("/api/v1/staff/citizens/", {"resident_id": citizen.resident_id, "purpose": "counter_service"})
    # then it is refused as a method the path does not take, and nothing is read
    assert in_url.status_code == 405
    assert not AccessLogEntry.objects.exists()
    # while in the body it finds the person
    in_body = client.post(
        "/api/v1/staff/citizens/", {"resident_id": citizen.resident_id, "purpose": "counter_service"}, format="json"
    )
    assert in_body.status_code == 200, in_body.json()
    assert in_body.json()["id"] == citizen.pk


def test_the_audit_search_refuses_a_number_in_the_query_string(citizen):
    client = staff(Role.AUDITOR, region_scope="")
    response = client.get("/api/v1/audit/access-log/", {"subject": citizen.resident_id})
    assert response.status_code == 400
    error = response.json()["error"]
    assert "subject" in error["fields"] and "POST" in error["fields"]["subject"][0]
    assert not AccessLogEntry.objects.exists()


def test_an_auditors_api_search_about_a_person_is_logged_with_the_purpose_audit(citizen):
    # given an auditor
    auditor = StaffFactory(role=Role.AUDITOR, region_scope="")
    client = APIClient()
    client.force_login(auditor)
    # when they search the access log about a person, in the body
    response = client.post(
        "/api/v1/audit/access-log/", {"subject": citizen.resident_id}, format="json", HTTP_X_REQUEST_ID="audit-run-1"
    )
    # then the search is itself in the person's access log
    assert response.status_code == 200, response.json()
    entry = AccessLogEntry.objects.get()
    assert (entry.actor, entry.subject, entry.purpose, entry.channel, entry.fields, entry.request_id) == (
        auditor,
        citizen,
        "audit",
        "api",
        ["access_log"],
        "audit-run-1",
    )


def test_the_schema_describes_the_look_up_and_the_search_as_posts_with_a_body(client, db):
    schema = client.get("/api/schema/?format=json").json()
    lookup = schema["paths"]["/api/v1/staff/citizens/"]
    audit = schema["paths"]["/api/v1/audit/access-log/"]
    assert set(lookup) == {"post"} and "requestBody" in lookup["post"]
    assert "post" in audit and "requestBody" in audit["post"]
    get_parameters = {parameter["name"] for parameter in audit["get"].get("parameters", [])}
    assert "subject" not in get_parameters
    assert "resident_id" not in {p["name"] for p in lookup["post"].get("parameters", [])}


# -- pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, path, field",
    [(Role.AUDITOR, "/audit/access-log/", "subject"), (Role.COUNTER_STAFF, "/counter/", "resident_id")],
)
def test_every_page_form_asking_for_a_number_posts_it(db, client, role, path, field):
    client.force_login(StaffFactory(role=role, region_scope="450100" if role == Role.COUNTER_STAFF else ""))
    html = client.get(path).content.decode()
    forms = re.findall(r"<form\b([^>]*)>(.*?)</form>", html, flags=re.S)
    asking = [attributes for attributes, body in forms if f'name="{field}"' in body]
    assert asking, html
    assert all('method="post"' in attributes for attributes in asking)


# -- the request id ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        pytest.param("abc\r\nX-Injected: 1", id="newline"),
        pytest.param("<script>alert(1)</script>", id="html"),
        pytest.param("a" * 65, id="too long"),
        pytest.param("abc", id="too short"),
        pytest.param("req-450103198001010014", id="an ID number"),
        pytest.param("req 42 with spaces", id="spaces"),
    ],
)
def test_an_unsafe_request_id_is_replaced_by_a_fresh_one(citizen, given):
    client = staff(Role.CASEWORKER)
    response = client.get(f"/api/v1/staff/citizens/{citizen.pk}/", {"purpose": "casework"}, HTTP_X_REQUEST_ID=given)
    assert response.status_code == 200
    fresh = response["X-Request-ID"]
    assert fresh != given and re.fullmatch(r"[0-9a-f]{32}", fresh)
    assert AccessLogEntry.objects.get().request_id == fresh


def test_a_sane_request_id_is_kept(citizen):
    client = staff(Role.CASEWORKER)
    response = client.get(
        f"/api/v1/staff/citizens/{citizen.pk}/", {"purpose": "casework"}, HTTP_X_REQUEST_ID="proxy-7f3a.9_b"
    )
    assert response["X-Request-ID"] == "proxy-7f3a.9_b"
    assert AccessLogEntry.objects.get().request_id == "proxy-7f3a.9_b"


# -- the logs ------------------------------------------------------------------------------------


def _configured_console() -> logging.Handler:
    """The handler settings.LOGGING gives the root logger."""
    handlers = [h for h in logging.getLogger().handlers if any(isinstance(f, ResidentIdMask) for f in h.filters)]
    assert handlers, "no handler on the root logger masks resident ID numbers"
    return handlers[0]


@pytest.mark.parametrize("logger_name", ["django.request", "services_portal.anything", "django.server"])
def test_a_number_in_a_log_record_is_masked_before_it_is_written(logger_name):
    # given the configured handler, writing into a buffer
    console = _configured_console()
    server = logging.getLogger("django.server")
    handler = console if logger_name != "django.server" else server.handlers[0]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        # when something logs a URL, an argument and an exception carrying ID numbers
        logger = logging.getLogger(logger_name)
        logger.warning("Bad Request: /x/?resident_id=%s", "450103198001010014")
        logger.warning("full width ４５０１０３１９８００１０１００１Ｘ in a message")
        try:
            raise ValueError("no person 45010319800101002X")
        except ValueError:
            logger.exception("failed")
    finally:
        handler.setStream(previous)
    # then none of them reaches the log, masked like the portal masks numbers
    written = buffer.getvalue()
    for number in ("450103198001010014", "45010319800101002X", "４５０１０３１９８００１０１００１Ｘ"):
        assert number not in written
    assert "4501**********0014" in written and "4501**********002X" in written
