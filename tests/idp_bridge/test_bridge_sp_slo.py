"""Issue #10.4: an upstream-signed LogoutRequest at /sp/slo ends the session only when it is
fresh, addressed to our /sp/slo, used once, and names this session's upstream NameID; any
other is refused and ends nothing."""
import datetime as dt
from urllib.parse import urlsplit

import pytest
from support.bridge import BASE, DEV_EID

from samlkit.bindings import redirect_url
from samlkit.logout import NameId, logout_request
from samlkit.samlxml import to_bytes

BART = "90021411412"


def signed_in(bridge):
    sp = bridge.sp("demo-app")
    browser = bridge.browser()
    assert browser.sign_in(sp, BART, "44088").status_code == 200
    with browser.client.session_transaction() as data:
        name_id = NameId.from_dict(data["upstream"]["name_id"])
    return browser, name_id


def upstream_logout(bridge, bridge_keys, name_id: NameId, *, destination=BASE + "/sp/slo",
                    age=dt.timedelta(0)) -> str:
    """A LogoutRequest signed by the upstream IdP (dev_eid's key), HTTP-Redirect: the path."""
    root = logout_request(issuer=DEV_EID, destination=destination, name_id=name_id,
                          session_index=None, now=bridge.clock() - age,
                          validity=dt.timedelta(hours=2))
    url = redirect_url(BASE + "/sp/slo", "SAMLRequest", to_bytes(root), None, bridge_keys["dev-eid"])
    parts = urlsplit(url)
    return parts.path + "?" + parts.query


def still_signed_in(browser) -> bool:
    return browser.get("/idp/capacity").status_code == 200


def test_the_session_s_own_fresh_logout_request_ends_it(bridge, bridge_keys):
    browser, name_id = signed_in(bridge)
    answer = browser.get(upstream_logout(bridge, bridge_keys, name_id))
    # the trip starts: the session's application is signed out first, then the IdP answered
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("https://demo-app.example.test/slo?SAMLRequest=")
    assert not still_signed_in(browser)


@pytest.mark.parametrize("case", ["other_person", "hour_old", "other_destination"])
def test_a_captured_logout_request_ends_nothing(bridge, bridge_keys, case):
    browser, name_id = signed_in(bridge)
    if case == "other_person":
        path = upstream_logout(bridge, bridge_keys, NameId("someone-else", name_id.format))
    elif case == "hour_old":
        path = upstream_logout(bridge, bridge_keys, name_id, age=dt.timedelta(hours=1))
    else:
        path = upstream_logout(bridge, bridge_keys, name_id, destination="https://other.example/slo")
    answer = browser.get(path)
    assert 400 <= answer.status_code < 500, answer.data[:300]
    assert still_signed_in(browser)
    reason = {"other_person": "logout_other_person", "hour_old": "logout_expired",
              "other_destination": "logout_wrong_destination"}[case]
    assert bridge.events()[-1].reason == reason


def test_a_replayed_logout_request_in_a_second_browser_ends_nothing(bridge, bridge_keys):
    first, name_id = signed_in(bridge)
    path = upstream_logout(bridge, bridge_keys, name_id)
    assert first.get(path).status_code == 302
    second, _ = signed_in(bridge)
    answer = second.get(path)
    assert 400 <= answer.status_code < 500
    assert still_signed_in(second)
    assert bridge.events()[-1].reason == "logout_replayed"
