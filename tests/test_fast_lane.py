"""The fast lane (`pytest -m "not slow"`) stays fast only while conftest's list of slow places
names places that exist: a renamed folder would silently join the fast lane."""
from pathlib import Path

import conftest

TESTS = Path(__file__).parent


def test_every_slow_place_exists():
    for place in conftest.SLOW_PATHS:
        assert (TESTS / place).exists(), f"tests/{place} is gone: update SLOW_PATHS in tests/conftest.py"


def test_the_slow_marker_is_registered(pytestconfig):
    assert any(line.startswith("slow:") for line in pytestconfig.getini("markers"))
