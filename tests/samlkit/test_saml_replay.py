"""The one-time store, in memory and on a real Redis."""
import os
import uuid

import pytest
import redis

from samlkit.replay import FallbackStore, MemoryStore, RedisStore, StoreUnavailable

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


def test_put_many_and_get_many(store_and_clock):
    store, _ = store_and_clock
    store.put_many([("a", "1", 60), ("b", "2", 60)])
    assert store.get_many(["a", "missing", "b"]) == ["1", None, "2"]
    assert store.take("a") == "1" and store.get_many(["a"]) == [None]


def test_swap_replaces_only_what_is_there(store_and_clock):
    store, _ = store_and_clock
    assert store.swap("code", "used", 60) is None and store.get("code") is None  # nothing made
    store.put("code", "grant", 60)
    assert store.swap("code", "used", 60) == "grant"
    assert store.swap("code", "used", 60) == "used" and store.get("code") == "used"


def test_memory_entries_expire():
    clock = Clock()
    store = MemoryStore(clock)
    store.first_use("id", 10)
    store.put("req", "x", 10)
    clock.now += 11
    assert store.first_use("id", 10) is True
    assert store.take("req") is None


class Flaky:
    """A shared store that is down while `down` is set, and counts the calls it gets."""

    def __init__(self, clock):
        self.store = MemoryStore(clock)
        self.down = False
        self.calls = 0

    def first_use(self, key, ttl_seconds):
        self.calls += 1
        if self.down:
            raise StoreUnavailable("redis: ConnectionError")
        return self.store.first_use(key, ttl_seconds)

    def put(self, key, value, ttl_seconds):
        if self.down:
            raise StoreUnavailable("redis: ConnectionError")
        self.store.put(key, value, ttl_seconds)

    def take(self, key):
        if self.down:
            raise StoreUnavailable("redis: ConnectionError")
        return self.store.take(key)


def test_fallback_keeps_answering_while_the_shared_store_is_down_and_recovers():
    clock = Clock()
    shared = Flaky(clock)
    store = FallbackStore(shared, retry_after=2, clock=clock)
    assert store.first_use("before", 180) is True
    shared.down = True
    assert store.first_use("during", 180) is True and store.degraded
    assert store.first_use("during", 180) is False  # this process still catches replays
    assert shared.calls == 2  # not retried within retry_after
    clock.now += 2
    assert store.first_use("other", 180) is True and shared.calls == 3  # tried, still down
    shared.down = False
    clock.now += 2
    assert store.first_use("after", 180) is True and not store.degraded
    assert store.first_use("after", 180) is False  # shared again
    assert store.first_use("during", 180) is False  # what was seen during the outage counts
    clock.now += 181
    assert store.first_use("during", 180) is True  # ...for as long as it lives


def test_fallback_does_not_keep_protocol_state_in_one_process():
    clock = Clock()
    shared = Flaky(clock)
    store = FallbackStore(shared, clock=clock)
    shared.down = True
    with pytest.raises(StoreUnavailable):
        store.put("req", "relay", 60)
    with pytest.raises(StoreUnavailable):
        store.take("req")


def test_redis_store_says_unavailable_quickly_when_redis_is_unreachable():
    from idbeheer.shared_state import redis_client

    store = RedisStore(redis_client("redis://127.0.0.1:1/0"))
    for call in (lambda: store.first_use("x", 60), lambda: store.put("x", "y", 60),
                 lambda: store.take("x")):
        with pytest.raises(StoreUnavailable):
            call()
