"""What "for you" keeps per process: the catalog (index, compiled rules, services, names) is read once
per catalog version, and a change made anywhere, by any process, is served on the next request.

The changes below are made with `QuerySet.update`, as another process's would look to this one: no
Python object of this process sees them, only the database does.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from services_portal.catalog.models import Department, LifeEvent, ServiceItem
from services_portal.catalog.rules import catalog_version
from tests.recommender.test_for_you_api import RECOMMENDATIONS, token_for
from tests.recommender.test_for_you_pages import aged_70, personalised

CATALOG_TABLES = ("catalog_serviceitem", "catalog_criterion", "catalog_lifeevent", "catalog_department")


@pytest.fixture
def app_client(citizen, catalog):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(citizen.resident_id)}")
    return client


def later() -> datetime.datetime:
    """A time after anything the fixtures saved, as another process's save would stamp it."""
    return timezone.now() + datetime.timedelta(seconds=5)


def suggested(client: APIClient) -> dict[str, dict]:
    response = client.get(RECOMMENDATIONS, {"limit": 50}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    return {item["service"]["code"]: item for item in response.json()["results"]}


def test_the_catalog_is_read_once_per_process_then_only_its_version(app_client, citizen):
    # given a 70-year-old who allows personalisation, whose list was served once
    personalised(citizen)
    aged_70(citizen)
    first = suggested(app_client)
    # when the list is asked for again
    with CaptureQueriesContext(connection) as captured:
        assert suggested(app_client).keys() == first.keys()
    # then the catalog's tables are read by one statement only: the version
    reading_catalog = [q["sql"] for q in captured if any(table in q["sql"] for table in CATALOG_TABLES)]
    assert len(reading_catalog) == 1, reading_catalog
    assert reading_catalog[0].startswith("SELECT 'services', COUNT(*)")


def test_a_renamed_service_is_served_by_its_new_name_on_the_next_request(app_client, citizen):
    # given a list served once (the catalog now cached in this process)
    personalised(citizen)
    aged_70(citizen)
    code = next(iter(suggested(app_client)))
    # when another process renames a service on it
    ServiceItem.objects.filter(code=code).update(name_en="A service by another name", updated_at=later())
    # then the next request shows the new name
    assert suggested(app_client)[code]["service"]["name"] == "A service by another name"


def test_an_unpublished_service_leaves_the_list_on_the_next_request(app_client, citizen):
    personalised(citizen)
    aged_70(citizen)
    code = next(iter(suggested(app_client)))
    ServiceItem.objects.filter(code=code).update(is_published=False, updated_at=later())
    assert code not in suggested(app_client)


def test_a_renamed_department_is_served_by_its_new_name_on_the_next_request(app_client, citizen):
    personalised(citizen)
    aged_70(citizen)
    code, item = next(iter(suggested(app_client).items()))
    Department.objects.filter(code=item["service"]["department"]["code"]).update(name_en="A department renamed")
    assert suggested(app_client)[code]["service"]["department"]["name"] == "A department renamed"


@pytest.mark.parametrize(
    "change",
    [
        lambda: LifeEvent.objects.filter(code="elderly").update(expression="age >= 65"),
        lambda: LifeEvent.objects.filter(code="elderly").update(name_en="People past sixty"),
        lambda: ServiceItem.objects.filter(code="gx-dibao").update(updated_at=later()),
        lambda: ServiceItem.objects.get(code="gx-dibao").criteria.first().delete(),  # type: ignore[union-attr]
        lambda: ServiceItem.objects.get(code="gx-dibao").life_events.clear(),
    ],
    ids=["life event rule", "life event name", "service saved", "criterion removed", "life events unlinked"],
)
def test_the_catalog_version_moves_with_what_serving_caches(catalog, change):
    # given the version now, read twice: it does not move by itself
    before = catalog_version()
    assert catalog_version() == before
    # when the catalog changes as serving would see it
    change()
    # then the version is another
    assert catalog_version() != before
