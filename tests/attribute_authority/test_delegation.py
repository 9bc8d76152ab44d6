"""R9: the local administrator role."""
from datetime import timedelta

import pytest
from support import AN, BART, DINA, FEMKE, HANNE, MERELBEKE, actor

from attribute_authority import authz, delegation, governments, grants, people, relations
from attribute_authority.errors import (
    InvalidInput,
    LocalAdminStillPresent,
    NotAdministratorOf,
    NotCentralAdministrator,
    RegistrationIncomplete,
    RightNotForGovernment,
)


def test_local_admin_delegates_within_own_government(session, today):
    grants.add(session, actor(session, AN), BART, MERELBEKE, authz.LOCAL_ADMIN_RIGHT, on=today)
    bart = actor(session, BART)
    assert authz.administered_government_ids(session, bart, today) == {
        governments.by_code(session, MERELBEKE).id}


def test_delegation_to_another_government_is_refused(session, today):
    with pytest.raises(NotAdministratorOf):
        grants.add(session, actor(session, FEMKE), BART, MERELBEKE, authz.LOCAL_ADMIN_RIGHT, on=today)


def test_only_central_admins_grant_central_admin_and_only_on_vlaanderen(session, today):
    with pytest.raises(RightNotForGovernment):
        grants.add(session, actor(session, AN), BART, MERELBEKE, authz.CENTRAL_ADMIN_RIGHT, on=today)
    relations.add(session, actor(session, DINA), AN, "vlaanderen", category="employee",
                  type="standard", email="an@x.be", on=today)
    with pytest.raises(NotAdministratorOf):
        grants.add(session, actor(session, AN), AN, "vlaanderen", authz.CENTRAL_ADMIN_RIGHT, on=today)
    grants.add(session, actor(session, DINA), AN, "vlaanderen", authz.CENTRAL_ADMIN_RIGHT, on=today)
    assert authz.is_central(session, actor(session, AN), today)


def _lose_all_local_admins(session, today):
    for g in grants.search(session, authz.EVERYTHING, grants.GrantFilter(
            government=MERELBEKE, right=authz.LOCAL_ADMIN_RIGHT, state="active"), on=today):
        grants.revoke(session, actor(session, DINA), g.id, "vertrokken", on=today)


def test_when_the_last_one_lapses_only_central_restores(session, today):
    _lose_all_local_admins(session, today)
    with pytest.raises(NotAdministratorOf):
        grants.add(session, actor(session, AN), AN, MERELBEKE, authz.LOCAL_ADMIN_RIGHT, on=today)
    with pytest.raises(NotCentralAdministrator):
        delegation.appoint_local_admin(session, actor(session, FEMKE), MERELBEKE, on=today)
    grant = delegation.appoint_local_admin(session, actor(session, DINA), MERELBEKE, rrn=BART,
                                           on=today)
    assert grant.relation.person.rrn == BART
    assert delegation.active_local_admins(session, grant.relation.government_id, today)[0].rrn == BART


def test_appointment_refused_while_a_local_admin_is_active(session, today):
    with pytest.raises(LocalAdminStillPresent):
        delegation.appoint_local_admin(session, actor(session, DINA), MERELBEKE, on=today)


def test_first_appointment_needs_the_registration_record(session, register, today):
    dina = actor(session, DINA)
    gent = governments.by_code(session, "44021")
    with pytest.raises(RegistrationIncomplete):
        delegation.appoint_local_admin(session, dina, "44021", on=today)
    secretary, _ = people.add(session, dina, register, HANNE, on=today)
    with pytest.raises(InvalidInput, match="council minutes") as refused:
        governments.record_registration(session, dina, gent, governments.Registration(
            secretary, today, today, acting_secretary=True), on=today)
    assert "notulen van de raad" in refused.value.message("nl")
    governments.record_registration(session, dina, gent, governments.Registration(
        secretary, today - timedelta(days=2), today, acting_secretary=True,
        council_minutes_ref="GR 2026-11-03 punt 12"), on=today)
    grant = delegation.appoint_local_admin(session, dina, "44021", email="hanne@gent.be", on=today)
    assert grant.relation.type == "secretary" and grant.relation.person.rrn == HANNE
    assert grant.end == today + timedelta(days=365)


def test_registration_is_for_central_admins_only(session, today):
    gent = governments.by_code(session, "44021")
    an = people.find(session, AN)
    with pytest.raises(NotCentralAdministrator):
        governments.record_registration(session, actor(session, AN), gent,
                                        governments.Registration(an, today, today), on=today)
