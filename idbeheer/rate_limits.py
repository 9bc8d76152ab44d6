"""Rate limits (issue 10.12): the doors a flood or a guessing run goes for, counted in front of
every mounted part, so that the bridge, the admin UI and the AA's plain WSGI endpoint need no
code of their own for it.

Counting is Flask-Limiter's core, the `limits` library: a moving window per key, in Redis
(IDBEHEER_REDIS_URL) when the service runs as several workers, in memory in the embedded
default (one process). Over a limit: 429, Retry-After, and a short page in Dutch (English when
the browser asks for it, from idbeheer's catalog). A storage outage lets requests through: a
rate limit must not take the service down with Redis (the sessions report that outage).

Keys: the client address (REMOTE_ADDR, after ProxyFix when trusted proxies are configured).
At /aa/soap also the Issuer the query claims, read with a regular expression before any
parsing (the signature is not verified yet), and therefore counted together with the client
address: keyed on the claimed Issuer alone, anyone could use up another application's quota.
"""
from __future__ import annotations

import hashlib
import io
import logging
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.wrappers import Request

import i18nkit

log = logging.getLogger(__name__)

Environ = dict
KeyOf = Callable[[Environ], "str | None"]

# An AttributeQuery is a few KiB; the Issuer comes before the Subject and the signature.
_PEEK_BYTES = 256 * 1024
_ISSUER = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Issuer\b[^>]*>\s*([^<\s]{1,1024})\s*<")
_CATALOGS = i18nkit.compile_catalogs(Path(__file__).parent / "translations", "idbeheer")


def client_address(environ: Environ) -> str:
    return environ.get("REMOTE_ADDR") or "unknown"


def claimed_issuer(environ: Environ) -> str | None:
    """The Issuer an AttributeQuery names, with the client address; the body is put back for
    the endpoint. None when there is no readable Issuer (the AA refuses that query anyway)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if not 0 < length <= _PEEK_BYTES:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    found = _ISSUER.search(body)
    if found is None:
        return None
    issuer = hashlib.sha256(found.group(1)).hexdigest()[:32]
    return f"{issuer}@{client_address(environ)}"


@dataclass(frozen=True)
class Limit:
    """`limit` requests per window for each key, on the requests `applies` picks."""

    name: str
    limit: RateLimitItem
    applies: Callable[[str, str], bool]
    key: KeyOf = client_address


def door(path: str, *methods: str, prefix: bool = False) -> Callable[[str, str], bool]:
    def applies(method: str, request_path: str) -> bool:
        hit = request_path.startswith(path) if prefix else request_path == path
        return hit and method in methods
    return applies


def limits_from(settings) -> list[Limit]:
    """The limits the settings name (see idbeheer.settings: IDBEHEER_RATE_LIMIT_*)."""
    doors = [
        # the narrower key first: a query refused for its issuer does not use up its client's
        ("aa_issuer", settings.rate_limit_aa_issuer, door("/aa/soap", "POST"), claimed_issuer),
        ("aa_ip", settings.rate_limit_aa_ip, door("/aa/soap", "POST"), client_address),
        ("sso", settings.rate_limit_sso, door("/idp/sso", "GET", "POST"), client_address),
        ("acs", settings.rate_limit_acs, door("/sp/acs", "POST"), client_address),
        ("admin_sign_in", settings.rate_limit_admin_sign_in,
         lambda m, p: door("/admin/sign-in", "GET")(m, p) or door("/admin/acs", "POST")(m, p),
         client_address),
        ("upload", settings.rate_limit_upload, door("/admin/bulk/upload", "POST"), client_address),
    ]
    return [Limit(name, parse(value), applies, key) for name, value, applies, key in doors if value]


class RateLimited:
    """WSGI middleware: counts each request against the limits that apply to it."""

    def __init__(self, wsgi: Callable, limits: Iterable[Limit], storage_uri: str) -> None:
        self.wsgi, self.limits = wsgi, list(limits)
        self.storage = storage_from_string(storage_uri, key_prefix="idbeheer-rate")
        self.limiter = MovingWindowRateLimiter(self.storage)

    def __call__(self, environ: Environ, start_response):
        method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        for limit in self.limits:
            if limit.applies(method, path):
                key = limit.key(environ)
                if key is not None and not self._hit(limit, key):
                    return self._refuse(limit, key, environ, start_response)
        return self.wsgi(environ, start_response)

    def _hit(self, limit: Limit, key: str) -> bool:
        """Count the request (one atomic step in Redis, so concurrent workers never let more
        through than the limit); False when it is over."""
        try:
            return self.limiter.hit(limit.limit, limit.name, key)
        except Exception as exc:  # storage down: let the request through, say so in the log
            log.warning("rate limit %s not counted: %s", limit.name, type(exc).__name__)
            return True

    def _refuse(self, limit: Limit, key: str, environ: Environ, start_response):
        try:
            reset = self.limiter.get_window_stats(limit.limit, limit.name, key).reset_time
            wait = max(1, math.ceil(reset - time.time()))
        except Exception:
            wait = limit.limit.get_expiry()
        log.warning("rate limit %s reached", limit.name, extra={"reason": "rate_limited"})
        body = _page(environ, wait).encode()
        start_response("429 Too Many Requests", [
            ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
            ("Retry-After", str(wait)), ("Cache-Control", "no-store")])
        return [body]


def _page(environ: Environ, wait: int) -> str:
    language = Request(environ).accept_languages.best_match(["nl", "en"], default="nl")
    catalog = _CATALOGS.get(language)
    _ = catalog.gettext if catalog else (lambda text: text)
    title = _("Te veel aanvragen")
    message = _("U of uw netwerk deed op korte tijd te veel aanvragen. Wacht %(seconds)s "
                "seconden en probeer het dan opnieuw.") % {"seconds": wait}
    return (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1>"
            f"<p>{escape(message)}</p></main></body></html>")


def install(wsgi: Callable, settings) -> Callable:
    """`wsgi` behind the limits of `settings`; unchanged when every limit is off."""
    limits = limits_from(settings)
    if not limits:
        return wsgi
    return RateLimited(wsgi, limits, settings.redis_url or "memory://")
