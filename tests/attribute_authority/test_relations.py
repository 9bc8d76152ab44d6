"""R2/R3: relations."""
from datetime import timedelta

import pytest
from support import AN, BART, CHRIS, FEMKE, GEERT, MERELBEKE, NAZARETH, actor, counts

from attribute_authority import grants, relations
from attribute_authority.errors import InvalidInput, NotFound, RelationExists, RelationHasGrants


def test_second_open_relation_with_same_government_is_refused(session, today):
    before = counts(session)
    with pytest.raises(RelationExists):
        relations.add(session, actor(session, AN), BART, MERELBEKE, category="employee",
                      type="standard", email="b@x.be", on=today)
    assert counts(session) == before


def test_a_person_may_relate_to_several_governments(session, today):
    rel = relations.add(session, actor(session, FEMKE), BART, NAZARETH, category="external",
                        type="standard", email="bart@x.be", phone="+32 9 123 45 67",
                        note="helpt bij de fusie", on=today)
    assert rel.is_open and rel.government.code == NAZARETH and rel.note == "helpt bij de fusie"


def test_database_refuses_a_second_open_relation_too(session, today):
    existing = relations.open_relation(session, *_ids(session, BART, MERELBEKE))
    twin = relations.Relation(person_id=existing.person_id, government_id=existing.government_id,
                              category="employee", type="standard", email="x@y.be", started_on=today)
    session.add(twin)
    with pytest.raises(Exception, match="(?i)unique"):
        session.flush()
    session.rollback()


def _ids(session, rrn, code):
    from attribute_authority import governments, people
    return people.find(session, rrn).id, governments.by_code(session, code).id


@pytest.mark.parametrize("field,value", [
    ("email", "geen-adres"), ("category", "boss"), ("type", "chief"), ("phone", "bel me"),
])
def test_invalid_fields_are_refused(session, today, field, value):
    kwargs = dict(category="external", type="standard", email="b@x.be", phone=None)
    kwargs[field] = value
    with pytest.raises(InvalidInput):
        relations.add(session, actor(session, FEMKE), BART, NAZARETH, on=today, **kwargs)


def test_unknown_person_must_be_added_first(session, today):
    with pytest.raises(NotFound):
        relations.add(session, actor(session, AN), "88421013756", MERELBEKE, category="external",
                      type="standard", email="e@x.be", on=today)


def test_update_records_before_and_after(session, today):
    rel = relations.open_relation(session, *_ids(session, BART, MERELBEKE))
    relations.update(session, actor(session, AN), rel.id, category="employee", type="standard",
                     email="nieuw@merelbeke-melle.be", phone=None, note="dienst burgerzaken",
                     on=today)
    from attribute_authority.models import AuditEvent
    event = session.query(AuditEvent).order_by(AuditEvent.id.desc()).first()
    assert event.action == "relation.changed"
    assert event.before["email"] != event.after["email"] == "nieuw@merelbeke-melle.be"


def test_relation_with_active_grant_cannot_end(session, today):
    with pytest.raises(RelationHasGrants):
        relations.end(session, actor(session, AN), BART, MERELBEKE, on=today)


def test_relation_with_pending_grant_cannot_end(session, today):
    rel = relations.add(session, actor(session, AN), GEERT, MERELBEKE, category="external",
                        type="standard", email="g@x.be", on=today)
    grants.add(session, actor(session, AN), GEERT, MERELBEKE, "demo-app-reader",
               start=today + timedelta(days=30), on=today)
    with pytest.raises(RelationHasGrants) as refused:
        relations.end(session, actor(session, AN), GEERT, MERELBEKE, on=today)
    assert refused.value.params["count"] == 1
    assert rel.ended_on is None


def test_relation_ends_once_its_grants_are_revoked(session, today):
    me = actor(session, AN)
    for g in grants.search(session, grants.authz.EVERYTHING,
                           grants.GrantFilter(rrn=CHRIS, government=MERELBEKE, state="active"), on=today):
        grants.revoke(session, me, g.id, on=today)
    rel = relations.end(session, me, CHRIS, MERELBEKE, reason="opdracht afgelopen", on=today)
    assert rel.ended_on == today and rel.end_reason == "opdracht afgelopen"
    # Ended, it no longer blocks a new relation with the same government.
    again = relations.add(session, me, CHRIS, MERELBEKE, category="external", type="standard",
                          email="c@x.be", on=today)
    assert again.id != rel.id


def test_relation_ends_when_its_grants_expired(session, today):
    me = actor(session, AN)
    later = today + timedelta(days=400)  # past every demo grant's end
    rel = relations.find_open(session, me, BART, MERELBEKE, on=today)
    assert relations.blocking_grants(session, rel, later) == 0
    assert relations.blocking_grants(session, rel, today) == 1
