"""The domain reads and rules the admin UI needed: the acting-for actor (R13), roles and
capacities, people search, the overview, history with scope checks, the sign-in trail (R14),
paging, bulk upload jobs and the helpdesk right."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete
from support import AN, BART, CHRIS, DINA, EMIL, FEMKE, GEERT, HANNE, MERELBEKE, NAZARETH, actor, counts

from attribute_authority import (
    authz,
    catalog,
    delegation,
    governments,
    grants,
    history,
    overview,
    people,
    relations,
    sign_ins,
    uploads,
)
from attribute_authority.errors import (
    InvalidInput,
    InvalidRrn,
    NotAdministratorOf,
    NotCentralAdministrator,
    NotFound,
    NotHelpdesk,
    RightNotForGovernment,
)
from attribute_authority.models import SignInEvent


def test_acting_for_limits_powers_to_that_government(session, today):
    femke = actor(session, FEMKE)
    relations.add(session, femke, AN, NAZARETH, category="employee", type="standard", email="a@b.be",
                  on=today)
    grants.add(session, femke, AN, NAZARETH, "idbeheer-local-admin", on=today)
    both = authz.actor_for(session, AN)
    assert len(authz.administered_government_ids(session, both, today)) == 2
    for_merelbeke = authz.acting_actor(session, AN, MERELBEKE)
    assert authz.scope_of(session, for_merelbeke, today).government_ids == \
        {for_merelbeke.acting_for}
    with pytest.raises((NotFound, NotAdministratorOf)):
        relations.find_open(session, for_merelbeke, GEERT, NAZARETH, on=today)
    assert [g.code for g in authz.capacities(session, both.person_id, today)] == [MERELBEKE, NAZARETH]


def test_central_powers_only_when_acting_for_the_central_organisation(session, today):
    femke = actor(session, FEMKE)  # Dina gets a relation with Nazareth-De Pinte to act there
    relations.add(session, femke, DINA, NAZARETH, category="external", type="standard",
                  email="d@x.be", on=today)
    assert authz.is_central(session, authz.acting_actor(session, DINA, "vlaanderen"), today)
    as_employee = authz.acting_actor(session, DINA, NAZARETH)
    assert not authz.is_central(session, as_employee, today)
    assert not authz.roles_of(session, as_employee, today).any


def test_roles(session, today):
    assert authz.roles_of(session, authz.acting_actor(session, AN, MERELBEKE), today) == \
        authz.Roles(local=True, central=False, helpdesk=False)
    assert authz.roles_of(session, authz.acting_actor(session, DINA, "vlaanderen"), today) == \
        authz.Roles(local=False, central=True, helpdesk=True)
    assert not authz.roles_of(session, authz.acting_actor(session, BART, MERELBEKE), today).any


def test_helpdesk_right_is_held_on_the_central_organisation_and_given_by_a_central_admin(
        session, register, today):
    dina = actor(session, DINA)
    people.add(session, dina, register, HANNE, today)
    relations.add(session, dina, HANNE, "vlaanderen", category="employee", type="standard",
                  email="h@v.be", on=today)
    grants.add(session, dina, HANNE, "vlaanderen", "idbeheer-helpdesk", on=today)
    hanne = authz.acting_actor(session, HANNE, "vlaanderen")
    assert authz.roles_of(session, hanne, today) == authz.Roles(False, False, True)
    with pytest.raises(RightNotForGovernment):
        grants.add(session, actor(session, AN), BART, MERELBEKE, "idbeheer-helpdesk", on=today)
    with pytest.raises(NotCentralAdministrator):
        governments.search(session, hanne, "", today)


def test_people_search_by_name_and_number_within_scope(session, today):
    an = actor(session, AN)
    assert [p.rrn for p in people.search(session, an, "clae", today).items] == [BART]
    assert [p.rrn for p in people.search(session, an, "90.02.14-114.12", today).items] == [BART]
    assert people.search(session, an, "De Smet", today).total == 0
    assert people.search(session, actor(session, DINA), "De Smet", today).total == 1
    page = people.search(session, an, "", today, size=2)
    assert (len(page.items), page.pages) == (2, -(-page.total // 2))


def test_known_person_and_language(session, today):
    an = actor(session, AN)
    assert people.known(session, an, GEERT, today).surname == "De Smet"
    with pytest.raises(NotFound):
        people.known(session, an, EMIL, today)
    with pytest.raises(InvalidRrn):
        people.known(session, an, "123", today)
    before = counts(session)
    people.set_language(session, an, BART, "fr", today)
    assert counts(session)[2] == before[2] + 1
    with pytest.raises(InvalidInput):
        people.set_language(session, an, BART, "xx", today)
    with pytest.raises(NotFound):
        people.set_language(session, an, GEERT, "fr", today)


def test_overview_counts_and_lists(session, today):
    an = actor(session, AN)
    grants.add(session, an, CHRIS, MERELBEKE, "demo-app-reader", start=today + timedelta(days=3),
               on=today)
    bart = grants.search(session, authz.EVERYTHING, grants.GrantFilter(rrn=BART))[0]
    grants.extend(session, an, bart.id, today, today + timedelta(days=5), on=today)
    o = overview.of_government(session, an, MERELBEKE, today)
    assert o.open_relations == 3 and o.pending_grants == 1 and o.active_grants == 3
    assert [g.id for g in o.ending_soon] == [bart.id]
    assert o.pending[0].relation.person.rrn == CHRIS
    assert o.recent[0].action == "grant.extended"
    with pytest.raises(NotAdministratorOf):
        overview.of_government(session, actor(session, FEMKE), MERELBEKE, today)


def test_history_is_scoped_to_the_administrators_governments(session, today):
    femke, an = actor(session, FEMKE), actor(session, AN)
    chris_in_nazareth = history.of_person(session, femke, CHRIS, today)
    assert {e.government_id for e in chris_in_nazareth.items} - {None} == \
        {governments.by_code(session, NAZARETH).id}
    assert any(e.action == "grant.added" for e in history.of_person(session, an, CHRIS, today).items)
    with pytest.raises(NotFound):
        history.of_person(session, femke, BART, today)
    with pytest.raises(NotAdministratorOf):
        history.of_government(session, femke, MERELBEKE, today)
    assert history.of_government(session, an, MERELBEKE, today).total > 0


def test_sign_in_trail_by_number_and_window(session, today):
    session.execute(delete(SignInEvent))  # sign-ins of earlier tests (rolled back with the rest)
    now = datetime.now(timezone.utc)
    session.add_all([SignInEvent(at=now - timedelta(hours=1), rrn=BART, outcome="failed",
                                 reason="capacity_mismatch"),
                     SignInEvent(at=now - timedelta(days=5), rrn=BART, outcome="success",
                                 reason="assertion_issued"),
                     SignInEvent(at=now, rrn=CHRIS, outcome="success", reason="assertion_issued")])
    session.flush()
    dina = actor(session, DINA)
    window = sign_ins.window_of_days(today - timedelta(days=1), today)
    found = sign_ins.search(session, dina, BART, window, today)
    assert [e.reason for e in found.items] == ["capacity_mismatch"]
    assert sign_ins.reason_text("capacity_mismatch", "en").startswith("The application asks")
    assert "onbekende reden" in sign_ins.reason_text("weird", "nl").lower()
    with pytest.raises(NotHelpdesk):
        sign_ins.search(session, actor(session, AN), BART, window, today)
    with pytest.raises(InvalidInput):
        sign_ins.search(session, dina, BART, sign_ins.window_of_days(today - timedelta(days=40), today))
    with pytest.raises(InvalidInput):
        sign_ins.search(session, dina, BART, sign_ins.window_of_days(today, today - timedelta(days=2)))


def test_grant_search_authorizes_on_today_and_filters_on_the_reference_date(session, today):
    an = actor(session, AN)
    later = today + timedelta(days=400)
    expired = grants.search_for(session, an, grants.GrantFilter(state="expired"), later)
    assert BART in {g.relation.person.rrn for g in expired.items}
    rows = grants.export_for(session, an, grants.GrantFilter(state="active"))
    assert {r["government"] for r in rows} == {MERELBEKE}


def test_rights_for_a_government(session):
    local = {r.code for r in catalog.rights_for(session, governments.by_code(session, MERELBEKE))}
    central = {r.code for r in catalog.rights_for(session, governments.by_code(session, "vlaanderen"))}
    assert "idbeheer-local-admin" in local and "idbeheer-central-admin" not in local
    assert "idbeheer-helpdesk" in central and "idbeheer-local-admin" not in central


def test_governments_registration_of_a_new_secretary_and_search(session, register, today):
    dina = actor(session, DINA)
    gov = governments.record_registration_of(session, dina, register, "20001", HANNE, today, today,
                                             acting_secretary=True, council_minutes_ref="raad 5",
                                             on=today)
    assert gov.secretary.rrn == HANNE and governments.missing_registration(gov) == []
    with pytest.raises(InvalidInput):
        governments.record_registration_of(session, dina, register, "20001", HANNE, today, today,
                                           acting_secretary=True, on=today)
    assert governments.search(session, dina, "merelbeke", today).items[0].code == MERELBEKE
    with pytest.raises(NotCentralAdministrator):
        governments.registered(session, actor(session, AN), MERELBEKE, today)


def test_relations_and_admins_of_a_government(session, today):
    an = actor(session, AN)
    assert relations.of_government(session, an, MERELBEKE, today).total == 3
    assert [p.rrn for p in delegation.local_admins_of(session, an, MERELBEKE, today)] == [AN]
    with pytest.raises(NotAdministratorOf):
        relations.of_government(session, actor(session, FEMKE), MERELBEKE, today)


CSV = ("rrn;category;type;email;phone\n{emil};external;standard;e@x.be;\n"
       "{hanne};employee;standard;h@x.be;09 123 45 67\n")


def test_upload_check_start_and_run(session, register, today, databases):
    an = actor(session, AN)
    bad = uploads.check(session, an, register, MERELBEKE,
                        "rrn,category,type,email\n123,employee,standard,a@b.be\n"
                        f"{BART},employee,standard,b@x.be\n{EMIL},x,standard,e@x.be\n"
                        f"{EMIL},external,standard,e@x.be\n", today)
    assert [c.problem.code for c in bad] == ["invalid_rrn", "relation_exists", "invalid_input",
                                             "invalid_input"]
    with pytest.raises(uploads.UploadHasProblems):
        uploads.start(session, an, register, MERELBEKE, "rrn,category,type,email\n123,a,b,c\n", today)
    with pytest.raises(InvalidInput):
        uploads.parse("name,email\nx,y\n")
    job = uploads.start(session, an, register, MERELBEKE, CSV.format(emil=EMIL, hanne=HANNE), today)
    assert (job.status, job.total, job.done) == ("ready", 2, 0)
    with pytest.raises(NotFound):
        uploads.get(session, actor(session, FEMKE), job.id, today)


@pytest.mark.parametrize("size", [uploads.MAX_FIELD + 1, 200_000])
def test_upload_refuses_a_file_with_a_huge_field(size):
    """200 KB in one field was a csv.Error (500); now the file is refused with the line."""
    with pytest.raises(InvalidInput) as refused:
        uploads.parse(f"rrn,category,type,email,phone,note\n{EMIL},employee,standard,e@x.be,,"
                      + "x" * size + "\n")
    assert f"regel 2 heeft een veld van meer dan {uploads.MAX_FIELD} tekens" in refused.value.message()


def test_upload_reads_cr_line_ends_and_refuses_nul():
    lines = uploads.parse(f"rrn,category,type,email\r{EMIL},employee,standard,e@x.be\r")
    assert [line.rrn for line in lines] == [EMIL]
    with pytest.raises(InvalidInput, match="NUL"):
        uploads.parse(f"rrn,category,type,email\n{EMIL},employee,standard,e\x00@x.be\n")


@pytest.fixture
def recorded_job(fresh_url, register, today):
    """(factory, actor, job ID): the demo data and a recorded upload job of two lines."""
    from attribute_authority import demo
    from attribute_authority.db import make_engine, session_factory

    engine = make_engine(fresh_url)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        demo.seed(s, register)
        an = authz.acting_actor(s, AN, MERELBEKE)
        job_id = uploads.start(s, an, register, MERELBEKE, CSV.format(emil=EMIL, hanne=HANNE),
                               today).id
    yield factory, an, job_id
    engine.dispose()


def test_upload_job_runs_in_chunks_with_progress(recorded_job, register, today):
    factory, an, job_id = recorded_job
    with factory() as s, s.begin():  # someone else relates Hanne first: that line is reported
        people.add(s, an, register, HANNE, today)
        relations.add(s, an, HANNE, MERELBEKE, category="employee", type="standard", email="h@y.be")
    uploads.run(factory, register, job_id, chunk=1)
    with factory() as s:
        job = s.get(uploads.UploadJob, job_id)
        assert (job.status, job.done, job.created) == ("done", 2, 1)
        assert job.problems[0]["code"] == "relation_exists"
        assert relations.open_relation(s, people.find(s, EMIL).id,
                                       governments.by_code(s, MERELBEKE).id) is not None
    uploads.run(factory, register, job_id)  # a finished job does not run again


def test_a_run_presumed_dead_and_resumed_stops_before_its_next_chunk(recorded_job, register,
                                                                      today):
    """The old run was only slow: once the job is resumed, it finds another run's token and
    stops, so no line is applied by both."""
    from attribute_authority import clock

    factory, _an, job_id = recorded_job
    calls = []

    def slow_then_overtaken():
        calls.append(1)
        if len(calls) == 3:  # between the old run's first and second chunk
            with factory() as s, s.begin():
                job = s.get(uploads.UploadJob, job_id)
                job.updated_at = clock.now() - uploads.STALE_AFTER - timedelta(seconds=1)
                assert uploads.state(job) == "interrupted"
                uploads.resume(s, authz.acting_actor(s, AN, MERELBEKE), job_id, today)
        return factory()

    uploads.run(slow_then_overtaken, register, job_id, chunk=1)
    with factory() as s:
        job = s.get(uploads.UploadJob, job_id)
        assert (job.status, job.done, job.created) == ("ready", 1, 1)
    uploads.run(factory, register, job_id, chunk=1)
    with factory() as s:
        job = s.get(uploads.UploadJob, job_id)
        assert (job.status, job.done, job.created, job.problems) == ("done", 2, 2, [])
        with pytest.raises(uploads.NotResumable):
            uploads.resume(s, authz.acting_actor(s, AN, MERELBEKE), job_id, today)
