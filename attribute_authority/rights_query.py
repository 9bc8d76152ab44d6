"""The AttributeQuery read (R8): which rights of one application a person holds, in which
governments, on a day. One indexed statement, no ORM objects: this is the hot path."""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from .models import Application, Government, Grant, Person, Relation, Right
from .states import active_on

_RIGHTS = (
    select(Right.code, Government.code)
    .select_from(Person)
    .join(Relation, and_(Relation.person_id == Person.id, Relation.ended_on.is_(None)))
    .join(Government, Government.id == Relation.government_id)
    .join(Grant, Grant.relation_id == Relation.id)
    .join(Right, Right.id == Grant.right_id)
    .join(Application, Application.id == Right.application_id)
)


def person_id(session: Session, rrn: str) -> int | None:
    return session.scalar(select(Person.id).where(Person.rrn == rrn))


def active_rights(session: Session, rrn: str, application: str, on: date,
                  governments: list[str] | None = None) -> list[str]:
    """`RIGHT@GOVERNMENT` values, sorted, of the application's rights active on the day."""
    stmt = _RIGHTS.where(
        Person.rrn == rrn, Application.code == application,
        active_on(on))
    if governments is not None:
        stmt = stmt.where(Government.code.in_(governments))
    return sorted({f"{right}@{gov}" for right, gov in session.execute(stmt)})


def open_governments(session: Session, rrn: str) -> list[tuple[str, str]]:
    """(code, name) of the governments a person has an open relation with (R13's choice)."""
    stmt = (select(Government.code, Government.name).join(Relation, Relation.government_id == Government.id)
            .join(Person, Person.id == Relation.person_id)
            .where(Person.rrn == rrn, Relation.ended_on.is_(None)).order_by(Government.name))
    return [(code, name) for code, name in session.execute(stmt)]
