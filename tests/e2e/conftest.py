"""The all-in-one app on a port of its own and Debian's chromium, shared by the browser tests
of this folder (each module gets its own server and database)."""
from __future__ import annotations

import threading

import pytest
from support import free_port
from support.browser import chromium
from werkzeug.serving import make_server

from idbeheer.app import create_app
from idbeheer.settings import from_env


@pytest.fixture(scope="module")
def server(databases, register, tmp_path_factory):
    """The all-in-one app (bridge, dev_eid, admin UI, demo-app) on a database of its own."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    home = tmp_path_factory.mktemp("e2e-home")
    settings = from_env({"IDBEHEER_HOME": str(home / "var"), "IDBEHEER_BASE_URL": base,
                         "IDBEHEER_DATABASE_URL": databases.seeded(register),
                         "IDBEHEER_METADATA_DIR": str(home / "metadata"),
                         "IDBEHEER_CERTS_DIR": str(home / "certs")})
    httpd = make_server("127.0.0.1", port, create_app(settings), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield base
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    try:
        with chromium() as b:
            yield b
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def page(browser, server):
    """A page without JavaScript: the pages need none."""
    context = browser.new_context(base_url=server, java_script_enabled=False)
    pg = context.new_page()
    yield pg
    context.close()
