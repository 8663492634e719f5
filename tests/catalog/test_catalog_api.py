import pytest


def test_the_list_is_paginated_and_filtered(api_client, catalog):
    page = api_client.get("/api/v1/services/", {"page_size": 5}).json()
    assert page["count"] >= 60 and len(page["results"]) == 5 and page["next"]
    elderly = api_client.get("/api/v1/services/", {"life_event": "elderly", "page_size": 100}).json()
    codes = {service["code"] for service in elderly["results"]}
    assert "gx-elderly-allowance" in codes
    assert all("elderly" in {event["code"] for event in s["life_events"]} for s in elderly["results"])


def test_text_search_covers_both_languages(api_client, catalog):
    chinese = api_client.get("/api/v1/services/", {"q": "高龄"}).json()["results"]
    english = api_client.get("/api/v1/services/", {"q": "old-age allowance"}).json()["results"]
    assert "gx-elderly-allowance" in {s["code"] for s in chinese}
    assert "gx-elderly-allowance" in {s["code"] for s in english}


def test_names_follow_the_requested_language(api_client, catalog):
    zh = api_client.get("/api/v1/services/gx-elderly-allowance/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    en = api_client.get("/api/v1/services/gx-elderly-allowance/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert zh["name"] == "高龄津贴"
    assert en["name"].lower().startswith("old-age allowance")
    assert [c["expression"] for c in en["criteria"]] == ["age >= 80", 'hukou_region_code =~ "^45"']
    assert en["materials"] and en["legal_basis"]


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/v1/services/no-such-service/", 404, "not_found"),
        ("/api/v1/services/?category=no_such_category", 400, "invalid_filter"),
        ("/api/v1/services/?page=999", 404, "not_found"),
    ],
)
def test_every_error_has_one_shape(api_client, catalog, url, status, code):
    response = api_client.get(url)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)


def test_writing_to_the_catalog_api_is_not_allowed(api_client, catalog):
    response = api_client.post("/api/v1/services/", {"code": "x"}, format="json")
    assert response.status_code in (401, 403, 405)
    assert set(response.json()) == {"error"}


def test_the_openapi_schema_and_its_docs_are_served_locally(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/services/", "/api/v1/screener/", "/api/v1/facts/"):
        assert path in text
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower() and "//unpkg" not in docs


def test_the_fact_vocabulary_is_published(api_client, db):
    facts = {fact["key"]: fact for fact in api_client.get("/api/v1/facts/").json()}
    assert facts["disability_level"]["sensitivity"] == "sensitive"
    assert facts["disability_level"]["purpose"] == "sensitive_facts"
    assert facts["region_code"]["type"] == "region"
