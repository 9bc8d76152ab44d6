"""The audit trail read back (R7): the history of a person or a government, for the
administrators who may see it. A local administrator sees a person's changes in their own
governments and the person's own record (added, aligned), never what other governments did."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from . import authz, clock, governments, paging, people
from .models import AuditEvent, Person


@dataclass(frozen=True)
class Names:
    """Who the events were about (by person id) and who made them (by RRN), by name."""

    about: dict[int, str] = field(default_factory=dict)
    by: dict[str, str] = field(default_factory=dict)


def names_of(session: Session, events: list[AuditEvent]) -> Names:
    """Two lookups for a page of events, so the history names people instead of numbers."""
    ids = {e.person_id for e in events if e.person_id}
    rrns = {e.actor_rrn for e in events if e.actor_rrn}
    about = dict(session.execute(select(Person.id, Person.given_name + " " + Person.surname)
                                 .where(Person.id.in_(ids))).all()) if ids else {}
    by = dict(session.execute(select(Person.rrn, Person.given_name + " " + Person.surname)
                              .where(Person.rrn.in_(rrns))).all()) if rrns else {}
    return Names(about, by)


def _utc_start(day: date) -> datetime:
    """The start of a Brussels day in UTC (SQLite keeps no offset; both backends agree)."""
    return datetime.combine(day, time(0), clock.BRUSSELS).astimezone(timezone.utc)


@dataclass(frozen=True)
class HistoryFilter:
    """The government history's filter: about whom (RRN), which action, which days."""

    rrn: str | None = None
    action: str | None = None
    first: date | None = None
    last: date | None = None


def of_person(session: Session, actor: authz.Actor, raw_rrn: str, on: date | None = None,
              page: int = 1, size: int = paging.DEFAULT_SIZE) -> paging.Page[AuditEvent]:
    on = on or clock.today()
    person = people.visible(session, actor, raw_rrn, on)
    scope = authz.scope_of(session, actor, on)
    stmt = select(AuditEvent).where(AuditEvent.person_id == person.id)
    if not scope.everything:
        stmt = stmt.where(or_(AuditEvent.government_id.is_(None),
                              AuditEvent.government_id.in_(scope.government_ids)))
    return paging.fetch(session, stmt.order_by(AuditEvent.id.desc()), page, size)


def of_government(session: Session, actor: authz.Actor, government_code: str,
                  on: date | None = None, page: int = 1,
                  size: int = paging.DEFAULT_SIZE,
                  flt: HistoryFilter | None = None) -> paging.Page[AuditEvent]:
    on = on or clock.today()
    government = governments.administered(session, actor, government_code, on)
    stmt = select(AuditEvent).where(AuditEvent.government_id == government.id)
    flt = flt or HistoryFilter()
    if flt.rrn:
        person_id = session.scalar(select(Person.id).where(Person.rrn == flt.rrn))
        stmt = stmt.where(AuditEvent.person_id == person_id)
    if flt.action:
        stmt = stmt.where(AuditEvent.action == flt.action)
    if flt.first:
        stmt = stmt.where(AuditEvent.at >= _utc_start(flt.first))
    if flt.last:
        stmt = stmt.where(AuditEvent.at < _utc_start(flt.last + timedelta(days=1)))
    return paging.fetch(session, stmt.order_by(AuditEvent.id.desc()), page, size)
