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

from .errors import NotAdministratorOf, NotCentralAdministrator, NotFound, NotHelpdesk
from .models import Government, Grant, Person, Relation, Right
from .states import active_on

LOCAL_ADMIN_RIGHT = "idbeheer-local-admin"
CENTRAL_ADMIN_RIGHT = "idbeheer-central-admin"
HELPDESK_RIGHT = "idbeheer-helpdesk"
CENTRAL_GOVERNMENT = "vlaanderen"


@dataclass(frozen=True)
class Actor:
    """The person on whose behalf a service acts; recorded in the audit trail.

    acting_for is the government of the capacity a signed-in session acts in (R13): the actor
    then holds only the powers they have *there* (local administrator of that government, or
    central administrator when it is the central organisation). None (the CLI's `--as`) means
    every power the person holds."""

    person_id: int
    rrn: str
    acting_for: int | None = None


def actor_for(session: Session, rrn: str) -> Actor:
    person = session.scalars(select(Person).where(Person.rrn == rrn)).first()
    if person is None:
        raise NotFound(what="Persoon", what_en="Person", key=rrn)
    return Actor(person.id, person.rrn)


def acting_actor(session: Session, rrn: str, government_code: str) -> Actor:
    """The actor of a session in capacity "employee of government_code"; NotFound when the
    person or the government is unknown."""
    person = session.scalars(select(Person).where(Person.rrn == rrn)).first()
    government = session.scalars(select(Government).where(Government.code == government_code)).first()
    if person is None or government is None:
        raise NotFound(what="Persoon of bestuur", what_en="Person or government",
                       key=f"{rrn} @ {government_code}")
    return Actor(person.id, person.rrn, government.id)


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


def _held_where_acting(session: Session, actor: Actor, right_code: str, on: date,
                       government_code: str | None = None) -> list[int]:
    held = _holds(session, actor.person_id, right_code, on, government_code)
    if actor.acting_for is not None:
        held = [gid for gid in held if gid == actor.acting_for]
    return held


def is_central(session: Session, actor: Actor, on: date) -> bool:
    return bool(_held_where_acting(session, actor, CENTRAL_ADMIN_RIGHT, on, CENTRAL_GOVERNMENT))


def is_helpdesk(session: Session, actor: Actor, on: date) -> bool:
    """The helpdesk reads the sign-in trail (R14) and nothing else; central administrators
    may read it too."""
    return (bool(_held_where_acting(session, actor, HELPDESK_RIGHT, on, CENTRAL_GOVERNMENT))
            or is_central(session, actor, on))


def administered_government_ids(session: Session, actor: Actor, on: date) -> set[int]:
    """The governments where the actor is local administrator (central: see is_central)."""
    return set(_held_where_acting(session, actor, LOCAL_ADMIN_RIGHT, on))


def require_helpdesk(session: Session, actor: Actor, on: date) -> None:
    if not is_helpdesk(session, actor, on):
        raise NotHelpdesk()


@dataclass(frozen=True)
class Roles:
    """What a signed-in actor may do, for a front door's navigation. Services still check."""

    local: bool
    central: bool
    helpdesk: bool

    @property
    def any(self) -> bool:
        return self.local or self.central or self.helpdesk


def roles_of(session: Session, actor: Actor, on: date) -> Roles:
    return Roles(local=bool(administered_government_ids(session, actor, on)),
                 central=is_central(session, actor, on), helpdesk=is_helpdesk(session, actor, on))


def capacities(session: Session, person_id: int, on: date) -> list[Government]:
    """The governments where a person can act as an administrator of this service: where they
    are local administrator, and the central organisation for a central administrator or the
    helpdesk. The choice a person who administers two governments switches between."""
    ids = set(_holds(session, person_id, LOCAL_ADMIN_RIGHT, on))
    ids |= set(_holds(session, person_id, CENTRAL_ADMIN_RIGHT, on, CENTRAL_GOVERNMENT))
    ids |= set(_holds(session, person_id, HELPDESK_RIGHT, on, CENTRAL_GOVERNMENT))
    if not ids:
        return []
    return list(session.scalars(select(Government).where(Government.id.in_(ids))
                                .order_by(Government.name)))


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
    raise NotAdministratorOf(government="een bestuur", government_en="a government")


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
        raise NotAdministratorOf(government="een bestuur", government_en="a government")
    return Scope(False, frozenset(ids))
