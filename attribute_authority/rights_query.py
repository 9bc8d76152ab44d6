"""The AttributeQuery read (R8): which rights of one application a person holds, in which
governments, on a day. One indexed statement, no ORM objects: this is the hot path."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import BindParameter, Connection, Select, and_, bindparam, literal_column, select, union_all
from sqlalchemy.orm import Session

from .models import Application, Government, Grant, GrantPeriod, Person, Relation, Right
from .states import not_revoked


def _rights(*columns, rrn, application, on, governments) -> Select:
    stmt = (
        select(*columns)
        .select_from(Person)
        .join(Relation, and_(Relation.person_id == Person.id, Relation.ended_on.is_(None)))
        .join(Government, Government.id == Relation.government_id)
        .join(Grant, and_(Grant.relation_id == Relation.id, Grant.end >= on, not_revoked(on)))
        # R5: active = one of the grant's periods holds the day (states.held_on, as a join).
        .join(GrantPeriod, and_(GrantPeriod.grant_id == Grant.id, GrantPeriod.start <= on,
                                GrantPeriod.end >= on))
        .join(Right, Right.id == Grant.right_id)
        .join(Application, Application.id == Right.application_id)
        .where(Person.rrn == rrn, Application.code == application)
    )
    if governments is not None:
        stmt = stmt.where(Government.code.in_(governments))
    return stmt


def _tag(kind: str):
    return literal_column(f"'{kind}'").label("tag")  # one of three fixed letters, never input


def person_id(session: Session, rrn: str) -> int | None:
    return session.scalar(select(Person.id).where(Person.rrn == rrn))


def active_rights(session: Session | Connection, rrn: str, application: str, on: date,
                  governments: list[str] | None = None) -> list[str]:
    """`RIGHT@GOVERNMENT` values, sorted, of the application's rights active on the day."""
    rows = session.execute(_ACTIVE[governments is not None],
                           _params(rrn, application, on, governments))
    return sorted({f"{right}@{gov}" for right, gov in rows})


@dataclass(frozen=True)
class QueryAnswer:
    """What an AttributeQuery needs to know, read in one statement."""

    application_known: bool
    person_known: bool
    rights: list[str]


def _answer_statement(scoped: bool):
    rrn: BindParameter[str] = bindparam("rrn")
    app: BindParameter[str] = bindparam("app")
    on: BindParameter[date] = bindparam("on")
    return union_all(
        select(_tag("a"), Application.code, Application.code).where(Application.code == app),
        select(_tag("p"), Person.rrn, Person.rrn).where(Person.rrn == rrn),
        _rights(_tag("r"), Right.code, Government.code, rrn=rrn, application=app, on=on,
                governments=bindparam("governments", expanding=True) if scoped else None),
    )


def _active_statement(scoped: bool):
    return _rights(Right.code, Government.code, rrn=bindparam("rrn"), application=bindparam("app"),
                   on=bindparam("on"),
                   governments=bindparam("governments", expanding=True) if scoped else None)


def _params(rrn: str, application: str, on: date, governments: list[str] | None) -> dict:
    """The bound values of `_ANSWER` and `_ACTIVE` (the scoped variants take `governments`)."""
    params: dict = {"rrn": rrn, "app": application, "on": on}
    if governments is not None:
        params["governments"] = list(governments)
    return params


# Built once: constructing a statement per query cost more than running it.
_ANSWER = {False: _answer_statement(False), True: _answer_statement(True)}
_ACTIVE = {False: _active_statement(False), True: _active_statement(True)}


def answer(session: Session | Connection, rrn: str, application: str, on: date,
           governments: list[str] | None = None) -> QueryAnswer:
    """Is the application in the catalog, is the person known, and `active_rights`, all in one
    round trip: three index lookups glued by UNION ALL, each row tagged with what it says.
    The AA calls it on a bare Core connection (see `db.query_engine`), other callers in a
    Session."""
    application_known = person_known = False
    rights: set[str] = set()
    params = _params(rrn, application, on, governments)
    for kind, right, gov in session.execute(_ANSWER[governments is not None], params):
        if kind == "a":
            application_known = True
        elif kind == "p":
            person_known = True
        else:
            rights.add(f"{right}@{gov}")
    return QueryAnswer(application_known, person_known, sorted(rights))


_OPEN_GOVERNMENTS = (
    select(Government.code, Government.name).join(Relation, Relation.government_id == Government.id)
    .join(Person, Person.id == Relation.person_id)
    .where(Person.rrn == bindparam("rrn"), Relation.ended_on.is_(None)).order_by(Government.name))


def open_governments(session: Session, rrn: str) -> list[tuple[str, str]]:
    """(code, name) of the governments a person has an open relation with (R13's choice)."""
    return [(code, name) for code, name in session.execute(_OPEN_GOVERNMENTS, {"rrn": rrn})]
