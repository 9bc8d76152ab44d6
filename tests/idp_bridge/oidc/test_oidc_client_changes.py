"""A changed registration counts from the next request, though each worker keeps what it
built of a client (its parsed keys) while the registration reads the same."""
from __future__ import annotations

from support.oidc import REDIRECT, authorize_url, random_code, register


def test_a_new_key_replaces_the_old_one_on_the_next_request(op):
    code = random_code()
    old = register(op, code)
    assert old.token(grant_type="client_credentials").status_code == 200  # its keys now cached
    new = register(op, code)  # the application rolled its key over
    refused = old.token(grant_type="client_credentials")
    assert refused.status_code == 401 and refused.json["error"] == "invalid_client"
    assert new.token(grant_type="client_credentials").status_code == 200


def test_a_new_secret_replaces_the_old_one_on_the_next_request(op):
    code = random_code()
    old = register(op, code, secret=True)
    assert old.token(grant_type="client_credentials").status_code == 200
    new = register(op, code, secret=True)
    assert old.token(grant_type="client_credentials").status_code == 401
    assert new.token(grant_type="client_credentials").status_code == 200


def test_a_removed_redirect_uri_is_refused_on_the_next_request(op):
    code = random_code()
    rp = register(op, code, redirect_uris=[REDIRECT, "https://rp.example.test/other"])
    browser = op.browser()
    assert browser.get(authorize_url(rp)).status_code == 302  # known: on to the sign-in
    register(op, code, redirect_uris=["https://rp.example.test/other"])
    refused = browser.get(authorize_url(rp))
    assert refused.status_code == 400 and "Location" not in refused.headers


def test_known_clients_are_read_again_as_often_as_the_sp_registry_polls(op):
    """In the server a known client is served from memory for up to the SP registry's
    check_interval (1 s); a client the worker does not know yet is read at once."""
    op.deps.sp_registry.check_interval = 3600
    code = random_code()
    old = register(op, code)
    assert old.token(grant_type="client_credentials").status_code == 200  # new: read at once
    new = register(op, code)
    assert old.token(grant_type="client_credentials").status_code == 200  # still its copy
    op.deps.sp_registry.check_interval = 0  # the interval has passed
    assert old.token(grant_type="client_credentials").status_code == 401
    assert new.token(grant_type="client_credentials").status_code == 200
