"""Task 1: the admin session: sign-in in a capacity, return to the page, idle timeout, switch
between governments, sign-out, CSRF on every POST."""
import time

import pytest
from support import AN, BART, DINA, FEMKE, MERELBEKE, NAZARETH, actor, counts
from support.admin import bridge, build_app, csrf, key_pair, post, sign_in, sign_in_answer
from support.sp import citizen, employee

from admin_ui import auth
from attribute_authority import grants, relations
from samlkit.samlxml import REQUESTER, SAMLP
from samlkit.sp_client import CAPACITY_EXTENSION
from samlkit.spmetadata import parse_sp_metadata


def test_a_page_asks_to_sign_in_at_the_bridge_and_comes_back_after(client):
    first = client.get("/admin/people?q=claes")
    assert first.status_code == 302 and first.location.startswith("http://localhost/idp/sso?SAMLRequest=")
    request = bridge().request_of(first.location, [key_pair("admin").certificate])
    assert request.get("AssertionConsumerServiceURL") == "http://localhost/admin/acs"
    landed = sign_in(client, AN, MERELBEKE, path="/admin/people?q=claes")
    assert landed.location.endswith("/admin/people?q=claes")
    assert "Claes" in client.get(landed.location, follow_redirects=True).get_data(as_text=True)


def test_return_to_another_site_is_ignored(client):
    assert sign_in(client, AN, MERELBEKE, path="/admin/sign-in?next=https://evil.example/steal") \
        .location.endswith("/admin/")


def test_the_metadata_registers_the_admin_ui_as_a_signing_sp(client):
    metadata = parse_sp_metadata(client.get("/admin/metadata").data, "idbeheer")
    assert metadata.entity_id == "http://localhost/admin/metadata"
    assert metadata.acs().location == "http://localhost/admin/acs"
    assert metadata.authn_requests_signed and metadata.signing_certs == (key_pair("admin").certificate,)


def test_the_stand_in_sign_in_page_is_gone(client):
    assert client.get("/admin/sign-in/dev").status_code == 404


def test_someone_without_an_admin_right_signs_in_to_their_own_page_not_the_admin_pages(client, db):
    before = counts(db)
    landed = sign_in_answer(client, BART, MERELBEKE)
    assert landed.status_code == 303 and landed.location.endswith("/account/")
    refused = client.get("/admin/")
    assert refused.status_code == 403
    page = refused.get_data(as_text=True)
    assert "geen lokale beheerder, centrale beheerder of helpdeskmedewerker" in page
    assert 'href="/account/"' in page and "Mijn rechten" in page
    for path in ("/admin/people", f"/admin/people/{BART}", "/admin/requests", "/admin/report"):
        assert client.get(path).status_code == 403, path
    assert post(client, f"/admin/people/{BART}/edit", {"language": "fr"}).status_code == 403
    assert client.get("/account/").status_code == 200
    assert counts(db) == before


def test_a_page_of_the_admin_ui_asked_for_by_a_non_administrator_is_refused_after_sign_in(client):
    landed = sign_in(client, BART, MERELBEKE, path="/admin/people?q=claes")
    assert landed.location.endswith("/admin/people?q=claes")
    assert client.get(landed.location).status_code == 403


def test_capacity_of_a_government_one_does_not_administer_gives_no_admin_pages(client):
    assert sign_in_answer(client, AN, NAZARETH).status_code == 303
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/people").status_code == 403


def test_a_citizen_capacity_gives_no_admin_pages(client):
    landed = sign_in_answer(client, AN, MERELBEKE, attributes=citizen(AN))
    assert landed.status_code == 303 and landed.location.endswith("/account/")
    assert client.get("/admin/").status_code == 403
    assert client.get("/account/").status_code == 200


@pytest.mark.parametrize("change", [
    {"sign_assertion": False},
    {"signer": key_pair("stranger")},
    {"audience": "http://localhost/demo-app/metadata"},
    {"recipient": "http://localhost/demo-app/acs"},
    {"in_response_to": "_not-ours"},
])
def test_refused_answers_make_no_session(client, change):
    refused = sign_in_answer(client, AN, MERELBEKE, **change)
    assert refused.status_code == 400
    assert "Dit aanmeldbericht kunnen we niet aanvaarden" in refused.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_a_replayed_answer_is_refused(client, app):
    to_bridge = client.get("/admin/sign-in")
    answer = bridge().answer(to_bridge.location, employee(AN, MERELBEKE))
    assert client.post("/admin/acs", data=answer).status_code == 303
    post(client, "/admin/sign-out")
    assert client.post("/admin/acs", data=answer).status_code == 400
    other = app.test_client()  # another browser replaying the same answer
    other.get("/admin/sign-in")
    assert other.post("/admin/acs", data=answer).status_code == 400
    assert client.get("/admin/").status_code == 302 and other.get("/admin/").status_code == 302


def test_a_cancelled_sign_in_is_a_clear_page(client):
    refused = sign_in_answer(client, AN, MERELBEKE, code=REQUESTER)
    assert refused.status_code == 401
    assert "niet gelukt of werd geannuleerd" in refused.get_data(as_text=True)


def test_idle_timeout_then_sign_in_again_returns_to_the_page(client, monkeypatch):
    sign_in(client, AN, MERELBEKE)
    assert client.get("/admin/people/" + BART).status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr(auth, "now", lambda: later)
    expired = client.get("/admin/people/" + BART)
    assert expired.status_code == 302 and "/idp/sso?" in expired.location
    again = client.post("/admin/acs", data=bridge().answer(expired.location, employee(AN, MERELBEKE)))
    assert again.status_code == 303 and again.location.endswith("/admin/people/" + BART)


def test_activity_keeps_the_session_alive_but_not_past_the_absolute_lifetime(client, monkeypatch):
    sign_in(client, AN, MERELBEKE)
    start = time.time()
    for minutes in range(20, 8 * 60, 20):
        monkeypatch.setattr(auth, "now", lambda m=minutes: start + m * 60)
        assert client.get("/admin/").status_code == 200
    monkeypatch.setattr(auth, "now", lambda: start + 8 * 3600 + 60)
    assert client.get("/admin/").status_code == 302


def test_a_post_after_the_idle_timeout_changes_nothing(client, db, monkeypatch):
    sign_in(client, AN, MERELBEKE)
    rel = relations.find_open(db, actor(db, AN), BART, MERELBEKE)
    token = csrf(client, "/admin/signed-out")
    before = counts(db)
    later = time.time() + 31 * 60
    monkeypatch.setattr(auth, "now", lambda: later)
    response = client.post(f"/admin/relations/{rel.id}/edit", data={
        "csrf_token": token, "category": "external", "type": "standard", "email": "x@y.be"},
        headers={"Referer": f"http://localhost/admin/relations/{rel.id}/edit"})
    assert response.status_code == 302
    db.expire_all()
    assert counts(db) == before and rel.email != "x@y.be"


def test_post_without_csrf_token_is_refused_and_changes_nothing(client, db):
    sign_in(client, AN, MERELBEKE)
    rel = relations.find_open(db, actor(db, AN), BART, MERELBEKE)
    before = counts(db)
    for token in (None, "forged"):
        data = {"category": "external", "type": "standard", "email": "x@y.be"}
        if token:
            data["csrf_token"] = token
        refused = client.post(f"/admin/relations/{rel.id}/edit", data=data)
        assert refused.status_code == 400
        assert "Laad de pagina opnieuw" in refused.get_data(as_text=True)
    db.expire_all()
    assert counts(db) == before


def test_local_administrator_of_two_governments_switches_through_the_bridge(client, db):
    femke = actor(db, FEMKE)
    relations.add(db, femke, AN, NAZARETH, category="employee", type="standard", email="an@x.be")
    grants.add(db, femke, AN, NAZARETH, "idbeheer-local-admin")
    db.commit()
    sign_in(client, AN, MERELBEKE)
    page = client.get("/admin/switch").get_data(as_text=True)
    assert "Merelbeke-Melle" in page and "Nazareth-De Pinte" in page
    to_bridge = post(client, "/admin/switch", {"government": NAZARETH})
    assert to_bridge.status_code == 302 and "/idp/sso?" in to_bridge.location
    request = bridge().request_of(to_bridge.location)
    assert request.findtext(f"{{{SAMLP}}}Extensions/{CAPACITY_EXTENSION}") == NAZARETH
    # until the bridge asserts the other capacity, the session acts for the first one
    assert "Merelbeke-Melle" in client.get("/admin/").get_data(as_text=True)
    switched = client.post("/admin/acs", data=bridge().answer(to_bridge.location,
                                                               employee(AN, NAZARETH)))
    assert switched.status_code == 303
    home = client.get("/admin/").get_data(as_text=True)
    assert "Nazareth-De Pinte" in home
    # acting for Nazareth-De Pinte, Merelbeke-Melle's people are out of reach
    assert client.get("/admin/people/" + BART).status_code == 404


def test_switch_to_a_government_one_does_not_administer_is_refused(client):
    sign_in(client, AN, MERELBEKE)
    refused = post(client, "/admin/switch", {"government": NAZARETH})
    assert refused.status_code == 422
    assert "Merelbeke-Melle" in client.get("/admin/").get_data(as_text=True)


def test_sign_out(client):
    sign_in(client, AN, MERELBEKE)
    assert post(client, "/admin/sign-out").status_code == 302
    assert client.get("/admin/").status_code == 302


def test_central_administrator_signs_in_for_the_central_organisation(client):
    sign_in(client, DINA, "vlaanderen")
    page = client.get("/admin/", follow_redirects=True).get_data(as_text=True)
    assert "Besturen" in page and "Aanmeldspoor" in page


def test_without_a_key_and_the_bridge_metadata_sign_in_is_unavailable(seeded_url, register):
    client = build_app(seeded_url, register, keypairs=(), idp_metadata=None).test_client()
    assert client.get("/admin/people").status_code == 503
