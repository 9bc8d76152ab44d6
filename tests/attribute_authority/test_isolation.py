"""Tenant isolation: the administrator of Nazareth-De Pinte attempts every read and write on
Merelbeke-Melle's people, relations and grants; each is refused and nothing changes."""
from datetime import timedelta

import pytest
from support import AN, BART, FEMKE, MERELBEKE, actor, counts

from attribute_authority import authz, bulk, grants, people, relations
from attribute_authority.errors import DomainError, NotAdministratorOf, NotFound


@pytest.fixture
def target(session, today):
    """Bart's relation and grant in Merelbeke-Melle."""
    rel = relations.find_open(session, actor(session, AN), BART, MERELBEKE, on=today)
    return rel, rel.grants[0]


ATTEMPTS = {
    "see person": lambda s, a, rel, g, reg, d: people.visible(s, a, BART, on=d),
    "align person": lambda s, a, rel, g, reg, d: people.align(s, a, reg, BART, on=d),
    "read relation": lambda s, a, rel, g, reg, d: relations.get(s, a, rel.id, on=d),
    "list relations": lambda s, a, rel, g, reg, d: _must_be_empty(
        relations.of_person(s, a, rel.person, on=d)),
    "find relation": lambda s, a, rel, g, reg, d: relations.find_open(s, a, BART, MERELBEKE, on=d),
    "add relation": lambda s, a, rel, g, reg, d: relations.add(
        s, a, "88421013756", MERELBEKE, category="external", type="standard",
        email="x@y.be", on=d),
    "edit relation": lambda s, a, rel, g, reg, d: relations.update(
        s, a, rel.id, category="external", type="standard", email="x@y.be", phone=None,
        note=None, on=d),
    "end relation": lambda s, a, rel, g, reg, d: relations.end(s, a, BART, MERELBEKE, on=d),
    "read grant": lambda s, a, rel, g, reg, d: grants.get(s, a, g.id, on=d),
    "add grant": lambda s, a, rel, g, reg, d: grants.add(s, a, BART, MERELBEKE, "demo-app-admin",
                                                         on=d),
    "extend grant": lambda s, a, rel, g, reg, d: grants.extend(
        s, a, g.id, d, d + timedelta(days=5), on=d),
    "plan extension": lambda s, a, rel, g, reg, d: grants.plan_extension(
        s, a, g.id, d, d + timedelta(days=5), on=d),
    "revoke grant": lambda s, a, rel, g, reg, d: grants.revoke(s, a, g.id, on=d),
    "search grants of government": lambda s, a, rel, g, reg, d: _must_be_empty(grants.search(
        s, authz.scope_of(s, a, d), grants.GrantFilter(government=MERELBEKE), on=d)),
    "search grants of person": lambda s, a, rel, g, reg, d: _must_be_empty(grants.search(
        s, authz.scope_of(s, a, d), grants.GrantFilter(rrn=BART), on=d)),
    "bulk candidates": lambda s, a, rel, g, reg, d: bulk.candidates(
        s, a, MERELBEKE, "demo-app-admin", on=d),
    "bulk grant": lambda s, a, rel, g, reg, d: bulk.grant_many(
        s, a, MERELBEKE, "demo-app-admin", [rel.id], on=d),
    "delegate local admin": lambda s, a, rel, g, reg, d: grants.add(
        s, a, BART, MERELBEKE, "idbeheer-local-admin", on=d),
}


def _must_be_empty(found):
    if found:
        raise AssertionError(f"leaked {found}")
    raise NotFound(what="-", key="-")


@pytest.mark.parametrize("attempt", sorted(ATTEMPTS))
def test_other_government_is_refused_and_nothing_changes(session, register, today, target, attempt):
    rel, grant = target
    before = counts(session), (grant.start, grant.end, grant.revoked_on), rel.email, rel.ended_on
    with pytest.raises((NotFound, NotAdministratorOf)) as refused:
        ATTEMPTS[attempt](session, actor(session, FEMKE), rel, grant, register, today)
    assert isinstance(refused.value, DomainError)
    session.expire_all()
    assert (counts(session), (grant.start, grant.end, grant.revoked_on), rel.email,
            rel.ended_on) == before


def test_bulk_selection_may_not_smuggle_in_another_governments_relation(session, today, target):
    rel, _ = target
    femke = actor(session, FEMKE)
    before = counts(session)
    own = [c.relation.id for c in bulk.candidates(session, femke, "44086", "demo-app-admin", on=today)]
    with pytest.raises(DomainError):
        bulk.grant_many(session, femke, "44086", "demo-app-admin", own + [rel.id], on=today)
    assert counts(session) == before
