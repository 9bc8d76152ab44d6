"""gunicorn entry for tests that must know which worker answered: the all-in-one app
(`idbeheer.wsgi:app`, settings from the environment) with an `X-Test-Worker: <pid>` header on
every answer. Only for tests: production answers name no process.

`GET /test-worker/hold?pid=P` lets a test choose the worker of its next request: the worker
with pid P stays busy (a sync worker serves one connection at a time) until the test removes
the marker file it writes in IDBEHEER_TEST_HOLD_DIR; any other worker answers 409 at once."""
from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import parse_qs

from idbeheer.wsgi import app as _app

_PID = str(os.getpid())  # fixed per worker: gunicorn imports after fork
_HEADER = ("X-Test-Worker", _PID)
HOLD_PATH = "/test-worker/hold"
_HOLD_LIMIT = 10.0  # seconds: a test that forgets its hold does not stall the worker longer


def _hold(environ, start_response):
    asked = parse_qs(environ.get("QUERY_STRING", "")).get("pid", [""])[0]
    if asked != _PID:
        start_response("409 Conflict", [("Content-Type", "text/plain"), _HEADER])
        return [b"another worker"]
    marker = Path(os.environ["IDBEHEER_TEST_HOLD_DIR"]) / _PID
    marker.touch()
    deadline = time.monotonic() + _HOLD_LIMIT
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    marker.unlink(missing_ok=True)
    start_response("200 OK", [("Content-Type", "text/plain"), _HEADER])
    return [b"held"]


def app(environ, start_response):
    if environ.get("PATH_INFO") == HOLD_PATH:
        return _hold(environ, start_response)

    def with_worker(status, headers, exc_info=None):
        return start_response(status, [*headers, _HEADER], exc_info)

    return _app(environ, with_worker)
