"""Structured JSON logs with a request id, request timing, and the /metrics endpoint.

Log lines carry what operations need (method, endpoint, status, duration, request id) and no
personal data: never the query string (it may hold a SAMLRequest), never an RRN."""
from __future__ import annotations

import hmac
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from attribute_authority import metrics

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# The request id of a plain WSGI endpoint (`observed`); Flask views keep theirs in `g`.
_request_id: ContextVar[str | None] = ContextVar("idbeheer_request_id", default=None)
_access = logging.getLogger("idbeheer.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                  + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("request_id", "method", "endpoint", "status", "duration_ms", "reason"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps(entry, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _request_id.get()
        if request_id is None:
            try:
                request_id = getattr(g, "request_id", None)
            except RuntimeError:  # outside a Flask request
                pass
        record.__dict__["request_id"] = request_id  # what logging's `extra=` does
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel("WARNING")


def _new_request_id(incoming: str) -> str:
    return incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def install(app: Flask, *, metrics_token: str | None = None, production: bool = False) -> None:
    """Request hooks and the /metrics endpoint on the all-in-one app.

    /metrics tells an outsider which applications sign in and how often, so: with a
    `metrics_token` (IDBEHEER_METRICS_TOKEN) it answers only `Authorization: Bearer <token>`
    (401 otherwise); in production without a token it is not served at all (404, logged once
    at start); the embedded default without a token leaves it open, as a developer expects."""
    install_request_hooks(app)
    if production and not metrics_token:
        logging.getLogger(__name__).warning(
            "/metrics is off: set IDBEHEER_METRICS_TOKEN to serve it to Prometheus")
        return

    @app.get("/metrics")
    def prometheus_metrics() -> Response:
        if metrics_token and not _bearer_matches(request.headers.get("Authorization", ""),
                                                 metrics_token):
            return Response("a bearer token is required\n", status=401, mimetype="text/plain",
                            headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            body = generate_latest(registry)
        else:
            body = generate_latest()
        return Response(body, mimetype=CONTENT_TYPE_LATEST)


def _bearer_matches(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def install_request_hooks(app: Flask, prefix: str = "") -> None:
    """Request id, timing metric and JSON access line for every request of a Flask app (the
    all-in-one app, and the bridge mounted beside it: `prefix` names its endpoints)."""

    @app.before_request
    def _start() -> None:
        g.request_id = _new_request_id(request.headers.get("X-Request-ID", ""))
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        elapsed = time.perf_counter() - getattr(g, "started", time.perf_counter())
        endpoint = prefix + (request.endpoint or "unmatched")
        metrics.HTTP_LATENCY.labels(endpoint, str(response.status_code)).observe(elapsed)
        response.headers["X-Request-ID"] = g.get("request_id", "")
        _access.info("request", extra={"method": request.method, "endpoint": endpoint,
                                      "status": response.status_code,
                                      "duration_ms": round(elapsed * 1000, 2)})
        return response


def observed(wsgi_app: Callable, endpoint: str) -> Callable:
    """A plain WSGI application (one that answers with a fully built body, such as the AA's
    SOAP endpoint) with what `install` gives Flask views: the X-Request-ID header and request
    id in its log lines, the request timing metric under `endpoint`, one JSON access line; an
    unexpected exception becomes a logged 500 without details, as in Flask."""

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        request_id = _new_request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        token = _request_id.set(request_id)
        started = time.perf_counter()
        status = ["500"]

        def start(line: str, headers: list, exc_info=None):
            status[0] = line.split(" ", 1)[0]
            return start_response(line, [*headers, ("X-Request-ID", request_id)], exc_info)

        method = environ.get("REQUEST_METHOD")
        try:
            try:
                body = wsgi_app(environ, start)
            except Exception:
                _access.exception("unhandled error", extra={"method": method, "endpoint": endpoint})
                body = [b"internal server error\n"]
                start("500 Internal Server Error",
                      [("Content-Type", "text/plain"), ("Content-Length", str(len(body[0])))])
            elapsed = time.perf_counter() - started
            metrics.HTTP_LATENCY.labels(endpoint, status[0]).observe(elapsed)
            _access.info("request", extra={"method": method, "endpoint": endpoint,
                                           "status": int(status[0]),
                                           "duration_ms": round(elapsed * 1000, 2)})
        finally:
            _request_id.reset(token)
        return body

    return app
