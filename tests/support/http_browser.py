"""A browser without JavaScript over real HTTP (a requests.Session): follows redirects, fills
dev_eid's form and the capacity page, submits the hand-over pages (the auto-posting forms),
until it reaches a page that is none of those. For peers that are not Flask apps of ours
(Apache, a gunicorn server)."""
from __future__ import annotations

from urllib.parse import urljoin

import requests

from support.bridge import form_of

MAX_STEPS = 12


def walk(browser: requests.Session, response: requests.Response, rrn: str, capacity: str | None,
         method: str = "eid") -> requests.Response:
    """From a response of the sign-in journey to the first page that is not the bridge's or
    dev_eid's form: fills dev_eid with `rrn`/`method`, the capacity page with `capacity`."""
    for _ in range(MAX_STEPS):
        assert response.status_code < 400, (response.url, response.status_code, response.text[:800])
        if "<form" not in response.text or not _ours(response):
            return response
        action, fields = form_of(response.content)
        if 'name="rrn"' in response.text:  # dev_eid's sign-in page
            fields.update(rrn=rrn, method=method)
        elif 'name="capacity"' in response.text:
            assert capacity is not None, "the capacity page came, no capacity was given"
            fields["capacity"] = capacity
        response = browser.post(urljoin(response.url, action), data=fields)
    raise AssertionError(f"no end of the sign-in after {MAX_STEPS} forms: {response.url}")


def sign_in(browser: requests.Session, start: str, rrn: str, capacity: str | None,
            method: str = "eid") -> requests.Response:
    return walk(browser, browser.get(start), rrn, capacity, method)


def _ours(response: requests.Response) -> bool:
    """A page of the bridge or dev_eid (the journey's own forms), not the application's."""
    path = requests.utils.urlparse(response.url).path
    return path.startswith(("/dev-eid/", "/idp/", "/sp/", "/oidc/"))
