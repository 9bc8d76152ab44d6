"""Tasks 3 and 4: people (search, detail, add from the register, edit, align; never deleted)
and relations (add, edit, end only without active or pending grants, R3)."""
import html

from sqlalchemy import select
from support import AN, BART, EMIL, GEERT, HANNE, MERELBEKE, actor, counts
from support.admin import post, sign_in

from attribute_authority import people, relations
from attribute_authority.models import AuditEvent, Person


def text(response):
    return html.unescape(response.get_data(as_text=True))


def test_search_by_name_and_by_number(client):
    sign_in(client, AN, MERELBEKE)
    assert "Claes" in text(client.get("/admin/people?q=clae", follow_redirects=True))
    assert "Claes" in text(client.get("/admin/people?q=90.02.14-114.12", follow_redirects=True))
    # someone of another government is not found by name
    assert "De Smet" not in text(client.get("/admin/people?q=smet"))


def test_search_for_an_unknown_number_offers_to_add_and_for_a_known_one_a_relation(client):
    sign_in(client, AN, MERELBEKE)
    assert "Voeg deze persoon toe" in text(client.get(f"/admin/people?q={EMIL}"))
    assert "Voeg een relatie toe" in text(client.get(f"/admin/people?q={GEERT}"))


def test_add_person_from_the_register_with_a_note(client, db):
    sign_in(client, AN, MERELBEKE)
    preview = post(client, "/admin/people/new", {"rrn": EMIL})
    assert preview.status_code == 200 and "Novak" in text(preview)
    assert db.scalar(select(Person).where(Person.rrn == EMIL)) is None  # nothing yet
    done = post(client, "/admin/people/new/confirm", {"rrn": EMIL, "note": "nieuwe collega"})
    assert done.status_code == 302 and done.location.endswith(f"/admin/people/{EMIL}/relations/new")
    person = people.find(db, EMIL)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "person.added",
                                                AuditEvent.person_id == person.id)).one()
    assert (event.actor_rrn, event.reason) == (AN, "nieuwe collega")


def test_add_person_refusals_say_what_to_do(client, db):
    sign_in(client, AN, MERELBEKE)
    before = counts(db)
    bad = post(client, "/admin/people/new", {"rrn": "12345678901"})
    assert bad.status_code == 422 and "geen geldig rijksregister" in text(bad)
    unknown = post(client, "/admin/people/new", {"rrn": "00010100191"})
    assert unknown.status_code in (422, 404)
    empty = post(client, "/admin/people/new", {"rrn": ""})
    assert empty.status_code == 422 and "Vul dit veld in" in text(empty)
    assert counts(db) == before


def test_detail_shows_relations_grants_and_history_of_this_government(client):
    sign_in(client, AN, MERELBEKE)
    page = text(client.get(f"/admin/people/{BART}"))
    assert "Merelbeke-Melle" in page and "demo-app-reader" in page and "Historiek" in page
    # Bart has an active grant: no end button
    assert "/end\"" not in page and "disabled aria-describedby" in page  # R3: shown, disabled


def test_edit_and_align(client, db):
    sign_in(client, AN, MERELBEKE)
    assert post(client, f"/admin/people/{BART}/edit", {"language": "fr"}).status_code == 302
    assert people.find(db, BART).language == "fr"
    assert post(client, f"/admin/people/{BART}/edit", {"language": "xx"}).status_code == 422
    assert post(client, f"/admin/people/{BART}/align").status_code == 302
    db.expire_all()
    assert people.find(db, BART).language == "nl"  # the register's language again


def test_there_is_no_way_to_delete_a_person(app):
    assert not [r for r in app.url_map.iter_rules()
                if "DELETE" in r.methods or "delete" in r.rule]


def test_relation_add_then_straight_to_the_grant_wizard(client, db):
    sign_in(client, AN, MERELBEKE)
    post(client, "/admin/people/new/confirm", {"rrn": HANNE})
    added = post(client, f"/admin/people/{HANNE}/relations/new", {
        "category": "external", "type": "standard", "email": "hanne@example.org", "phone": "09 123 45 67"})
    assert added.status_code == 302 and "/grants/new" in added.location
    again = post(client, f"/admin/people/{HANNE}/relations/new", {
        "category": "external", "type": "standard", "email": "hanne@example.org"})
    assert again.status_code == 422 and "heeft al een open relatie" in text(again)
    bad_mail = post(client, f"/admin/people/{BART}/relations/new", {
        "category": "employee", "type": "standard", "email": "geen-adres"})
    assert bad_mail.status_code == 422


def test_relation_edit(client, db):
    sign_in(client, AN, MERELBEKE)
    rel = relations.find_open(db, actor(db, AN), BART, MERELBEKE)
    done = post(client, f"/admin/relations/{rel.id}/edit", {
        "category": "employee", "type": "standard", "email": "bart@new.be", "phone": ""})
    assert done.status_code == 302
    db.expire_all()
    assert rel.email == "bart@new.be"


def test_end_is_refused_while_a_grant_hangs_on_the_relation(client, db):
    sign_in(client, AN, MERELBEKE)
    rel = relations.find_open(db, actor(db, AN), BART, MERELBEKE)
    page = text(client.get(f"/admin/relations/{rel.id}/end"))
    assert "Herroep die eerst" in page and "Beëindig de relatie" not in page
    before = counts(db)
    refused = post(client, f"/admin/relations/{rel.id}/end", {"reason": "weg"})
    assert refused.status_code == 422 and "Herroep die eerst" in text(refused)
    db.expire_all()
    assert counts(db) == before and rel.ended_on is None


def test_end_a_relation_without_grants(client, db):
    sign_in(client, AN, MERELBEKE)
    post(client, "/admin/people/new/confirm", {"rrn": EMIL})
    post(client, f"/admin/people/{EMIL}/relations/new",
         {"category": "external", "type": "standard", "email": "e@x.be"})
    rel = relations.find_open(db, actor(db, AN), EMIL, MERELBEKE)
    assert "Beëindig relatie" in text(client.get(f"/admin/people/{EMIL}"))
    assert post(client, f"/admin/relations/{rel.id}/end", {"reason": "project af"}).status_code == 302
    db.expire_all()
    assert rel.ended_on is not None and rel.end_reason == "project af"
