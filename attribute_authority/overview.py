"""The start page of a government: counts, grants ending soon, pending grants, recent changes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import authz, clock, governments
from .grants import GrantFilter, count_in_government, search_statement
from .models import AuditEvent, Government, Grant, Relation
from .states import active_on, state_condition

ENDING_WITHIN_DAYS = 14


@dataclass(frozen=True)
class Overview:
    government: Government
    open_relations: int
    active_grants: int
    pending_grants: int
    ending_soon: list[Grant]
    pending: list[Grant]
    recent: list[AuditEvent]


def _count_grants(session: Session, government_id: int, condition) -> int:
    return session.scalar(count_in_government(government_id, condition)) or 0


def _ending_soon(session: Session, government: Government, on: date, limit: int) -> list[Grant]:
    scope = authz.Scope(False, frozenset({government.id}))
    return list(session.scalars(
        search_statement(scope, GrantFilter(government=government.code, state="active"), on,
                         government.id)
        .where(Grant.end <= on + timedelta(days=ENDING_WITHIN_DAYS))
        .order_by(None).order_by(Grant.end, Grant.id).limit(limit)))


def ending_soon(session: Session, actor: authz.Actor, government_code: str,
                on: date | None = None, limit: int = 10) -> tuple[Government, list[Grant]]:
    """The government and its grants that end within ENDING_WITHIN_DAYS (the report page
    needs only these, not the whole overview's counts)."""
    on = on or clock.today()
    government = governments.administered(session, actor, government_code, on)
    return government, _ending_soon(session, government, on, limit)


def of_government(session: Session, actor: authz.Actor, government_code: str,
                  on: date | None = None, limit: int = 10) -> Overview:
    on = on or clock.today()
    government = governments.administered(session, actor, government_code, on)
    scope = authz.Scope(False, frozenset({government.id}))
    pending = (search_statement(scope, GrantFilter(government=government.code, state="pending"), on,
                                government.id)
               .order_by(None).order_by(Grant.start, Grant.id).limit(limit))
    recent = (select(AuditEvent).where(AuditEvent.government_id == government.id)
              .order_by(AuditEvent.id.desc()).limit(limit))
    return Overview(
        government=government,
        open_relations=session.scalar(select(func.count(Relation.id)).where(
            Relation.government_id == government.id, Relation.ended_on.is_(None))) or 0,
        active_grants=_count_grants(session, government.id, active_on(on)),
        pending_grants=_count_grants(session, government.id, state_condition("pending", on)),
        ending_soon=_ending_soon(session, government, on, limit),
        pending=list(session.scalars(pending)),
        recent=list(session.scalars(recent)),
    )
