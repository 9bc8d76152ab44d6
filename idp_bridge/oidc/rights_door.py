"""The back-end calls of an application as plain WSGI endpoints, mounted by the composition
in front of Flask like the AA's /aa/soap: GET /oidc/rights (the hot path of back-end calls)
and POST /oidc/token (one per login and refresh). They skip Flask's per-request work (two app
and request contexts, the bridge's session, locale and hooks): about a third of a rights
answer's CPU, a fifth of a token exchange's. Same endpoints (`resources.RightsEndpoint`,
`token.TokenEndpoint`), same OAuth errors as the Flask routes in `web.py`, which the bridge
alone (tests, other compositions) still serves. An outage of the store or the database is a
503 `temporarily_unavailable` (RFC 6749 4.1.2.1's word), never a 500."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request

from attribute_authority import rights_query
from attribute_authority.db import is_disconnect

from ..errors import OUTAGES
from .errors import OAuth2Error
from .provider import Provider
from .resources import RightsEndpoint
from .token import TokenEndpoint
from .web import NO_STORE, single_values

log = logging.getLogger(__name__)


WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


class _Request(Request):
    max_content_length = 64 * 1024  # a token request is a few kB: assertion, code, verifier


def _door(name: str, methods: tuple[str, ...], handle: Callable[[Request], dict[str, Any]]) -> WsgiApp:
    """A JSON endpoint: `handle(request)` answers 200 with its dict, or raises an OAuth error."""

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = _Request(environ)
        extra: list[tuple[str, str]] = []
        try:
            if request.method not in methods:
                extra.append(("Allow", ", ".join(methods)))
                status, body = 405, {"error": "invalid_request", "error_description": f"use {methods[0]}"}
            else:
                status, body = 200, handle(request)
        except OAuth2Error as exc:
            status, body, headers = exc()
            log.info("oidc refused %s: %s %s", name, body.get("error"), body.get("error_description", ""))
            extra += [(n, v) for n, v in headers if n.lower() != "content-type"]
        except HTTPException as exc:  # the body is too large
            status = exc.code or 400
            body = {"error": "invalid_request", "error_description": exc.name.lower()}
        except OUTAGES as exc:
            log.warning("oidc %s unavailable: %s", name, type(exc).__name__)
            status, body = 503, {"error": "temporarily_unavailable",
                                 "error_description": "try again in a few seconds"}
            extra.append(("Retry-After", "5"))
        payload = json.dumps(body, separators=(",", ":")).encode()
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, '')}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
                        *NO_STORE.items(), *extra])
        return [] if request.method == "HEAD" else [payload]

    return app


def rights_wsgi(provider: Provider, engine: Engine | None = None) -> WsgiApp:
    """`engine`: the AA's query engine (`db.query_engine`), the statement on a bare
    connection as the AttributeQuery reads it, retried once on a dropped connection."""
    endpoint = RightsEndpoint(_reader(engine) if engine is not None else None)

    def handle(request: Request) -> dict[str, Any]:
        args = single_values(request.args, repeatable=("government",))
        return endpoint(provider, args, request.args.getlist("government"),
                        request.headers.get("Authorization"))

    return _door("/oidc/rights", ("GET", "HEAD"), handle)


def token_wsgi(provider: Provider) -> WsgiApp:
    endpoint = TokenEndpoint()

    def handle(request: Request) -> dict[str, Any]:
        form: Mapping[str, str] = single_values(request.form)
        return endpoint(provider, form, request.headers.get("Authorization"))

    return _door("/oidc/token", ("POST",), handle)


def _reader(engine: Engine) -> Callable[..., rights_query.QueryAnswer]:
    def read(rrn: str, app: str, day: date, governments: list[str] | None) -> rights_query.QueryAnswer:
        try:
            with engine.connect() as conn:
                return rights_query.answer(conn, rrn, app, day, governments)
        except sa_exc.DBAPIError as exc:
            if not is_disconnect(exc):
                raise
        with engine.connect() as conn:
            return rights_query.answer(conn, rrn, app, day, governments)

    return read



