"""GET /oidc/rights as a plain WSGI endpoint, the hot path of back-end calls, mounted by the
composition in front of Flask like the AA's /aa/soap: it skips Flask's per-request work (two
app and request contexts, the bridge's session, locale and hooks), about a third of an
answer's CPU. Same endpoint (`resources.RightsEndpoint`), same OAuth errors as the Flask
route in `web.py`, which the bridge alone (tests, other compositions) still serves."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request

from attribute_authority import rights_query
from attribute_authority.db import is_disconnect

from .errors import OAuth2Error
from .provider import Provider
from .resources import RightsEndpoint
from .web import NO_STORE, single_values

log = logging.getLogger(__name__)


WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


def rights_wsgi(provider: Provider, engine: Engine | None = None) -> WsgiApp:
    """`engine`: the AA's query engine (`db.query_engine`), the statement on a bare
    connection as the AttributeQuery reads it, retried once on a dropped connection."""
    endpoint = RightsEndpoint(_reader(engine) if engine is not None else None)

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        extra: list[tuple[str, str]] = []
        try:
            if request.method not in ("GET", "HEAD"):
                extra.append(("Allow", "GET, HEAD"))
                status, body = 405, {"error": "invalid_request", "error_description": "use GET"}
            else:
                args = single_values(request.args, repeatable=("government",))
                status, body = 200, endpoint(provider, args, request.args.getlist("government"),
                                             request.headers.get("Authorization"))
        except OAuth2Error as exc:
            status, body, headers = exc()
            log.info("oidc refused /oidc/rights: %s %s", body.get("error"), body.get("error_description", ""))
            extra += [(n, v) for n, v in headers if n.lower() != "content-type"]
        payload = json.dumps(body, separators=(",", ":")).encode()
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, '')}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
                        *NO_STORE.items(), *extra])
        return [] if request.method == "HEAD" else [payload]

    return app


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



