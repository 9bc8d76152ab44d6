"""The all-in-one app on a port of its own and Debian's chromium, shared by the browser tests
of this folder (each module gets its own server and database)."""
from __future__ import annotations

import pytest
from support import axe
from support.browser import chromium, serving


@pytest.fixture(scope="module")
def server(databases, register, tmp_path_factory):
    """The all-in-one app (bridge, dev_eid, admin UI, demo-app) on a database of its own."""
    with serving(databases.seeded(register), tmp_path_factory.mktemp("e2e-home")) as (base, _):
        yield base


@pytest.fixture(scope="module")
def browser():
    try:
        with chromium() as b:
            yield b
    except RuntimeError as exc:  # chromium is missing: say so as a failure, never a skip
        pytest.fail(str(exc))


@pytest.fixture
def page(browser, server):
    """A page without JavaScript: the pages need none."""
    context = browser.new_context(base_url=server, java_script_enabled=False)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="module")
def script() -> str:
    """axe-core's source, for `support.axe.assert_accessible(page, script)`."""
    try:
        return axe.source()
    except axe.AxeUnavailable as exc:  # never a skip: the check is part of the suite
        pytest.fail(str(exc))
