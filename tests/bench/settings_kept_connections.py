"""The portal's settings as they were before an ASGI process gave up persistent connections: each kept 60 s
and no pool. Only bench_asgi_connections.py loads them, to measure what the change is for."""

from services_portal.settings import *  # noqa: F403 - the same settings but for the one below
from services_portal.settings import DATABASES

DATABASES["default"] = {
    **DATABASES["default"],
    "CONN_MAX_AGE": 60,
    "OPTIONS": {key: value for key, value in DATABASES["default"]["OPTIONS"].items() if key != "pool"},
}
