"""Under ASGI no connection is kept per request thread; PostgreSQL's connections come from a bounded pool."""

import os
import subprocess
import sys

import pytest

from services_portal.settings import database_connections
from tests.core.test_settings import PRODUCTION, ROOT, manage

POSTGRES = {"ENGINE": "django.db.backends.postgresql", "NAME": "portal", "OPTIONS": {"sslmode": "prefer"}}
SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}


def connections(database, *, asgi, conn_max_age=60, pool_max_size=10, pool_timeout=10.0):
    return database_connections(
        database, asgi=asgi, conn_max_age=conn_max_age, pool_max_size=pool_max_size, pool_timeout=pool_timeout
    )


@pytest.mark.parametrize("conn_max_age", [0, 60, None])
@pytest.mark.parametrize("database", [POSTGRES, SQLITE])
@pytest.mark.parametrize("pool_max_size", [0, 10])
def test_an_asgi_process_never_keeps_a_connection(database, conn_max_age, pool_max_size):
    assert connections(database, asgi=True, conn_max_age=conn_max_age, pool_max_size=pool_max_size)["CONN_MAX_AGE"] == 0


def test_an_asgi_process_on_postgresql_borrows_from_a_bounded_pool():
    database = connections(POSTGRES, asgi=True, pool_max_size=25, pool_timeout=5.0)
    assert database["OPTIONS"] == {"sslmode": "prefer", "pool": {"min_size": 2, "max_size": 25, "timeout": 5.0}}
    assert POSTGRES["OPTIONS"] == {"sslmode": "prefer"}  # the parsed URL's options are left as they were


def test_a_pool_of_one_keeps_no_more_than_one():
    assert connections(POSTGRES, asgi=True, pool_max_size=1)["OPTIONS"]["pool"]["min_size"] == 1


def test_no_pool_when_turned_off_or_on_sqlite():
    assert "pool" not in connections(POSTGRES, asgi=True, pool_max_size=0)["OPTIONS"]
    assert "pool" not in connections(SQLITE, asgi=True)["OPTIONS"]


def test_commands_and_workers_keep_their_connections_as_before():
    database = connections(POSTGRES, asgi=False, conn_max_age=60)
    assert database["CONN_MAX_AGE"] == 60
    assert "pool" not in database["OPTIONS"]


POOL = (
    "from django.conf import settings; d = settings.DATABASES['default']; "
    "print(d['CONN_MAX_AGE'], d['OPTIONS'].get('pool'))"
)


def test_the_asgi_server_loads_the_pooled_settings():
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "-c", "import services_portal.asgi; " + POOL],
        cwd=ROOT,
        env={**clean, **PRODUCTION, "DATABASE_POOL_MAX_SIZE": "7"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 {'min_size': 2, 'max_size': 7, 'timeout': 10.0}"


def test_a_management_command_keeps_its_connection_as_before():
    result = manage("shell", "-c", POOL, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "60 None"
