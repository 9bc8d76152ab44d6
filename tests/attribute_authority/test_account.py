"""attribute_authority.account: what a civil servant's own page reads ("Mijn rechten") and how
their request is filed (R15), always for the person the session names, never anyone else."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from support import AN, BART, CHRIS, EMIL, FEMKE, MERELBEKE, NAZARETH, actor, counts

from attribute_authority import access_requests, account, grants, relations
from attribute_authority.errors import InvalidInput, NotFound
from attribute_authority.models import AccessRequest, AuditEvent, Person


def test_the_overview_has_the_rights_in_the_capacitys_government_only(session, today):
    view = account.overview(session, CHRIS, MERELBEKE, today)
    assert {r.government.code for r in view.relations} == {MERELBEKE, NAZARETH}
    assert [(o.grant.right.code, o.state) for o in view.grants] == [("demo-app-admin", "active")]
    assert [c.name for c in view.administrators] == ["An Peeters"]
    elsewhere = account.overview(session, CHRIS, NAZARETH, today)
    assert elsewhere.grants == [] and [c.name for c in elsewhere.administrators] == ["Femke Janssens"]


def test_as_citizen_or_unknown_there_are_no_rights_but_the_relations_and_requests(session, today):
    citizen = account.overview(session, BART, None, today)
    assert citizen.government is None and citizen.grants == [] and citizen.administrators == []
    assert [r.government.code for r in citizen.relations] == [MERELBEKE]
    nobody = account.overview(session, EMIL, None, today)
    assert nobody.person is None and nobody.relations == [] and nobody.open_requests == []


def test_a_capacity_of_a_government_without_a_relation_shows_no_rights_there(session, today):
    view = account.overview(session, BART, NAZARETH, today)
    assert view.government is None and view.grants == [] and view.administrators == []


def test_what_ends_within_two_weeks_is_marked(session, today):
    held = relations.find_open(session, actor(session, AN), BART, MERELBEKE).grants[0]
    grants.extend(session, actor(session, AN), held.id, held.start,
                  today + timedelta(days=account.ENDING_WITHIN_DAYS), on=today)
    [own] = account.overview(session, BART, MERELBEKE, today).grants
    assert own.ends_soon
    grants.extend(session, actor(session, AN), held.id, held.start,
                  today + timedelta(days=account.ENDING_WITHIN_DAYS + 1), on=today)
    session.expire_all()
    [own] = account.overview(session, BART, MERELBEKE, today).grants
    assert not own.ends_soon


def test_open_and_past_requests_are_apart_and_an_overdue_one_is_past(session, today):
    bart = session.scalar(select(Person.id).where(Person.rrn == BART))
    kept = access_requests.submit(session, bart, MERELBEKE, "demo-app-admin", "Nodig", on=today)
    overdue = access_requests.submit(session, bart, NAZARETH, "demo-app-reader", "Nodig",
                                     email="bart@x.be", on=today - timedelta(days=40))
    view = account.overview(session, BART, MERELBEKE, today)
    assert view.open_requests == [kept] and view.past_requests == [overdue]


@pytest.mark.parametrize("app, right, government", [
    ("nope", None, None),
    ("demo-app", "idbeheer-local-admin", None),  # a right of another application
    ("idbeheer", "idbeheer-central-admin", None),  # only granted centrally
    ("demo-app", None, "99999"),
    ("demo-app", None, "vlaanderen"),
])
def test_a_wrong_link_is_not_found(session, app, right, government):
    with pytest.raises(NotFound):
        account.choices(session, BART, app, right, government)


def test_the_governments_offered_are_ones_own_or_any_local_one_for_someone_unknown(session):
    assert [g.code for g in account.choices(session, CHRIS, "demo-app", None, None).governments] \
        == [MERELBEKE, NAZARETH]
    offered = account.choices(session, EMIL, "demo-app", None, None).governments
    assert len(offered) > 500 and all(g.kind != "central" for g in offered)


def test_submitting_adds_someone_unknown_from_the_register_in_the_same_unit_of_work(
        session, register, today):
    asked = account.submit(session, register, EMIL, "demo-app", MERELBEKE, "demo-app-reader",
                           "Ik begin bij de dienst burgerzaken.", email="emil@merelbeke-melle.be",
                           on=today)
    assert asked.kind == "relation" and asked.person.rrn == EMIL
    added = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "person.added", AuditEvent.person_id == asked.person_id)).one()
    assert added.actor_rrn == EMIL


@pytest.mark.parametrize("change", [
    {"right_code": ""}, {"government_code": ""}, {"motivation": " "},
    {"app_code": "demo-app-nope"}, {"right_code": "idbeheer-local-admin"},
    {"email": "geen-adres"},
])
def test_a_refused_submission_leaves_nothing_behind(session, register, today, change):
    values = {"app_code": "demo-app", "government_code": MERELBEKE,
              "right_code": "demo-app-reader", "motivation": "Nodig.", "email": "emil@x.be",
              **change}
    before = counts(session)
    with pytest.raises((InvalidInput, NotFound)):
        with session.begin_nested():
            account.submit(session, register, EMIL, on=today, **values)
    assert counts(session) == before
    assert session.scalar(select(Person).where(Person.rrn == EMIL)) is None
    assert session.scalars(select(AccessRequest)).all() == []


def test_a_person_files_for_themselves_only(session, register, today):
    """The service takes the person from the session's RRN: Femke's request is Femke's, whatever
    government or right it names."""
    asked = account.submit(session, register, FEMKE, "demo-app", MERELBEKE, "demo-app-admin",
                           "Ik help Merelbeke-Melle.", email="femke@x.be", on=today)
    assert asked.person.rrn == FEMKE and asked.kind == "relation"
    assert access_requests.of_person(session, asked.person_id) == [asked]
