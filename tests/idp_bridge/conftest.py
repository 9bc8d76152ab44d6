"""Fixtures of the bridge tests; the vocabulary lives in tests/support/bridge.py."""
from __future__ import annotations

import pytest
from support.bridge import REDIS_URL, BridgeHarness

from attribute_authority.db import make_engine
from samlkit.keys import KeyPair, ensure_dev_keypair
from samlkit.replay import RedisStore


@pytest.fixture(scope="session")
def bridge_keys(tmp_path_factory) -> dict[str, KeyPair]:
    certs = tmp_path_factory.mktemp("bridge-certs")
    return {name: ensure_dev_keypair(certs, name, f"test {name}")
            for name in ("idp", "sp", "sp-encryption", "dev-eid", "testsp", "stranger")}


@pytest.fixture(scope="session")
def bridge_engine(demo_url):
    engine = make_engine(demo_url)
    yield engine
    engine.dispose()


@pytest.fixture
def bridge(tmp_path, bridge_engine, bridge_keys) -> BridgeHarness:
    return BridgeHarness(tmp_path, bridge_engine, bridge_keys)


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is needed for this test: {exc}")
    yield client
    for key in client.scan_iter("idbeheer-test:*"):
        client.delete(key)


@pytest.fixture
def redis_store(redis_client):
    return RedisStore(redis_client, prefix="idbeheer-test:")
