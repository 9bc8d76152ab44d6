"""Refresh tokens (issue 12 point 2): bound to the bridge's sign-in session - a refresh after a
logout, the idle timeout or the lifetime (R12) is invalid_grant -, rotated (each used once; a
reuse revokes the grant), and what a refreshed token shows is live (R8)."""
from __future__ import annotations

from support import BART, MERELBEKE
from support.oidc import authorize_url, random_code, register, revoke_grant, sign_in, tokens_for, verified


def _signed_in(op, rp, **extra):
    browser = op.browser()
    return browser, tokens_for(rp, sign_in(browser, authorize_url(rp, **extra), BART, MERELBEKE))


def _refresh(rp, token: str, **form):
    return rp.token(grant_type="refresh_token", refresh_token=token, **form)


def _refused(answer) -> None:
    assert answer.status_code == 400 and answer.json["error"] == "invalid_grant", answer.json


def _userinfo(rp, tokens):
    return rp.http.get("/oidc/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]})


def test_refresh_rotates_and_renews_the_id_token(op, rp):
    _browser, tokens = _signed_in(op, rp)
    first = verified(op, tokens["id_token"])
    refreshed = _refresh(rp, tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.json
    new = refreshed.json
    assert new["refresh_token"] != tokens["refresh_token"] and new["access_token"] != tokens["access_token"]
    assert refreshed.headers["Cache-Control"] == "no-store"
    claims = verified(op, new["id_token"])
    for same in ("iss", "sub", "aud", "azp", "auth_time", "sid", "acr"):
        assert claims[same] == first[same], same
    assert "nonce" not in claims and first["nonce"] == "n-1"  # a refresh is no authentication
    assert _userinfo(rp, new).status_code == 200
    again = _refresh(rp, new["refresh_token"])  # the next one of the chain works in turn
    assert again.status_code == 200 and again.json["refresh_token"] != new["refresh_token"]


def test_a_reused_refresh_token_revokes_the_grant(op, rp):
    _browser, tokens = _signed_in(op, rp)
    new = _refresh(rp, tokens["refresh_token"]).json
    _refused(_refresh(rp, tokens["refresh_token"]))  # the old one, a second time: stolen?
    _refused(_refresh(rp, new["refresh_token"]))  # so the one it begot is gone ...
    assert _userinfo(rp, new).status_code == 401  # ... and so are its access tokens


def test_refresh_after_the_bridge_sign_out_is_invalid_grant(op, rp):
    browser, tokens = _signed_in(op, rp)
    browser.sign_out_everywhere()
    _refused(_refresh(rp, tokens["refresh_token"]))


def test_refresh_after_the_idle_timeout_is_invalid_grant(op, rp):
    browser, tokens = _signed_in(op, rp)
    op.clock.advance(minutes=20)
    refreshed = _refresh(rp, tokens["refresh_token"])  # idle for 20 minutes: still signed in
    assert refreshed.status_code == 200, refreshed.json
    op.clock.advance(minutes=11)  # a refresh is the application's, not the person's activity
    _refused(_refresh(rp, refreshed.json["refresh_token"]))
    assert browser.get("/idp/capacity").status_code == 403  # the session itself ended too


def test_refresh_after_the_lifetime_is_invalid_grant(op, rp):
    browser, tokens = _signed_in(op, rp)
    refresh = tokens["refresh_token"]
    for _ in range(23):  # active in the browser every 20 minutes, for 7h40
        op.clock.advance(minutes=20)
        assert browser.get("/idp/capacity").status_code == 200
    answer = _refresh(rp, refresh)
    assert answer.status_code == 200, answer.json
    op.clock.advance(minutes=21)  # 8h01 after the sign-in, active 21 minutes ago
    _refused(_refresh(rp, answer.json["refresh_token"]))


def test_refresh_by_another_client_or_with_a_wider_scope_is_refused(op):
    rp = register(op, scopes=("openid", "profile", "capacity", "rights"))
    _browser, tokens = _signed_in(op, rp, scope="openid profile")
    wider = _refresh(rp, tokens["refresh_token"], scope="openid rights")
    assert wider.status_code == 400 and wider.json["error"] == "invalid_scope"
    narrower = _refresh(rp, tokens["refresh_token"], scope="openid")  # the refusal used up nothing
    assert narrower.status_code == 200 and narrower.json["scope"] == "openid"
    other = register(op, random_code())
    _refused(_refresh(other, narrower.json["refresh_token"]))  # leaked to another client:
    _refused(_refresh(rp, narrower.json["refresh_token"]))  # the grant ends for its own too


def test_rights_after_a_refresh_are_live_r8(own_op):
    rp = register(own_op)
    _browser, tokens = _signed_in(own_op, rp)
    assert verified(own_op, tokens["id_token"])["rights"] == [f"demo-app-reader@{MERELBEKE}"]
    revoke_grant(own_op, BART, "demo-app-reader")
    refreshed = _refresh(rp, tokens["refresh_token"]).json
    assert verified(own_op, refreshed["id_token"])["rights"] == []
    assert _userinfo(rp, refreshed).json["rights"] == []


def test_offline_access_is_ignored_and_discovery_names_what_works(op, rp):
    _browser, tokens = _signed_in(op, rp, scope="openid profile offline_access")
    assert tokens["scope"] == "openid profile" and tokens["refresh_token"]
    doc = op.app.test_client().get("/oidc/.well-known/openid-configuration").json
    assert doc["grant_types_supported"] == ["authorization_code", "refresh_token", "client_credentials"]
    assert "offline_access" not in doc["scopes_supported"]
