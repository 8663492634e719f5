"""The screener keeps the catalog (compiled rules, services) per process and catalog version: each
request reads only the version, and a change made by any process is screened on the next request."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from services_portal.catalog.models import ServiceItem

CATALOG_TABLES = ("catalog_serviceitem", "catalog_criterion", "catalog_lifeevent", "catalog_department")
AGED_85 = {"age": 85, "hukou_region_code": "450102"}


def screen(api_client, facts):
    response = api_client.post("/api/v1/screener/", {"facts": facts}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_second_visitor_costs_one_read_of_the_catalog_version(api_client, catalog):
    # given a visitor screened (the catalog now read by this process)
    screen(api_client, AGED_85)
    # when another is screened
    with CaptureQueriesContext(connection) as captured:
        body = screen(api_client, AGED_85)
    # then the catalog's tables are read by the version statement only, and the answer is the same
    reading_catalog = [q["sql"] for q in captured if any(table in q["sql"] for table in CATALOG_TABLES)]
    assert len(reading_catalog) == 1, reading_catalog
    assert "gx-elderly-allowance" in {service["code"] for service in body["eligible"]}


def test_a_service_renamed_by_another_process_is_screened_by_its_new_name(api_client, catalog):
    screen(api_client, AGED_85)
    later = timezone.now() + datetime.timedelta(seconds=5)
    ServiceItem.objects.filter(code="gx-elderly-allowance").update(name_en="Allowance at 85", updated_at=later)
    body = screen(api_client, AGED_85)
    assert {s["code"]: s["name"] for s in body["eligible"]}["gx-elderly-allowance"] == "Allowance at 85"
