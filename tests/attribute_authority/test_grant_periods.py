"""Issue 13, point 2 (R5/R6): an extension keeps the earlier period. A search on a reference
date, the AttributeQuery, the expiry notices and the CLI read what held on that day."""
from datetime import timedelta

from sqlalchemy import select
from support import AN, BART, MERELBEKE, actor

from attribute_authority import grants, rights_query, states
from attribute_authority.models import GrantPeriod


def bart_extended(session, today):
    """Bart's demo-app-admin, granted today (the issue's 15-11-2026 lies inside its first
    period), then extended a month later with that day as its new start."""
    admin = actor(session, AN)
    g = grants.add(session, admin, BART, MERELBEKE, "demo-app-admin", on=today)
    session.flush()
    later = today + timedelta(days=30)
    grants.extend(session, admin, g.id, later, later + timedelta(days=90), on=later)
    session.flush()
    return g, today + timedelta(days=14), later


def found(session, on, state):
    flt = grants.GrantFilter(rrn=BART, government=MERELBEKE, state=state, right="demo-app-admin")
    return [g.id for g in grants.search(session, grants.authz.EVERYTHING, flt, on)]


def test_reference_date_before_an_extension_still_reads_the_earlier_period(session, today):
    g, reference, later = bart_extended(session, today)
    assert states.state_of(g, reference) == "active"
    assert found(session, reference, "active") == [g.id]
    assert found(session, reference, "pending") == []
    assert states.state_of(g, later) == "active"
    assert found(session, later + timedelta(days=90), "active") == [g.id]
    assert found(session, later + timedelta(days=91), "expired") == [g.id]


def test_the_attribute_query_reads_the_same_periods(session, today):
    _g, reference, later = bart_extended(session, today)
    for day in (reference, later, later + timedelta(days=90)):
        answer = rights_query.answer(session, BART, "demo-app", day)
        assert "demo-app-admin@44088" in answer.rights, day
    assert "demo-app-admin@44088" not in rights_query.active_rights(
        session, BART, "demo-app", later + timedelta(days=91))


def test_a_future_start_stops_access_from_the_day_of_the_extension(session, today):
    admin = actor(session, AN)
    g = grants.add(session, admin, BART, MERELBEKE, "demo-app-admin", on=today)
    session.flush()
    on, start = today + timedelta(days=10), today + timedelta(days=20)
    grants.extend(session, admin, g.id, start, start + timedelta(days=90), on=on)
    session.flush()
    assert states.state_of(g, on - timedelta(days=1)) == "active"   # history kept
    assert states.state_of(g, on) == "pending"                      # R6: stops until start
    assert found(session, on + timedelta(days=1), "pending") == [g.id]
    assert "demo-app-admin@44088" not in rights_query.active_rights(session, BART, "demo-app", on)
    periods = session.scalars(select(GrantPeriod).where(GrantPeriod.grant_id == g.id)
                              .order_by(GrantPeriod.start)).all()
    assert [(p.start, p.end) for p in periods] == [
        (today, on - timedelta(days=1)), (start, start + timedelta(days=90))]


def test_bulk_grants_have_their_period(session, today):
    from attribute_authority import bulk
    from attribute_authority.models import Person, Relation
    rel = session.scalar(select(Relation.id).join(Person).where(Person.rrn == BART))
    [g] = bulk.grant_many(session, actor(session, AN), MERELBEKE, "demo-app-admin", [rel],
                          on=today)
    session.flush()
    assert [(p.start, p.end) for p in g.periods] == [(g.start, g.end)]
    assert found(session, today, "active") == [g.id]


def test_migration_rebuilds_the_periods_from_the_audit_trail(databases, register, monkeypatch):
    """0007 on a database whose grants were extended before periods existed: downgrading
    drops the periods, upgrading rebuilds exactly those the live rule made."""
    from datetime import datetime, timezone

    from alembic import command
    from sqlalchemy.orm import Session

    from attribute_authority import clock
    from attribute_authority.db import alembic_config, make_engine, upgrade

    url = databases.seeded(register)
    engine = make_engine(url)
    real_now = datetime.now(timezone.utc)
    with Session(engine) as s:
        admin = actor(s, AN)
        g = grants.add(s, admin, BART, MERELBEKE, "demo-app-admin")
        s.flush()
        monkeypatch.setattr(clock, "now", lambda: real_now + timedelta(days=30))
        later = clock.today()
        grants.extend(s, admin, g.id, later + timedelta(days=5), later + timedelta(days=95))
        s.commit()
        grant_id = g.id
    query = select(GrantPeriod.grant_id, GrantPeriod.start, GrantPeriod.end).order_by(
        GrantPeriod.grant_id, GrantPeriod.start)
    with Session(engine) as s:
        live = s.execute(query).all()
    assert len([p for p in live if p.grant_id == grant_id]) == 2
    engine.dispose()
    command.downgrade(alembic_config(url), "0005")
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        assert s.execute(query).all() == live
    engine.dispose()
