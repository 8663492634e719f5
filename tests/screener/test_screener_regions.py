"""Residents registered or living outside Guangxi are screened like anyone else."""

import pytest


def screen(api_client, facts):
    response = api_client.post("/api/v1/screener/", {"facts": facts}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    return response.json()


def codes(body, outcome):
    return {service["code"] for service in body[outcome]}


def guangxi_hukou_services(catalog_data):
    return {
        service["code"]
        for service in catalog_data["services"]
        if any(criterion["expression"] == 'hukou_region_code =~ "^45"' for criterion in service["criteria"])
    }


def test_a_guangdong_hukou_is_not_eligible_for_guangxi_hukou_services(api_client, catalog, catalog_data):
    # given an 85-year-old registered in Guangzhou's Tianhe district
    body = screen(api_client, {"age": 85, "hukou_region_code": "440106"})

    # then the old-age allowance, for Guangxi's registered residents, is decided: not eligible, by hukou alone
    allowance = next(s for s in body["not_eligible"] if s["code"] == "gx-elderly-allowance")
    assert {c["key"]: c["status"] for c in allowance["criteria"]} == {"aged_80": "met", "hukou_guangxi": "not_met"}
    assert guangxi_hukou_services(catalog_data) <= codes(body, "not_eligible")


@pytest.mark.parametrize("elsewhere", ["440106", "110101"])
def test_services_not_tied_to_a_guangxi_hukou_are_decided_as_for_a_guangxi_resident(
    api_client, catalog, catalog_data, elsewhere
):
    # given the same person registered in Nanning, and in Guangzhou or Beijing
    facts = {"age": 85, "disability_level": 0, "employment_status": "retired"}
    in_guangxi = screen(api_client, {**facts, "hukou_region_code": "450102"})
    outside = screen(api_client, {**facts, "hukou_region_code": elsewhere})

    # then only the Guangxi-hukou services change their answer
    hukou_bound = guangxi_hukou_services(catalog_data)
    assert codes(outside, "eligible") == codes(in_guangxi, "eligible") - hukou_bound
    assert codes(in_guangxi, "eligible") & hukou_bound
    assert codes(outside, "maybe") == codes(in_guangxi, "maybe") - hukou_bound


def test_an_abolished_region_is_refused_with_a_field_error(api_client, catalog):
    response = api_client.post(
        "/api/v1/screener/", {"facts": {"hukou_region_code": "110103"}}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "not a region code that exists" in str(response.json())
