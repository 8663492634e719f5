import itertools
import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from rest_framework.test import APIClient

from profiles.models import ConsentChannel, Role
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from services_portal.catalog.models import ServiceItem
from services_portal.catalog.services import catalog_file_read, catalog_import
from services_portal.core.sms import LocmemBackend
from tests.factories import StaffFactory, citizen_make

ROOT = Path(__file__).resolve().parent.parent


def required(variable: str) -> bool:
    """Whether a missing service must fail its tests instead of skipping them: always in CI
    (CI=true), and locally when its own variable (REQUIRE_POSTGRES, REQUIRE_REDIS...) is set."""
    return any(os.environ.get(name, "").lower() in {"1", "true", "yes"} for name in ("CI", variable))


def postgres_only(reason: str) -> None:
    """Skip a test that needs PostgreSQL when the suite runs on another database, giving `reason`;
    fail instead where CI requires PostgreSQL, so that CI cannot pass by skipping it."""
    from django.db import connection

    if connection.vendor != "postgresql":
        if required("REQUIRE_POSTGRES"):
            pytest.fail("REQUIRE_POSTGRES is set but the suite runs on " + connection.vendor)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The append-only tables refuse TRUNCATE even from their owner (profiles' migration 0008) unless the
    session says it means it: the suite's connections do, so that transactional tests can be flushed."""
    from django.db import connections

    for connection in connections.all(initialized_only=False):
        if connection.vendor == "postgresql":
            options = connection.settings_dict.setdefault("OPTIONS", {})
            options["options"] = (options.get("options", "") + " -c portal.allow_truncate=on").strip()


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing():
    """The suite hashes thousands of passwords: a fast hasher, as Django advises for tests (production
    keeps PBKDF2). Every server a test starts runs in this process, so it checks the same way."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttling counts live in the cache: start every test with none."""
    cache.clear()


@pytest.fixture(scope="session")
def _media_roots(tmp_path_factory):
    """A directory for each test under one temporary directory, made only by a test that writes a file (most
    write none, and `tmp_path` for every test costs its making)."""
    base = tmp_path_factory.mktemp("media")
    return (base / str(number) for number in itertools.count(1))


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, _media_roots):
    """Model artifacts and other files a test writes stay in its own directory."""
    settings.MEDIA_ROOT = str(next(_media_roots))
    # applicants' materials: the private storage reads this each time it is used
    settings.PRIVATE_MEDIA_ROOT = settings.MEDIA_ROOT + "-private"


@pytest.fixture(scope="session")
def catalog_data():
    return catalog_file_read(settings.CATALOG_DATA_FILE)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, catalog_data):
    """The seed catalog, imported once into the test database; each test rolls back to it."""
    with django_db_blocker.unblock():
        report = catalog_import(data=catalog_data)
    assert report.ok, report.problems


def catalog_present(catalog_data) -> None:
    """Imports the seed catalog again if a transactional test emptied the database since the session began."""
    if not ServiceItem.objects.exists():
        report = catalog_import(data=catalog_data)
        assert report.ok, report.problems


@pytest.fixture
def catalog(db, catalog_data):
    """The shipped seed catalog."""
    catalog_present(catalog_data)


@contextmanager
def data_shared_by_tests(django_db_blocker):
    """For rows that a class's or a module's tests share and that are costly to make (a simulated province, a
    trained model): make them inside this, in a fixture of that scope, and have each test also ask for `db`.
    As with Django's `setUpTestData`, they are written in a transaction that each test's own nests in, so every
    test starts from them and leaves nothing behind, whatever the order; it is rolled back after the last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def texts(settings):
    """Text messages kept in memory (services_portal.core.sms.LocmemBackend): the list of those sent."""
    settings.SMS_BACKEND = "services_portal.core.sms.LocmemBackend"
    LocmemBackend.outbox.clear()
    yield LocmemBackend.outbox
    LocmemBackend.outbox.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def citizen(db):
    return citizen_make()


@pytest.fixture
def other_citizen(db):
    return citizen_make(name="王芳")


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tasks run in the test's process unless a test starts a real worker itself."""
    from services_portal.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture
def health_feed(db):
    return StaffFactory(username="health-feed", role=Role.DEPARTMENT_FEED, department="health", region_scope="")


@pytest.fixture
def caseworker(db):
    return StaffFactory(role=Role.CASEWORKER, region_scope="450100")


@pytest.fixture
def second_caseworker(db):
    return StaffFactory(role=Role.CASEWORKER, region_scope="450000")


@pytest.fixture
def parent(db):
    """A Nanning parent who agreed to data matching, sensitive facts and benefits without applying."""
    citizen = citizen_make(region_code="450103")
    for purpose in (Purpose.DATA_MATCHING, Purpose.SENSITIVE_FACTS, Purpose.PROACTIVE_BENEFITS):
        consent_grant(citizen=citizen, purpose=purpose, channel=ConsentChannel.WEB)
    return citizen
