"""Mounting the bridge app beside another WSGI app: the bridge owns its URL prefixes.

The bridge is its own Flask app (its own session cookie and session store, so the admin UI's
session and the bridge's never mix); the host keeps every other path.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

PREFIXES = ("/idp/", "/sp/", "/dev-eid/", "/oidc/")


def mount(host_wsgi: Callable, bridge_wsgi: Callable, prefixes: Iterable[str] = PREFIXES) -> Callable:
    prefixes = tuple(prefixes)

    def dispatch(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(prefixes):
            return bridge_wsgi(environ, start_response)
        return host_wsgi(environ, start_response)

    return dispatch
