"""Demo data of DESIGN.md (`idbeheer seed-demo`). Idempotent: running it twice adds nothing.

Seeding bootstraps the service itself (someone must be the first central administrator), so
it writes through the model with the system as actor, reusing the grant rules' period planner,
and records every change in the audit trail like any other."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, clock, governments, grants, relations
from .audit import Change, snapshot
from .models import Application, Person, Relation, Right
from .national_register import NationalRegister

CATALOG = {
    # Any capacity: a civil servant no government has added yet signs in as citizen to ask.
    ("idbeheer", "Gebruikersbeheer lokale besturen", "any"): [
        ("idbeheer-local-admin", "Lokale beheerder", 365),
        ("idbeheer-central-admin", "Centrale beheerder", 365),
        ("idbeheer-helpdesk", "Helpdesk (aanmeldspoor)", 365),
    ],
    ("demo-app", "Demotoepassing", "employee"): [
        ("demo-app-reader", "Lezer", 365),
        ("demo-app-admin", "Beheerder", 90),
    ],
}


@dataclass(frozen=True)
class DemoRelation:
    rrn: str
    government: str
    category: str
    type: str
    rights: tuple[str, ...]


RELATIONS = (
    DemoRelation("85073003328", "44088", "employee", "secretary", ("idbeheer-local-admin",)),
    DemoRelation("90021411412", "44088", "employee", "standard", ("demo-app-reader",)),
    DemoRelation("78010125797", "44088", "external", "standard", ("demo-app-admin",)),
    DemoRelation("78010125797", "44086", "external", "standard", ()),
    DemoRelation("01091204695", "vlaanderen", "employee", "standard", ("idbeheer-central-admin",)),
    DemoRelation("93051822460", "44086", "employee", "secretary", ("idbeheer-local-admin",)),
    DemoRelation("75120512328", "44086", "employee", "standard", ("demo-app-reader",)),
)
STARTED_DAYS_AGO = 30  # demo relations and grants began a month before the seeding day
# Merelbeke-Melle and Nazareth-De Pinte registered their secretaries (R9).
SECRETARIES = {"44088": "85073003328", "44086": "93051822460"}


def seed(session: Session, register: NationalRegister, on: date | None = None) -> dict[str, int]:
    on = on or clock.today()
    counts = {"governments": governments.load_reference_list(session)}
    counts["catalog"] = _catalog(session)
    counts["persons"] = sum(_person(session, register, r.rrn) for r in
                            {r.rrn: r for r in RELATIONS}.values())
    for code, rrn in SECRETARIES.items():
        _registration(session, code, rrn, on)
    counts["relations"], counts["grants"] = 0, 0
    for spec in RELATIONS:
        relation, created = _relation(session, register, spec, on)
        counts["relations"] += created
        for right_code in spec.rights:
            counts["grants"] += _grant(session, relation, right_code, on)
    return counts


def _catalog(session: Session) -> int:
    added = 0
    for (code, name, capacity), rights in CATALOG.items():
        app = session.scalars(select(Application).where(Application.code == code)).first()
        if app is None:
            app = Application(code=code, name=name, capacity=capacity)
            session.add(app)
            session.flush()
            audit.record(session, None, Change("application.registered", "application", app.id,
                                               after=snapshot(app, "code", "name", "capacity")))
            added += 1
        for rcode, rname, max_days in rights:
            if session.scalars(select(Right.id).where(Right.code == rcode)).first() is None:
                right = Right(code=rcode, name=rname, max_days=max_days, application=app)
                session.add(right)
                session.flush()
                audit.record(session, None, Change("right.added", "right", right.id,
                                                   after={"application": code,
                                                          **snapshot(right, "code", "name", "max_days")}))
                added += 1
    return added


def _person(session: Session, register: NationalRegister, rrn: str) -> int:
    if session.scalars(select(Person.id).where(Person.rrn == rrn)).first() is not None:
        return 0
    record = register.lookup(rrn)
    assert record is not None, f"demo person {rrn} missing from the test register"
    stamp = clock.now()
    person = Person(rrn=rrn, surname=record.surname, given_name=record.given_name,
                    birth_date=record.birth_date, sex=record.sex, is_bis=False,
                    language=record.language, aligned_at=stamp, created_at=stamp)
    session.add(person)
    session.flush()
    audit.record(session, None, Change("person.added", "person", person.id, person_id=person.id,
                                       after=snapshot(person, "rrn", "surname", "given_name")))
    return 1


def _by_rrn(session: Session, rrn: str) -> Person:
    return session.scalars(select(Person).where(Person.rrn == rrn)).one()


def _registration(session: Session, code: str, rrn: str, on: date) -> None:
    government = governments.by_code(session, code)
    if government.secretary_person_id is not None:
        return
    secretary = _by_rrn(session, rrn)
    government.secretary_person_id = secretary.id
    government.form_signed_on = government.terms_accepted_on = on - timedelta(days=30)
    audit.record(session, None, Change("government.registration", "government", government.id,
                                       government_id=government.id, person_id=secretary.id,
                                       after={"secretary": rrn, "form_signed_on": str(on)}))


def _relation(session: Session, register: NationalRegister, spec: DemoRelation,
              on: date) -> tuple[Relation, int]:
    person = _by_rrn(session, spec.rrn)
    government = governments.by_code(session, spec.government)
    existing = relations.open_relation(session, person.id, government.id)
    if existing is not None:
        return existing, 0
    record = register.lookup(spec.rrn)
    relation = Relation(person=person, government=government, category=spec.category,
                        type=spec.type, email=(record.email if record else None) or "demo@example.org",
                        started_on=on - timedelta(days=STARTED_DAYS_AGO))
    session.add(relation)
    session.flush()
    audit.record(session, None, Change("relation.added", "relation", relation.id,
                                       person_id=person.id, government_id=government.id,
                                       after=snapshot(relation, "category", "type", "email")))
    return relation, 1


def _grant(session: Session, relation: Relation, right_code: str, on: date) -> int:
    right = session.scalars(select(Right).where(Right.code == right_code)).one()
    period = grants.plan_new(right, None, None, on - timedelta(days=STARTED_DAYS_AGO))
    if grants.overlapping(session, [relation.id], right, period):
        return 0
    grant = grants.create(session, relation, right, period, "demogegevens")
    session.flush()
    audit.record(session, None, grants.added_change(grant))
    return 1
