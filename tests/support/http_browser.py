"""A browser without JavaScript for the sign-in journey: follows redirects, fills dev_eid's
form and the capacity page, submits the hand-over pages (the auto-posting forms), until it
reaches a page that is none of those, or a redirect to `stop_at` (an application's redirect
URI that nobody serves in the test). Over real HTTP (`HttpBrowser`, a requests.Session: for
peers that are not Flask apps of ours) or in-process (`TestClientBrowser`, Flask's client)."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from support.bridge import form_of

MAX_STEPS = 16

_OURS = ("/dev-eid/", "/idp/", "/sp/", "/oidc/")


@dataclass
class Page:
    url: str
    status: int
    text: str
    location: str | None = None  # a redirect that was not followed (stop_at)


class HttpBrowser:
    def __init__(self, session: requests.Session | None = None) -> None:
        self.http = session or requests.Session()

    def request(self, method: str, url: str, data: dict | None = None) -> tuple[int, str, str | None]:
        answer = self.http.request(method, url, data=data, allow_redirects=False, timeout=30)
        return answer.status_code, answer.text, answer.headers.get("Location")


class TestClientBrowser:
    """Flask's test client (of the all-in-one app), URLs absolute or not."""

    __test__ = False

    def __init__(self, client) -> None:
        self.client = client

    def request(self, method: str, url: str, data: dict | None = None) -> tuple[int, str, str | None]:
        parts = urlsplit(url)
        path = parts.path + ("?" + parts.query if parts.query else "")
        answer = self.client.open(path, method=method, data=data)
        return answer.status_code, answer.get_data(as_text=True), answer.headers.get("Location")


def walk(browser, url: str, rrn: str | None = None, capacity: str | None = None, method: str = "eid",
         *, stop_at: str | None = None, first: str = "GET", data: dict | None = None) -> Page:
    """From `url` through the bridge and dev_eid to the application; `rrn`/`method` fill
    dev_eid's form, `capacity` the capacity page (a page that needs either without it is an
    error). Returns the first page that is not ours, or the redirect to `stop_at`."""
    verb = first
    for _ in range(MAX_STEPS):
        status, text, location = browser.request(verb, url, data)
        if status in (301, 302, 303, 307):
            target = urljoin(url, location)
            if stop_at and target.startswith(stop_at):
                return Page(url, status, text, target)
            verb, url, data = "GET", target, None
            continue
        assert status < 400, (url, status, text[:800])
        if "<form" not in text or not urlsplit(url).path.startswith(_OURS):
            return Page(url, status, text)
        action, fields = form_of(text)
        if 'name="rrn"' in text:  # dev_eid's sign-in page
            assert rrn is not None, f"asked to sign in at dev_eid: {url}"
            fields.update(rrn=rrn, method=method)
        elif 'name="capacity"' in text:
            assert capacity is not None, f"asked for a capacity: {url}"
            fields["capacity"] = capacity
        verb, url, data = "POST", urljoin(url, action), fields
    raise AssertionError(f"no end of the journey after {MAX_STEPS} steps: {url}")


def sign_in(session: requests.Session, start: str, rrn: str, capacity: str | None,
            method: str = "eid") -> Page:
    return walk(HttpBrowser(session), start, rrn, capacity, method)
