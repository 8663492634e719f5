"""The real services the suite runs against in CI. Locally they are skipped when absent; CI makes them
mandatory (REQUIRE_POSTGRES, REQUIRE_REDIS) so that a missing service fails instead of skipping."""

import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tests.conftest import postgres_only, required


def test_the_database_is_postgresql_when_ci_requires_it(db):
    postgres_only("runs on SQLite locally; CI runs the same suite on PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        assert cursor.fetchone()[0]


@pytest.fixture
def redis_configured():
    if not settings.REDIS_URL:
        if required("REQUIRE_REDIS"):
            pytest.fail("REQUIRE_REDIS is set but REDIS_URL is not")
        pytest.skip("REDIS_URL is not set: the embedded portal uses local memory")


def test_the_cache_round_trips_through_redis(redis_configured):
    key = f"test:{uuid.uuid4()}"
    cache.set(key, {"value": 1}, 30)
    assert cache.get(key) == {"value": 1}
    assert "RedisCache" in settings.CACHES["default"]["BACKEND"]


def test_the_channel_layer_delivers_through_redis(redis_configured):
    layer = get_channel_layer()
    assert type(layer).__name__ == "RedisChannelLayer"
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.send)(channel, {"type": "test.message", "text": "hello"})
    assert async_to_sync(layer.receive)(channel)["text"] == "hello"
