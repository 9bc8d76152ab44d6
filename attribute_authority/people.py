"""People (R1): added from the national register, aligned with it, never deleted."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, authz, clock
from . import rrn as rrn_rules
from .audit import Change, snapshot
from .errors import NotFound, UnknownInNationalRegister
from .models import Person, Relation
from .national_register import NationalRegister, RegisterRecord

_FIELDS = ("rrn", "surname", "given_name", "birth_date", "sex", "is_bis", "language")


def find(session: Session, rrn: str) -> Person | None:
    return session.scalars(select(Person).where(Person.rrn == rrn_rules.normalize(rrn))).first()


def _lookup(register: NationalRegister, rrn: str) -> RegisterRecord:
    record = register.lookup(rrn)
    if record is None:
        raise UnknownInNationalRegister(rrn=rrn)
    return record


def preview(session: Session, actor: authz.Actor, register: NationalRegister,
            raw_rrn: str, on: date | None = None) -> RegisterRecord:
    """What the register says about a number, before the administrator confirms adding."""
    authz.require_any_admin(session, actor, on or clock.today())
    return _lookup(register, rrn_rules.parse(raw_rrn).rrn)


def add(session: Session, actor: authz.Actor, register: NationalRegister, raw_rrn: str,
        on: date | None = None) -> tuple[Person, bool]:
    """Create the person from the register; returns (person, created). Adding someone already
    known creates nothing and records nothing."""
    authz.require_any_admin(session, actor, on or clock.today())
    info = rrn_rules.parse(raw_rrn)
    existing = find(session, info.rrn)
    if existing is not None:
        return existing, False
    record = _lookup(register, info.rrn)
    stamp = clock.now()
    person = Person(rrn=info.rrn, surname=record.surname, given_name=record.given_name,
                    birth_date=record.birth_date, sex=record.sex, is_bis=info.is_bis,
                    language=record.language, aligned_at=stamp, created_at=stamp)
    session.add(person)
    session.flush()
    audit.record(session, actor.rrn, Change("person.added", "person", person.id,
                                            person_id=person.id,
                                            after=snapshot(person, *_FIELDS)))
    return person, True


def visible(session: Session, actor: authz.Actor, raw_rrn: str, on: date | None = None) -> Person:
    """A person the actor may see: central administrators see everyone, local administrators
    whoever has (or had) a relation with one of their governments. Anyone else is NotFound,
    so that numbers cannot be probed."""
    on = on or clock.today()
    scope = authz.scope_of(session, actor, on)
    person = find(session, rrn_rules.normalize(raw_rrn))
    if person is None:
        raise NotFound(what="Persoon", key=raw_rrn)
    if scope.everything:
        return person
    related = session.scalars(select(Relation.id).where(
        Relation.person_id == person.id,
        Relation.government_id.in_(scope.government_ids))).first()
    if related is None:
        raise NotFound(what="Persoon", key=raw_rrn)
    return person


def align(session: Session, actor: authz.Actor, register: NationalRegister, raw_rrn: str,
          on: date | None = None) -> Person:
    """Refresh names, birth date and sex from the register."""
    person = visible(session, actor, raw_rrn, on)
    record = _lookup(register, person.rrn)
    before = snapshot(person, *_FIELDS)
    person.surname, person.given_name = record.surname, record.given_name
    person.birth_date, person.sex = record.birth_date, record.sex
    person.language = record.language or person.language
    person.aligned_at = clock.now()
    after = snapshot(person, *_FIELDS)
    if after != before:
        audit.record(session, actor.rrn, Change("person.aligned", "person", person.id,
                                                person_id=person.id, before=before, after=after))
    return person
