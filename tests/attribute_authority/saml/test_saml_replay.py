"""The one-time store, in memory and on a real Redis."""
import os
import uuid

import pytest
import redis

from attribute_authority.saml.replay import MemoryStore, RedisStore

REDIS_URL = os.environ.get("IDBEHEER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture(params=["memory", "redis"])
def store_and_clock(request):
    clock = Clock()
    if request.param == "memory":
        return MemoryStore(clock), clock
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    return RedisStore(client, prefix=f"test:{uuid.uuid4().hex}:"), None


def test_first_use_only_once(store_and_clock):
    store, _ = store_and_clock
    assert store.first_use("id-1", 60) is True
    assert store.first_use("id-1", 60) is False
    assert store.first_use("id-2", 60) is True


def test_take_only_once(store_and_clock):
    store, _ = store_and_clock
    store.put("req", "relay", 60)
    assert store.take("req") == "relay"
    assert store.take("req") is None
    assert store.take("never") is None


def test_memory_entries_expire():
    clock = Clock()
    store = MemoryStore(clock)
    store.first_use("id", 10)
    store.put("req", "x", 10)
    clock.now += 11
    assert store.first_use("id", 10) is True
    assert store.take("req") is None
