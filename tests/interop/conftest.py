"""The bridge every interop test meets: `idbeheer run` over real HTTP, one per test module, on
a database of its own (support.interop)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.interop import IdbeheerServer


@pytest.fixture(scope="module")
def server(databases, register, tmp_path_factory, request) -> Iterator[IdbeheerServer]:
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_interop_")
    running = IdbeheerServer(tmp_path_factory.mktemp(f"{name}-server"), databases.seeded(register)).start()
    yield running
    running.stop()
