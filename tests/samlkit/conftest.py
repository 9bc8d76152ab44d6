"""Key pairs generated once per test session into a temporary directory (never committed)."""

import pytest

from samlkit.keys import KeyPair, ensure_dev_keypair


@pytest.fixture(scope="session")
def certs_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("certs")


@pytest.fixture(scope="session")
def keypair(certs_dir) -> KeyPair:
    return ensure_dev_keypair(certs_dir, "aa", "lb-idbeheer test attribute authority")


@pytest.fixture(scope="session")
def other_keypair(certs_dir) -> KeyPair:
    return ensure_dev_keypair(certs_dir, "stranger", "someone else")
