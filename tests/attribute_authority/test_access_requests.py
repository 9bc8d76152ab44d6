"""R15: requests for a right, and their decision by a local administrator of that government."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from support import AN, BART, CHRIS, DINA, EMIL, FEMKE, MERELBEKE, NAZARETH, actor, counts

from attribute_authority import access_requests, grants, people, relations, rights_query
from attribute_authority.access_requests import (
    DuplicateRequest,
    RequestClosed,
    RequesterRelationEnded,
)
from attribute_authority.errors import InvalidInput, NotAdministratorOf, NotFound
from attribute_authority.models import AccessRequest, AuditEvent, Notice, Person


def _person_id(session, rrn):
    return session.scalar(select(Person.id).where(Person.rrn == rrn))


def _rights_now(session, rrn, government, today):
    return grants.search(session, grants.authz.EVERYTHING,
                         grants.GrantFilter(rrn=rrn, government=government, state="active"), today)


def test_request_with_a_relation_is_a_grant_request_mailed_to_the_local_administrators(session, today):
    request = access_requests.submit(session, _person_id(session, BART), MERELBEKE, "demo-app-admin",
                                     "Ik beheer de demo voor de dienst burgerzaken.", on=today)
    assert request.kind == "grant" and request.status == "open"
    assert request.email == relations.open_relation(session, request.person_id,
                                                    request.government_id).email
    assert request.expires_on == today + timedelta(days=30)
    mails = session.scalars(select(Notice).where(Notice.kind == "request")).all()
    assert [m.key for m in mails] == [f"request:{request.id}:{_person_id(session, AN)}"]
    assert "Bart Claes" in mails[0].subject and "burgerzaken" in mails[0].body
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "request.submitted")).one()
    assert event.actor_rrn == BART and event.target_id == request.id


def test_a_held_right_is_requested_as_an_extension(session, today):
    request = access_requests.submit(session, _person_id(session, BART), MERELBEKE, "demo-app-reader",
                                     "Nog een jaar nodig.", on=today)
    assert request.kind == "extension" and request.grant_id is not None


def test_without_a_relation_the_request_asks_to_be_added_and_needs_an_address(session, register, today):
    people.add(session, actor(session, AN), register, EMIL)
    emil = _person_id(session, EMIL)
    with pytest.raises(InvalidInput):
        access_requests.submit(session, emil, MERELBEKE, "demo-app-reader", "Nieuw bij de dienst.",
                               email="", on=today)
    request = access_requests.submit(session, emil, MERELBEKE, "demo-app-reader",
                                     "Nieuw bij de dienst.", email="emil@merelbeke-melle.be", on=today)
    assert request.kind == "relation"
    an = actor(session, AN)
    access_requests.approve(session, an, request.id, on=today)
    relation = relations.open_relation(session, emil, request.government_id)
    assert relation is not None and relation.email == "emil@merelbeke-melle.be"
    assert [g.right.code for g in _rights_now(session, EMIL, MERELBEKE, today)] == ["demo-app-reader"]


def test_a_duplicate_open_request_is_refused_with_its_date(session, today):
    bart = _person_id(session, BART)
    access_requests.submit(session, bart, MERELBEKE, "demo-app-admin", "Eerste.", on=today)
    before = counts(session)
    with pytest.raises(DuplicateRequest) as refused:
        access_requests.submit(session, bart, MERELBEKE, "demo-app-admin", "Tweede.", on=today)
    assert f"{today:%d-%m-%Y}" in refused.value.message()
    assert counts(session) == before


def test_approve_grants_at_once_and_mails_the_requester(session, today):
    request = access_requests.submit(session, _person_id(session, BART), MERELBEKE, "demo-app-admin",
                                     "Nodig.", on=today)
    an = actor(session, AN)
    fill = access_requests.prefill(session, an, request.id, on=today)
    assert (fill.start, fill.end) == (today, today + timedelta(days=90)) and "Nodig." in fill.reason
    access_requests.approve(session, an, request.id, on=today)
    assert request.status == "approved" and request.decided_by_rrn == AN
    session.flush()
    # R8: the very next AttributeQuery answer holds it.
    assert "demo-app-admin@44088" in rights_query.answer(session, BART, "demo-app", today).rights
    decision = session.scalars(select(Notice).where(Notice.key == f"decision:{request.id}")).one()
    assert "goedgekeurd" in decision.subject and decision.recipient == request.email


def test_refuse_grants_nothing_needs_a_reason_and_mails_the_requester(session, today):
    request = access_requests.submit(session, _person_id(session, BART), MERELBEKE, "demo-app-admin",
                                     "Nodig.", on=today)
    an = actor(session, AN)
    with pytest.raises(InvalidInput):
        access_requests.refuse(session, an, request.id, "  ", on=today)
    access_requests.refuse(session, an, request.id, "Niet voor uw functie.", on=today)
    assert "demo-app-admin" not in {g.right.code for g in _rights_now(session, BART, MERELBEKE, today)}
    decision = session.scalars(select(Notice).where(Notice.key == f"decision:{request.id}")).one()
    assert "geweigerd" in decision.subject and "Niet voor uw functie." in decision.body
    with pytest.raises(RequestClosed):
        access_requests.approve(session, an, request.id, on=today)


def test_a_request_expires_after_thirty_days_and_runs_once(session, today):
    request = access_requests.submit(session, _person_id(session, BART), MERELBEKE, "demo-app-admin",
                                     "Nodig.", on=today)
    assert access_requests.expire_due(session, today + timedelta(days=30)) == 0
    assert access_requests.expire_due(session, today + timedelta(days=31)) == 1
    assert access_requests.expire_due(session, today + timedelta(days=32)) == 0
    assert request.status == "expired"
    with pytest.raises(RequestClosed):
        access_requests.approve(session, actor(session, AN), request.id, on=today + timedelta(days=31))


def test_an_open_request_past_its_day_cannot_be_approved_before_the_job_ran(session, today):
    request = access_requests.submit(session, _person_id(session, BART), MERELBEKE, "demo-app-admin",
                                     "Nodig.", on=today)
    with pytest.raises(RequestClosed):
        access_requests.approve(session, actor(session, AN), request.id, on=today + timedelta(days=31))


def test_approve_after_the_requesters_relation_ended_is_refused(session, today):
    chris = _person_id(session, CHRIS)
    request = access_requests.submit(session, chris, NAZARETH, "demo-app-admin", "Nodig.", on=today)
    femke = actor(session, FEMKE)
    relations.end(session, femke, CHRIS, NAZARETH, reason="contract afgelopen")
    before = counts(session)
    with pytest.raises(RequesterRelationEnded):
        access_requests.approve(session, femke, request.id, on=today)
    assert counts(session) == before and request.status == "open"


def test_another_governments_administrator_never_sees_or_decides_a_request(session, today):
    request = access_requests.submit(session, _person_id(session, BART), MERELBEKE, "demo-app-admin",
                                     "Nodig.", on=today)
    femke = actor(session, FEMKE)
    assert request.id not in [r.id for r in access_requests.inbox(session, femke, on=today).items]
    assert access_requests.open_count(session, femke, on=today) == 0
    for call in (lambda: access_requests.get(session, femke, request.id, on=today),
                 lambda: access_requests.approve(session, femke, request.id, on=today),
                 lambda: access_requests.refuse(session, femke, request.id, "nee", on=today),
                 lambda: access_requests.prefill(session, femke, request.id, on=today)):
        with pytest.raises(NotFound):
            call()
    assert request.status == "open"
    an = actor(session, AN)
    assert access_requests.open_count(session, an, on=today) == 1
    assert access_requests.open_count(session, actor(session, DINA), on=today) >= 1


def test_an_administrator_acting_for_another_government_cannot_decide(session, today):
    request = access_requests.submit(session, _person_id(session, BART), MERELBEKE, "demo-app-admin",
                                     "Nodig.", on=today)
    with pytest.raises((NotFound, NotAdministratorOf)):
        access_requests.approve(session, grants.authz.Actor(_person_id(session, BART), BART),
                                request.id, on=today)


def test_central_rights_cannot_be_requested(session, today):
    with pytest.raises(access_requests.NotRequestable):
        access_requests.submit(session, _person_id(session, BART), MERELBEKE, "idbeheer-central-admin",
                               "Ik wil alles.", on=today)


def test_requests_are_tracked_per_person_newest_first(session, today):
    bart = _person_id(session, BART)
    first = access_requests.submit(session, bart, MERELBEKE, "demo-app-admin", "Eén.", on=today)
    assert [r.id for r in access_requests.of_person(session, bart)] == [first.id]
    assert session.scalars(select(AccessRequest)).all() == [first]


def test_the_expiry_notice_links_to_request_extension_and_the_digest_counts_requests(session, today):
    from attribute_authority import notices

    access_requests.submit(session, _person_id(session, BART), MERELBEKE, "demo-app-admin", "Nodig.",
                           on=today)
    reader = session.scalars(select(grants.Grant).join(grants.Grant.right).where(
        grants.Right.code == "demo-app-reader", grants.Grant.government_id == grants.Relation.government_id
    ).join(grants.Grant.relation).join(grants.Relation.person).where(Person.rrn == BART)).first()
    notices.record_due(session, reader.end - timedelta(days=3), account_url="https://idb.example/account")
    holder = session.scalars(select(Notice).where(Notice.key.like(f"holder:{reader.id}:%"))).one()
    assert ("https://idb.example/account/request?app=demo-app&right=demo-app-reader&government=44088"
            in holder.body)
    digest = session.scalars(select(Notice).where(Notice.kind == "digest",
                                                  Notice.government_id == reader.government_id)).first()
    assert "Onder Aanvragen wacht 1 aanvraag op uw beslissing." in digest.body
