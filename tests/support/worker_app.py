"""gunicorn entry for tests that must know which worker answered: the all-in-one app
(`idbeheer.wsgi:app`, settings from the environment) with an `X-Test-Worker: <pid>` header on
every answer. Only for tests: production answers name no process."""
from __future__ import annotations

import os

from idbeheer.wsgi import app as _app

_HEADER = ("X-Test-Worker", str(os.getpid()))  # fixed per worker: gunicorn imports after fork


def app(environ, start_response):
    def with_worker(status, headers, exc_info=None):
        return start_response(status, [*headers, _HEADER], exc_info)

    return _app(environ, with_worker)
