"""The browser security headers of every answer of the all-in-one app, set in one place.

A WSGI middleware around the whole composition (admin UI, bridge, dev_eid, demo-app, the AA),
since these are separate Flask apps and plain WSGI endpoints; nginx in front adds the TLS
header (HSTS) only.

- `Content-Security-Policy`: everything from our own origin; no inline script but the POST
  binding's auto-submit, allowed by its hash (samlkit.bindings.AUTO_SUBMIT_SCRIPT; its page
  keeps the "Verder" button for browsers without JavaScript); inline `style` blocks are
  allowed (the bridge's and demo-app's pages have them; with every fetch limited to 'self',
  injected CSS has nowhere to send anything). `form-action` must let the bridge's POST-binding
  pages post to the applications' ACS and SLO endpoints, and Chromium checks it on every
  redirect after a form too (Afmelden → the bridge → each application's SLO → the eID IdP),
  so it allows https (every peer in production) and, outside production, plain http, where
  demo peers live. `frame-ancestors 'none'` and `X-Frame-Options: DENY`: no page of ours
  can be framed (clickjacking of the admin forms and the bridge's capacity and sign-out
  forms).
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin` (URLs carry SAML
  messages; the admin UI reads its own referrer to return after sign-in).
- `Cache-Control: no-store` on everything but static files: pages show personal data
  (people, rights, the signed-in person) and SAML messages that must not stay in a cache.

A header the application already set is kept (a page may carry a stricter policy), except
Cache-Control, which is always `no-store` outside static files.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from samlkit.bindings import AUTO_SUBMIT_CSP_SOURCE

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


def content_security_policy(*, production: bool) -> str:
    form_targets = "'self' https:" if production else "'self' http: https:"
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {AUTO_SUBMIT_CSP_SOURCE}",
        "style-src 'self' 'unsafe-inline'",
        "object-src 'none'",
        "base-uri 'none'",
        f"form-action {form_targets}",
        "frame-ancestors 'none'",
    ])


def headers_for(path: str, *, production: bool) -> list[tuple[str, str]]:
    headers = [
        ("Content-Security-Policy", content_security_policy(production=production)),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
    ]
    if "/static/" not in path:
        headers.append(("Cache-Control", "no-store"))
    return headers


def with_security_headers(app: WsgiApp, *, production: bool) -> WsgiApp:
    def wrapped(environ: dict, start_response: Callable):
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        ours = headers_for(path, production=production)

        def start(status: str, headers: list, exc_info=None):
            if any(name == "Cache-Control" for name, _ in ours):  # never cacheable, whatever set
                headers = [(n, v) for n, v in headers if n.lower() != "cache-control"]
            present = {name.lower() for name, _ in headers}
            extra = [(name, value) for name, value in ours if name.lower() not in present]
            return start_response(status, [*headers, *extra], exc_info)

        return app(environ, start)

    return wrapped
