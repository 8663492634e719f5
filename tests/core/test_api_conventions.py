"""The API's conventions, each on its own: 401 versus 403, the one error shape for every 4xx under /api/,
JSON only, strict paging, and a schema that documents all of it (test_api_contract.py fuzzes the whole)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from knox.models import AuthToken
from rest_framework.settings import api_settings

from profiles.models import Role
from tests.factories import StaffFactory


def error_code(response) -> str:
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    return response.json()["error"]["code"]


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def token_for(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Token {AuthToken.objects.create(user)[1]}"}


# -- 401 and 403 ---------------------------------------------------------------------------------


def test_the_first_authentication_class_can_challenge_so_anonymous_requests_get_401():
    # given the authentication classes in the order DRF asks them for a challenge
    first = api_settings.DEFAULT_AUTHENTICATION_CLASSES[0]

    # then the first one names one: DRF answers 403 instead of 401 when it does not (SessionAuthentication)
    assert first().authenticate_header(None)


@pytest.mark.parametrize("credentials", [{}, {"HTTP_AUTHORIZATION": "Token not-a-real-token"}])
def test_no_token_or_a_wrong_one_is_401_with_a_challenge(db, credentials):
    # when a request without a valid token asks for a citizen's own data
    response = Client().get("/api/v1/me/", **credentials)

    # then it is told to authenticate, and how
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert error_code(response) in {"not_authenticated", "authentication_failed"}


def test_signed_in_but_not_allowed_is_403(db):
    # given a caseworker
    caseworker = StaffFactory(role=Role.CASEWORKER, region_scope="450100")

    # when they ask for a citizen's own data
    response = Client().get("/api/v1/me/", **token_for(caseworker))

    # then they are known but not allowed
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"


# -- one error shape, JSON only ------------------------------------------------------------------


def test_a_host_not_allowed_is_a_400_in_the_error_shape(db):
    response = Client().get("/api/v1/facts/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert error_code(response) == "bad_request"


def test_a_body_over_the_limit_is_a_400_in_the_error_shape(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10

    response = Client().post("/api/v1/screener/", {"facts": {"age": 70}}, content_type="application/json")

    assert response.status_code == 400
    assert error_code(response) == "bad_request"


def test_pages_keep_their_own_400_page(db):
    response = Client().get("/services/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_body_that_is_not_json_is_refused_with_415(db):
    response = Client().post("/api/v1/screener/", {"facts": "x"})  # form-encoded

    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"


def test_json_that_does_not_parse_is_a_400_in_the_error_shape(db):
    response = Client().post("/api/v1/screener/", b"{bad", content_type="application/json")

    assert response.status_code == 400
    assert error_code(response) == "parse_error"


def test_the_api_answers_json_whatever_the_client_accepts(db):
    response = Client().get("/api/v1/facts/", HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert error_code(response) == "not_acceptable"


# -- paging --------------------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", ["0", "101", "ten", ""])
def test_a_page_size_out_of_range_is_refused_not_replaced(db, catalog, page_size):
    response = Client().get("/api/v1/services/", {"page_size": page_size})

    assert response.status_code == 400
    assert error_code(response) == "invalid"
    assert "page_size" in response.json()["error"]["fields"]


def test_a_page_size_in_range_is_used(db, catalog):
    response = Client().get("/api/v1/services/", {"page_size": "3"})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


# -- strict booleans -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, "yes", "on", None])
def test_a_boolean_is_true_or_false_only(citizen, value):
    response = Client().patch(
        "/api/v1/me/", {"personalisation_enabled": value}, content_type="application/json", **token_for(citizen.user)
    )

    assert response.status_code == 400
    assert error_code(response) == "invalid"


# -- the schema says all of it -------------------------------------------------------------------


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_every_error_the_schema_documents_has_the_one_error_shape(schema):
    for method, path, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                content = response.get("content", {}).get("application/json", {})
                assert content.get("schema") == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_operations_that_need_a_sign_in_document_401_with_its_challenge_and_403(schema):
    me = schema["paths"]["/api/v1/me/"]["get"]["responses"]

    assert "WWW-Authenticate" in me["401"]["headers"]
    assert "403" in me


def test_open_operations_document_no_403_and_input_errors_where_there_is_input(schema):
    facts = schema["paths"]["/api/v1/facts/"]["get"]["responses"]
    screener = schema["paths"]["/api/v1/screener/"]["post"]["responses"]

    assert "403" not in facts and "400" not in facts
    assert {"400", "415", "429"} <= set(screener)
    assert "Retry-After" in screener["429"]["headers"]


def test_operations_with_an_id_in_the_path_or_pages_document_404(schema):
    assert "404" in schema["paths"]["/api/v1/services/{code}/"]["get"]["responses"]
    assert "404" in schema["paths"]["/api/v1/services/"]["get"]["responses"]
    assert "404" not in schema["paths"]["/api/v1/facts/"]["get"]["responses"]


# Where files are uploaded: applications and their 补正 (materials), and the bank's result file.
UPLOADS = {
    "/api/v1/me/applications/": {"application/json", "multipart/form-data"},
    "/api/v1/me/cases/{case_id}/resubmission/": {"application/json", "multipart/form-data"},
    "/api/v1/finance/payment-results/": {"multipart/form-data"},
}


def test_the_api_accepts_json_only_except_feeds_which_also_take_csv_and_uploads(schema):
    for method, path, operation in _operations(schema):
        if "requestBody" in operation:
            types = set(operation["requestBody"]["content"])
            if path == "/api/v1/feeds/batches/":
                expected = {"application/json", "text/csv"}
            elif path in UPLOADS:
                expected = UPLOADS[path]
            else:
                expected = {"application/json"}
            assert types == expected, (method, path, types)


def test_lists_link_their_ids_to_the_operations_that_need_them(schema):
    queue = schema["paths"]["/api/v1/casework/cases/"]["get"]["responses"]["200"]["links"]
    inbox = schema["paths"]["/api/v1/me/inbox/"]["get"]["responses"]["200"]["links"]

    assert queue["v1_casework_cases_approve_create"]["parameters"] == {"case_id": "$response.body#/results/0/id"}
    assert inbox["v1_me_inbox_read_create"]["parameters"] == {"notification_id": "$response.body#/results/0/id"}


def test_a_blank_string_is_documented_as_refused(schema):
    signup = schema["components"]["schemas"]["SignupInput"]["properties"]["name"]

    assert signup["minLength"] == 1
    assert re.search(signup["pattern"], "李华")
    assert not re.search(signup["pattern"], "  ")
    assert not re.search(signup["pattern"], "李\x00华")


# -- what schemathesis found -----------------------------------------------------------------------


def test_a_number_is_not_text(health_feed):
    response = Client().post(
        "/api/v1/feeds/batches/", {"batch_id": 7, "rows": []}, content_type="application/json", **token_for(health_feed)
    )

    assert response.status_code == 400
    assert "batch_id" in response.json()["error"]["fields"]


def test_an_empty_csv_delivery_is_read_as_csv(health_feed):
    # (Django's test client leaves the content type out of a request without a body, so it is set here)
    response = Client().post("/api/v1/feeds/batches/?batch_id=E-1", CONTENT_TYPE="text/csv", **token_for(health_feed))

    assert response.status_code != 500
    assert "rows" not in response.json().get("error", {}).get("fields", {})


def test_the_queue_filter_lists_the_region_codes_it_knows(schema):
    parameters = schema["paths"]["/api/v1/casework/cases/"]["get"]["parameters"]
    region = next(parameter for parameter in parameters if parameter["name"] == "region")

    assert "450103" in region["schema"]["enum"] and "999999" not in region["schema"]["enum"]


def test_a_blank_sort_is_not_taken_as_no_sort(caseworker):
    response = Client().get("/api/v1/casework/cases/", {"sort": ""}, **token_for(caseworker))

    assert response.status_code == 400
    assert "sort" in response.json()["error"]["fields"]
