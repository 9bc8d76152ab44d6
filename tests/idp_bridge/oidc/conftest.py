"""Fixtures of the OIDC provider tests; the vocabulary lives in tests/support/oidc.py."""
from __future__ import annotations

import pytest
from support.bridge import BridgeHarness
from support.oidc import RelyingParty, register

from samlkit.keys import ensure_dev_keypair


@pytest.fixture(scope="session")
def oidc_keys(bridge_keys, tmp_path_factory):
    certs = tmp_path_factory.mktemp("oidc-certs")
    return {**bridge_keys, "oidc": ensure_dev_keypair(certs, "oidc", "test oidc")}


@pytest.fixture
def op(tmp_path, bridge_engine, oidc_keys) -> BridgeHarness:
    return BridgeHarness(tmp_path, bridge_engine, oidc_keys)


@pytest.fixture
def rp(op) -> RelyingParty:
    return register(op)


@pytest.fixture
def own_op(tmp_path, databases, register, oidc_keys):
    """A bridge on a demo database of the test's own: for tests that change rights."""

    from attribute_authority.db import make_engine

    engine = make_engine(databases.seeded(register))
    yield BridgeHarness(tmp_path, engine, oidc_keys)
    engine.dispose()

