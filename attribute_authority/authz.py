"""Who may act where. Authorization lives here, in the domain, never in a view.

A local administrator holds an active `idbeheer-local-admin` grant on a government and acts on
that government only; a central administrator holds `idbeheer-central-admin` on the central
organisation and acts everywhere (R9).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import NotAdministratorOf, NotCentralAdministrator, NotFound
from .models import Government, Grant, Person, Relation, Right
from .states import active_on

LOCAL_ADMIN_RIGHT = "idbeheer-local-admin"
CENTRAL_ADMIN_RIGHT = "idbeheer-central-admin"
CENTRAL_GOVERNMENT = "vlaanderen"


@dataclass(frozen=True)
class Actor:
    """The person on whose behalf a service acts; recorded in the audit trail."""

    person_id: int
    rrn: str


def actor_for(session: Session, rrn: str) -> Actor:
    person = session.scalars(select(Person).where(Person.rrn == rrn)).first()
    if person is None:
        raise NotFound(what="Persoon", key=rrn)
    return Actor(person.id, person.rrn)


def _holds(session: Session, person_id: int, right_code: str, on: date,
           government_code: str | None = None) -> list[int]:
    # Driven from the person's few open relations, each probed for an active grant. As a plain
    # join, SQLite (no statistics) started from the right and read every grant of it.
    right_id = select(Right.id).where(Right.code == right_code).scalar_subquery()
    held = select(Grant.id).where(Grant.relation_id == Relation.id, Grant.right_id == right_id,
                                  active_on(on))
    stmt = (select(Relation.government_id)
            .where(Relation.person_id == person_id, Relation.ended_on.is_(None), held.exists()))
    if government_code is not None:
        stmt = stmt.join(Government, Government.id == Relation.government_id).where(
            Government.code == government_code)
    return list(session.scalars(stmt))


def is_central(session: Session, actor: Actor, on: date) -> bool:
    return bool(_holds(session, actor.person_id, CENTRAL_ADMIN_RIGHT, on, CENTRAL_GOVERNMENT))


def administered_government_ids(session: Session, actor: Actor, on: date) -> set[int]:
    """The governments where the actor is local administrator (central: see is_central)."""
    return set(_holds(session, actor.person_id, LOCAL_ADMIN_RIGHT, on))


def require_central(session: Session, actor: Actor, on: date) -> None:
    if not is_central(session, actor, on):
        raise NotCentralAdministrator()


def require_admin_of(session: Session, actor: Actor, government: Government, on: date) -> None:
    if government.id in administered_government_ids(session, actor, on):
        return
    if is_central(session, actor, on):
        return
    raise NotAdministratorOf(government=f"{government.name} ({government.code})")


def require_any_admin(session: Session, actor: Actor, on: date) -> None:
    """Some administrator (e.g. to look a number up in the national register)."""
    if administered_government_ids(session, actor, on) or is_central(session, actor, on):
        return
    raise NotAdministratorOf(government="een bestuur")


@dataclass(frozen=True)
class Scope:
    """What an actor may see: everything (central) or a set of governments."""

    everything: bool
    government_ids: frozenset[int]

    def covers(self, government_id: int) -> bool:
        return self.everything or government_id in self.government_ids


EVERYTHING = Scope(True, frozenset())


def scope_of(session: Session, actor: Actor, on: date) -> Scope:
    if is_central(session, actor, on):
        return EVERYTHING
    ids = administered_government_ids(session, actor, on)
    if not ids:
        raise NotAdministratorOf(government="een bestuur")
    return Scope(False, frozenset(ids))
