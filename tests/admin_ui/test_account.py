"""A civil servant's own pages (issue 14 task 1): "Mijn rechten" at /account/ and the request
page an application links to, /account/request?app=…[&right=…][&government=…] (R15), through
the Flask test client and the stand-in bridge, as Bart, Chris and Emil would use them."""
import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support import AN, BART, CHRIS, EMIL, FEMKE, MERELBEKE, NAZARETH, actor, counts
from support.admin import bridge, post, sign_in, sign_in_answer
from support.sp import citizen, employee

from attribute_authority import access_requests, clock, grants, relations, rights_query
from attribute_authority.models import AccessRequest, AuditEvent, Notice, Person
from samlkit.samlxml import SAMLP
from samlkit.sp_client import CAPACITY_EXTENSION

LINK = f"/account/request?app=demo-app&right=demo-app-admin&government={MERELBEKE}"


def text(response) -> str:
    return response.get_data(as_text=True)


def requests_of(db, rrn: str) -> list[AccessRequest]:
    db.expire_all()
    return list(db.scalars(select(AccessRequest).join(AccessRequest.person)
                           .where(Person.rrn == rrn).order_by(AccessRequest.id)))


def test_my_rights_shows_relations_rights_with_dates_and_the_local_administrators(client, db):
    sign_in(client, BART, MERELBEKE, path="/account/")
    page = text(client.get("/account/"))
    held = relations.find_open(db, actor(db, AN), BART, MERELBEKE).grants[0]
    assert "Mijn rechten" in page and "Uw rechten bij Merelbeke-Melle" in page
    assert "Lezer" in page and "Demotoepassing" in page and "toegekend" in page
    assert held.start.strftime("%d-%m-%Y") in page and held.end.strftime("%d-%m-%Y") in page
    an_email = relations.find_open(db, actor(db, AN), AN, MERELBEKE).email
    assert "An Peeters" in page and f'href="mailto:{an_email}"' in page
    assert "Bart Claes, voor Merelbeke-Melle" in page  # the header
    assert "vervalt binnenkort" not in page
    # no administrator menu for him, and no other person's data
    assert "/admin/people" not in page and "Chris" not in page


def test_what_ends_soon_is_said_with_a_link_to_ask_for_an_extension(client, db):
    held = relations.find_open(db, actor(db, AN), BART, MERELBEKE).grants[0]
    today = clock.today()
    grants.extend(db, actor(db, AN), held.id, held.start, today + timedelta(days=5), on=today)
    db.commit()
    sign_in(client, BART, MERELBEKE)
    page = text(client.get("/account/"))
    assert "1 recht vervalt binnen 14 dagen" in page and "vervalt binnenkort" in page
    assert (today + timedelta(days=5)).strftime("%d-%m-%Y") in page
    assert ("/account/request?app=demo-app&amp;right=demo-app-reader&amp;government=44088"
            in page)


def test_the_link_of_an_application_asks_to_sign_in_first_and_comes_back(client):
    first = client.get(LINK)
    assert first.status_code == 302 and first.location.startswith("http://localhost/idp/sso?")
    landed = sign_in(client, BART, MERELBEKE, path=LINK)
    assert landed.location.endswith(LINK)
    page = text(client.get(landed.location))
    assert "Een recht aanvragen voor Demotoepassing" in page
    assert "U vraagt het recht Beheerder bij Merelbeke-Melle, voor hoogstens 90 dagen" in page
    assert 'name="email"' not in page  # his relation's address is used


def test_a_request_goes_to_the_local_administrators_and_shows_on_my_rights(client, db):
    sign_in(client, BART, MERELBEKE, path=LINK)
    before = db.scalar(select(func.count()).select_from(Notice))
    done = post(client, LINK, {"right": "demo-app-admin", "government": MERELBEKE,
                               "motivation": "Ik beheer de demo voor de dienst ICT."})
    assert done.status_code == 302 and done.location.endswith("/account/")
    [asked] = requests_of(db, BART)
    assert (asked.kind, asked.status, asked.right.code) == ("grant", "open", "demo-app-admin")
    assert asked.email == relations.find_open(db, actor(db, AN), BART, MERELBEKE).email
    mails = db.scalars(select(Notice).where(Notice.key.like(f"request:{asked.id}:%"))).all()
    assert len(mails) == 1 and db.scalar(select(func.count()).select_from(Notice)) == before + 1
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "request.submitted",
                                                AuditEvent.target_id == asked.id)).one()
    assert event.actor_rrn == BART and event.reason == "Ik beheer de demo voor de dienst ICT."
    page = text(client.get("/account/", follow_redirects=True))
    assert "is verstuurd naar de lokale beheerders" in page or "Uw openstaande aanvragen" in page
    assert "Beheerder" in page and asked.expires_on.strftime("%d-%m-%Y") in page


def test_a_duplicate_open_request_is_refused_with_a_clear_message(client, db):
    sign_in(client, BART, MERELBEKE)
    form = {"right": "demo-app-admin", "government": MERELBEKE, "motivation": "Nodig."}
    assert post(client, LINK, form).status_code == 302
    again = post(client, LINK, form)
    assert again.status_code == 422
    assert "al een aanvraag voor Beheerder bij Merelbeke-Melle ingediend die nog openstaat" \
        in text(again)
    assert len(requests_of(db, BART)) == 1
    # opening the link again says so at once, before a motivation is written
    shown = client.get(LINK)
    assert "die nog openstaat" in text(shown) and 'name="motivation"' not in text(shown)


def test_a_right_one_holds_is_asked_as_an_extension(client, db):
    sign_in(client, BART, MERELBEKE)
    link = f"/account/request?app=demo-app&right=demo-app-reader&government={MERELBEKE}"
    held = relations.find_open(db, actor(db, AN), BART, MERELBEKE).grants[0]
    page = text(client.get(link))
    assert f"nu tot en met {held.end:%d-%m-%Y}: u vraagt een verlenging" in page
    assert post(client, link, {"right": "demo-app-reader", "government": MERELBEKE,
                               "motivation": "Verlengen a.u.b."}).status_code == 302
    [asked] = requests_of(db, BART)
    assert asked.kind == "extension" and asked.grant_id == held.id


def test_without_a_right_in_the_link_the_person_chooses_one(client):
    sign_in(client, BART, MERELBEKE)
    page = text(client.get("/account/request?app=demo-app"))
    assert 'type="radio"' in page and 'value="demo-app-admin"' in page
    assert 'value="demo-app-reader"' in page
    # central-only rights of the service itself are never offered
    assert "idbeheer-central-admin" not in text(client.get("/account/request?app=idbeheer"))


def test_someone_no_government_added_signs_in_as_citizen_and_asks_to_be_added(client, db):
    link = f"/account/request?app=demo-app&right=demo-app-reader&government={MERELBEKE}"
    landed = sign_in_answer(client, EMIL, MERELBEKE, path=link, attributes=citizen(EMIL))
    assert landed.status_code == 303
    home = text(client.get("/account/"))
    assert "Nog geen enkel bestuur heeft u toegevoegd" in home
    page = text(client.get(link))
    assert 'name="email"' in page
    before = counts(db)
    missing = post(client, link, {"right": "demo-app-reader", "government": MERELBEKE,
                                  "motivation": "Ik begin volgende week bij de dienst burgerzaken."})
    assert missing.status_code == 422 and "e-mailadres" in text(missing)
    assert counts(db) == before and db.scalar(select(Person).where(Person.rrn == EMIL)) is None
    done = post(client, link, {"right": "demo-app-reader", "government": MERELBEKE,
                               "motivation": "Ik begin volgende week bij de dienst burgerzaken.",
                               "email": "emil.novak@merelbeke-melle.be"})
    assert done.status_code == 302
    [asked] = requests_of(db, EMIL)
    assert asked.kind == "relation" and asked.email == "emil.novak@merelbeke-melle.be"
    added = db.scalars(select(AuditEvent).where(AuditEvent.action == "person.added",
                                                AuditEvent.actor_rrn == EMIL)).one()
    assert added.person_id == asked.person_id
    # An approves: relation and grant in one go, answered by the AttributeQuery at once (R8)
    admin = client.application.test_client()
    sign_in(admin, AN, MERELBEKE)
    today = clock.today()
    approved = post(admin, f"/admin/requests/{asked.id}", {
        "action": "approve", "start": today.isoformat(),
        "end": (today + timedelta(days=30)).isoformat()})
    assert approved.status_code == 302
    db.expire_all()
    assert relations.find_open(db, actor(db, AN), EMIL, MERELBEKE).email == asked.email
    assert "demo-app-reader@44088" in rights_query.answer(db, EMIL, "demo-app", today).rights
    past = text(client.get("/account/"))
    assert "goedgekeurd" in past and "Merelbeke-Melle" in past


@pytest.mark.parametrize("query, status", [
    ("", 422),
    ("?app=nope", 404),
    ("?app=demo-app&right=idbeheer-local-admin", 404),
    ("?app=idbeheer&right=idbeheer-central-admin", 404),
    ("?app=demo-app&government=99999", 404),
    ("?app=demo-app&government=vlaanderen", 404),
    ("?app=demo-app&right=demo-app-%00", 400),
])
def test_a_wrong_link_gets_a_clear_page_and_no_500(client, query, status):
    sign_in(client, BART, MERELBEKE)
    response = client.get("/account/request" + query)
    assert response.status_code == status, text(response)[:300]
    assert "<h1>" in text(response)


@pytest.mark.parametrize("form", [
    {"right": "demo-app-admin", "government": MERELBEKE, "motivation": ""},
    {"right": "demo-app-admin", "government": MERELBEKE, "motivation": "x" * 2001},
    {"right": "demo-app-admin", "government": "vlaanderen", "motivation": "x"},
    {"right": "demo-app-admin", "government": "", "motivation": "x"},
    {"right": "idbeheer-central-admin", "government": MERELBEKE, "motivation": "x"},
    {"right": "demo-app-nope", "government": MERELBEKE, "motivation": "x"},
    {"right": "demo-app-admin", "government": "44087", "motivation": "x", "email": "not-an-address"},
])
def test_a_refused_request_changes_nothing(client, db, form):
    sign_in(client, BART, MERELBEKE)
    before = counts(db)
    response = post(client, "/account/request?app=demo-app", form)
    assert response.status_code in (404, 422), text(response)[:300]
    assert counts(db) == before and requests_of(db, BART) == []


def test_a_refusal_of_the_service_reads_english_on_the_english_pages(client, db):
    sign_in(client, BART, MERELBEKE)
    post(client, "/admin/language", {"language": "en", "next": "/account/"})
    no_app = client.get("/account/request")
    assert no_app.status_code == 422
    assert "Invalid input: the link to this page names no application (app=…)" in text(no_app)
    assert "noemt geen toepassing" not in text(no_app)
    before = counts(db)
    refused = post(client, "/account/request?app=demo-app",
                   {"right": "demo-app-admin", "government": "44087", "motivation": "Nodig.",
                    "email": "not-an-address"})
    assert refused.status_code == 422
    shown = html.unescape(text(refused))
    assert "Invalid input: 'not-an-address' is not a valid e-mail address" in shown
    assert "Ongeldige invoer" not in shown and counts(db) == before


def test_every_form_needs_its_csrf_token(client, db):
    sign_in(client, BART, MERELBEKE)
    for path, data in ((LINK, {"right": "demo-app-admin", "government": MERELBEKE,
                               "motivation": "Nodig."}),
                       ("/account/switch", {"government": MERELBEKE})):
        assert client.post(path, data=data).status_code == 400, path
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 400, path
    assert requests_of(db, BART) == []


def test_my_rights_and_the_form_have_labels_for_every_field(client):
    sign_in(client, BART, MERELBEKE)
    page = text(client.get("/account/request?app=demo-app"))
    for name in ("government", "motivation"):
        assert f'<label for="{name}"' in page, name
    assert "<fieldset" in page and "<legend>Recht</legend>" in page
    assert '<label for="ask-app"' in text(client.get("/account/"))


def test_the_pages_speak_english_on_request(client):
    sign_in(client, BART, MERELBEKE)
    post(client, "/admin/language", {"language": "en", "next": "/account/"})
    page = text(client.get("/account/"))
    assert "My rights" in page and "Your local administrators at Merelbeke-Melle" in page
    form = text(client.get(LINK))
    assert "Request a right for" in form and "Why do you need this right?" in form


def test_a_citizen_session_shows_relations_but_no_rights(client):
    sign_in_answer(client, CHRIS, MERELBEKE, attributes=citizen(CHRIS))
    page = text(client.get("/account/"))
    assert "U bent aangemeld als burger" in page
    assert "Nazareth-De Pinte" in page and "Merelbeke-Melle" in page
    assert "Uw rechten bij" not in page


def test_looking_at_another_government_of_ones_own_is_a_fresh_sign_in_there(client):
    sign_in(client, CHRIS, MERELBEKE, path="/account/")
    page = text(client.get("/account/"))
    assert "Bekijk uw rechten bij Nazareth-De Pinte" in page
    to_bridge = post(client, "/account/switch", {"government": NAZARETH})
    assert to_bridge.status_code == 302
    request = bridge().request_of(to_bridge.location)
    assert request.findtext(f"{{{SAMLP}}}Extensions/{CAPACITY_EXTENSION}") == NAZARETH
    switched = client.post("/admin/acs", data=bridge().answer(to_bridge.location,
                                                               employee(CHRIS, NAZARETH)))
    assert switched.status_code == 303 and switched.location.endswith("/account/")
    assert "Uw rechten bij Nazareth-De Pinte" in text(client.get("/account/"))
    refused = post(client, "/account/switch", {"government": "44087"})
    assert refused.status_code == 404


def test_the_account_pages_need_a_sign_in_and_show_only_the_signed_in_person(client, db):
    assert client.get("/account/").status_code == 302
    bart = db.scalar(select(Person.id).where(Person.rrn == BART))
    access_requests.submit(db, bart, MERELBEKE, "demo-app-admin", "Bart zijn reden")
    db.commit()
    sign_in_answer(client, FEMKE, NAZARETH, attributes=employee(FEMKE, NAZARETH))
    for path in (f"/account/?rrn={BART}", f"/account/?person={bart}",
                 f"{LINK}&rrn={BART}", f"/account/request?app=demo-app&person={bart}"):
        page = text(client.get(path))
        assert "Claes" not in page and "Bart zijn reden" not in page, path


def test_after_the_idle_timeout_signing_in_again_returns_to_the_account_page(client, monkeypatch):
    import time

    from admin_ui import auth

    sign_in(client, BART, MERELBEKE)
    assert client.get(LINK).status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr(auth, "now", lambda: later)
    expired = client.get(LINK)
    assert expired.status_code == 302 and "/idp/sso?" in expired.location
    assert sign_in(client, BART, MERELBEKE, path=LINK).location.endswith(LINK)
    switched = post(client, "/admin/language", {"language": "en", "next": LINK})
    assert switched.status_code == 302 and switched.location.endswith(LINK)


def test_the_central_administrator_sees_her_rights_and_no_local_administrators(client):
    from support import DINA
    sign_in(client, DINA, "vlaanderen", path="/account/")
    page = text(client.get("/account/"))
    assert "Centrale beheerder" in page and "Uw lokale beheerders" not in page
    assert 'href="/admin/central/governments"' in page  # her menu stays


def test_an_administrator_signed_in_as_citizen_is_offered_to_switch_to_her_government(client):
    sign_in_answer(client, AN, MERELBEKE, attributes=citizen(AN))
    refused = client.get("/admin/")
    assert refused.status_code == 403
    assert "Beheer als medewerker van Merelbeke-Melle" in text(refused)
    to_bridge = post(client, "/account/switch", {"government": MERELBEKE, "next": "/admin/"})
    request = bridge().request_of(to_bridge.location)
    assert request.findtext(f"{{{SAMLP}}}Extensions/{CAPACITY_EXTENSION}") == MERELBEKE
    landed = client.post("/admin/acs", data=bridge().answer(to_bridge.location,
                                                            employee(AN, MERELBEKE)))
    assert landed.status_code == 303 and landed.location.endswith("/admin/")
    assert client.get("/admin/").status_code == 200
    # a next that leaves the service is ignored
    away = post(client, "/account/switch", {"government": MERELBEKE, "next": "https://evil.example/"})
    assert away.status_code == 302 and "evil" not in away.location


def test_someone_without_any_role_is_offered_no_switch(client):
    sign_in(client, BART, MERELBEKE)
    assert "Beheer als medewerker" not in text(client.get("/admin/"))
