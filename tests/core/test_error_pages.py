import pytest
from django.test import Client


def test_an_unknown_api_address_answers_in_the_one_error_shape(client, db):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_unknown_page_is_a_page_in_the_visitors_language(client, db):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.urls("tests.core.failing_urls")
def test_a_server_error_is_a_plain_page_with_the_hotline(db):
    client = Client(raise_request_exception=False)
    page = client.get("/boom/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 500 and "12345" in page.content.decode()
    api = client.get("/api/boom/")
    assert api.status_code == 500 and api.json()["error"]["code"] == "server_error"
