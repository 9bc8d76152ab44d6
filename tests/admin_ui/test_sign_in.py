"""Task 1: the admin session: sign-in in a capacity, return to the page, idle timeout, switch
between governments, sign-out, CSRF on every POST."""
import time

from admin_support import build_app, csrf, post, sign_in
from support import AN, BART, DINA, FEMKE, MERELBEKE, NAZARETH, actor, counts

from admin_ui import auth
from attribute_authority import grants, relations


def test_a_page_asks_to_sign_in_and_comes_back_after(client):
    first = client.get("/admin/people?q=claes")
    assert first.status_code == 302 and first.location.endswith("/admin/sign-in/dev")
    landed = sign_in(client, AN, MERELBEKE)
    assert landed.location.endswith("/admin/people?q=claes")
    assert "Claes" in client.get(landed.location).get_data(as_text=True)


def test_return_to_another_site_is_ignored(client):
    client.get("/admin/sign-in?next=https://evil.example/steal")
    assert sign_in(client, AN, MERELBEKE).location.endswith("/admin/")


def test_someone_without_an_admin_right_is_refused(client):
    token = csrf(client)
    refused = client.post("/admin/sign-in/dev", data={"csrf_token": token, "rrn": BART,
                                                      "government": MERELBEKE})
    assert refused.status_code == 403
    assert client.get("/admin/").status_code == 302


def test_capacity_of_a_government_one_does_not_administer_is_refused(client):
    token = csrf(client)
    refused = client.post("/admin/sign-in/dev", data={"csrf_token": token, "rrn": AN,
                                                      "government": NAZARETH})
    assert refused.status_code == 403


def test_idle_timeout_then_sign_in_again_returns_to_the_page(client, monkeypatch):
    sign_in(client, AN, MERELBEKE)
    assert client.get("/admin/people/" + BART).status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr(auth, "now", lambda: later)
    expired = client.get("/admin/people/" + BART)
    assert expired.status_code == 302 and "sign-in" in expired.location
    assert sign_in(client, AN, MERELBEKE).location.endswith("/admin/people/" + BART)


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


def test_local_administrator_of_two_governments_switches(client, db):
    femke = actor(db, FEMKE)
    relations.add(db, femke, AN, NAZARETH, category="employee", type="standard", email="an@x.be")
    grants.add(db, femke, AN, NAZARETH, "idbeheer-local-admin")
    db.commit()
    sign_in(client, AN, MERELBEKE)
    page = client.get("/admin/switch").get_data(as_text=True)
    assert "Merelbeke-Melle" in page and "Nazareth-De Pinte" in page
    switched = post(client, "/admin/switch", {"government": NAZARETH})
    assert switched.status_code == 302
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
    page = client.get("/admin/").get_data(as_text=True)
    assert "Besturen" in page and "Aanmeldspoor" in page


def test_without_the_stand_in_sign_in_waits_for_the_bridge(seeded_url, register):
    client = build_app(seeded_url, register, dev_sign_in=False).test_client()
    assert client.get("/admin/sign-in/dev").status_code == 404
    assert client.get("/admin/people").status_code == 503  # until the bridge's SAML sign-in plugs in
