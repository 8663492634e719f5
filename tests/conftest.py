import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from services_portal.catalog.services import catalog_file_read, catalog_import

ROOT = Path(__file__).resolve().parent.parent


def required(variable: str) -> bool:
    """Whether a missing service must fail its tests instead of skipping them: always in CI
    (CI=true), and locally when its own variable (REQUIRE_POSTGRES, REQUIRE_REDIS...) is set."""
    return any(os.environ.get(name, "").lower() in {"1", "true", "yes"} for name in ("CI", variable))


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttling counts live in the cache: start every test with none."""
    cache.clear()


@pytest.fixture(scope="session")
def catalog_data():
    return catalog_file_read(settings.CATALOG_DATA_FILE)


@pytest.fixture
def catalog(db, catalog_data):
    """The shipped seed catalog, imported."""
    report = catalog_import(data=catalog_data)
    assert report.ok, report.problems
    return report


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def citizen(db):
    from tests.factories import citizen_make

    return citizen_make()


@pytest.fixture
def other_citizen(db):
    from tests.factories import citizen_make

    return citizen_make(name="王芳")
