"""People (R1): added from the national register, aligned with it, never deleted."""
from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from . import audit, authz, clock, paging
from . import rrn as rrn_rules
from .audit import Change, snapshot
from .errors import InvalidInput, NotFound, UnknownInNationalRegister
from .models import Person, Relation
from .national_register import NationalRegister, RegisterRecord

_FIELDS = ("rrn", "surname", "given_name", "birth_date", "sex", "is_bis", "language")
LANGUAGES = ("nl", "fr", "de", "en")


def find(session: Session, rrn: str) -> Person | None:
    return session.scalars(select(Person).where(Person.rrn == rrn_rules.normalize(rrn))).first()


def name_of(session: Session, person_id: int) -> str:
    """A person's full name (the admin UI's header names who is signed in)."""
    person = session.get(Person, person_id)
    return person.full_name if person else ""


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
        on: date | None = None, reason: str | None = None) -> tuple[Person, bool]:
    """Create the person from the register; returns (person, created). Adding someone already
    known creates nothing and records nothing. `reason` is the administrator's internal note,
    kept with the audit record."""
    authz.require_any_admin(session, actor, on or clock.today())
    info = rrn_rules.parse(raw_rrn)
    existing = find(session, info.rrn)
    if existing is not None:
        return existing, False
    return _create(session, register, info, actor.rrn, reason or None), True


def _create(session: Session, register: NationalRegister, info: rrn_rules.RrnInfo,
            actor_rrn: str, reason: str | None) -> Person:
    record = _lookup(register, info.rrn)
    stamp = clock.now()
    person = Person(rrn=info.rrn, surname=record.surname, given_name=record.given_name,
                    birth_date=record.birth_date, sex=record.sex, is_bis=info.is_bis,
                    language=record.language, aligned_at=stamp, created_at=stamp)
    session.add(person)
    session.flush()
    audit.record(session, actor_rrn, Change("person.added", "person", person.id,
                                            person_id=person.id, reason=reason,
                                            after=snapshot(person, *_FIELDS)))
    return person


def known(session: Session, actor: authz.Actor, raw_rrn: str, on: date | None = None) -> Person:
    """A person known to the service, for an administrator who is about to relate them to
    their government. Shows no more than `preview` shows from the register."""
    authz.require_any_admin(session, actor, on or clock.today())
    person = find(session, rrn_rules.parse(raw_rrn).rrn)
    if person is None:
        raise NotFound(what="Persoon", what_en="Person", key=raw_rrn)
    return person


def search(session: Session, actor: authz.Actor, query: str, on: date | None = None,
           page: int = 1, size: int = paging.DEFAULT_SIZE) -> paging.Page[Person]:
    """People the actor may see whose number is `query` or whose name contains it."""
    scope = authz.scope_of(session, actor, on or clock.today())
    query = (query or "").strip()
    stmt = select(Person).order_by(Person.surname, Person.given_name, Person.id)
    if not scope.everything:
        stmt = stmt.where(Person.id.in_(select(Relation.person_id).where(
            Relation.government_id.in_(scope.government_ids))))
    if query:
        digits = rrn_rules.normalize(query)
        if digits.isdigit():
            stmt = stmt.where(Person.rrn == digits)
        else:
            like = f"%{query.lower()}%"
            stmt = stmt.where(or_(Person.surname.ilike(like), Person.given_name.ilike(like),
                                  (Person.given_name + " " + Person.surname).ilike(like)))
    return paging.fetch(session, stmt, page, size)


def set_language(session: Session, actor: authz.Actor, raw_rrn: str, language: str,
                 on: date | None = None) -> Person:
    """The one field an administrator edits by hand: the language notices are written in.
    Names, birth date and sex come from the register (R1): align instead."""
    person = visible(session, actor, raw_rrn, on)
    if language not in LANGUAGES:
        raise InvalidInput(detail=f"taal moet een van {', '.join(LANGUAGES)} zijn",
                           detail_en=f"language must be one of {', '.join(LANGUAGES)}")
    before = snapshot(person, "language")
    person.language = language
    if snapshot(person, "language") != before:
        audit.record(session, actor.rrn, Change("person.changed", "person", person.id,
                                                person_id=person.id, before=before,
                                                after=snapshot(person, "language")))
    return person


def visible(session: Session, actor: authz.Actor, raw_rrn: str, on: date | None = None) -> Person:
    """A person the actor may see: central administrators see everyone, local administrators
    whoever has (or had) a relation with one of their governments. Anyone else is NotFound,
    so that numbers cannot be probed."""
    on = on or clock.today()
    scope = authz.scope_of(session, actor, on)
    person = find(session, rrn_rules.normalize(raw_rrn))
    if person is None:
        raise NotFound(what="Persoon", what_en="Person", key=raw_rrn)
    if scope.everything:
        return person
    related = session.scalars(select(Relation.id).where(
        Relation.person_id == person.id,
        Relation.government_id.in_(scope.government_ids))).first()
    if related is None:
        raise NotFound(what="Persoon", what_en="Person", key=raw_rrn)
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


def add_self(session: Session, register: NationalRegister, raw_rrn: str) -> Person:
    """The signed-in person themselves, created from the register when the service does not
    know them yet: someone no government has added can still ask to be added (R15). The
    audit trail records the person as their own actor."""
    info = rrn_rules.parse(raw_rrn)
    existing = find(session, info.rrn)
    if existing is not None:
        return existing
    return _create(session, register, info, info.rrn, "zelf aangemeld voor een aanvraag (R15)")
