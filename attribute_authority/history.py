"""The audit trail read back (R7): the history of a person or a government, for the
administrators who may see it. A local administrator sees a person's changes in their own
governments and the person's own record (added, aligned), never what other governments did."""
from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from . import authz, clock, governments, paging, people
from .models import AuditEvent


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
                  size: int = paging.DEFAULT_SIZE) -> paging.Page[AuditEvent]:
    on = on or clock.today()
    government = governments.administered(session, actor, government_code, on)
    stmt = (select(AuditEvent).where(AuditEvent.government_id == government.id)
            .order_by(AuditEvent.id.desc()))
    return paging.fetch(session, stmt, page, size)
