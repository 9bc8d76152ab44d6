"""Governments: the list of Flemish local governments, registration of a government and the
record a central administrator needs before appointing its first local administrator (R9)."""
from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from . import audit, authz, clock, paging, people
from .audit import Change, snapshot
from .errors import CatalogConflict, InvalidInput, NotFound, RegistrationIncomplete
from .models import Government, Person
from .national_register import NationalRegister

DATA_FILE = Path(__file__).parent / "data" / "governments.csv"
KINDS = ("municipality", "ocmw", "province", "police", "central", "other")
_CODE = re.compile(r"^[a-z0-9-]{2,40}$")
_FIELDS = ("code", "name", "kind", "nis_code", "kbo_number", "province_code")
_REGISTRATION = ("secretary_person_id", "form_signed_on", "terms_accepted_on",
                 "acting_secretary", "council_minutes_ref")


def by_code(session: Session, code: str) -> Government:
    government = session.scalars(select(Government).where(Government.code == code)).first()
    if government is None:
        raise NotFound(what="Bestuur", what_en="Government", key=code)
    return government


def administered(session: Session, actor: authz.Actor, code: str, on: date) -> Government:
    """A government the actor may administer (any, for a central administrator)."""
    government = by_code(session, code)
    authz.require_admin_of(session, actor, government, on)
    return government


def names_of(session: Session, codes: set[str]) -> dict[str, str]:
    """{code: name} of the governments with these codes (unknown codes are left out)."""
    if not codes:
        return {}
    return dict(session.execute(select(Government.code, Government.name)
                                .where(Government.code.in_(codes))).all())


def read_data_file(path: Path = DATA_FILE) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def load_reference_list(session: Session, path: Path = DATA_FILE) -> int:
    """Insert the governments of the data file that are missing; returns how many were added.
    Existing rows are left alone: their registration record belongs to the service."""
    known = set(session.scalars(select(Government.code)))
    added = [Government(**{k: (row[k] or None) for k in _FIELDS})
             for row in read_data_file(path) if row["code"] not in known]
    session.add_all(added)
    if added:
        session.flush()
        audit.record(session, None, Change("governments.loaded", "government", None,
                                           after={"count": len(added), "source": path.name}))
    return len(added)


def register(session: Session, actor: authz.Actor, code: str, name: str, kind: str,
             nis_code: str | None = None, kbo_number: str | None = None,
             on: date | None = None) -> Government:
    """A central administrator adds a government that is not in the reference list."""
    authz.require_central(session, actor, on or clock.today())
    if not _CODE.match(code):
        raise InvalidInput(detail="een bestuurscode bestaat uit kleine letters, cijfers en '-'",
                           detail_en="a government code consists of lowercase letters, digits and '-'")
    if kind not in KINDS:
        raise InvalidInput(detail=f"soort bestuur moet een van {', '.join(KINDS)} zijn",
                           detail_en=f"kind of government must be one of {', '.join(KINDS)}")
    if kbo_number is not None and not re.fullmatch(r"[01]\d{9}", kbo_number):
        raise InvalidInput(detail="een KBO-nummer heeft 10 cijfers en begint met 0 of 1",
                           detail_en="a KBO number has 10 digits and starts with 0 or 1")
    if session.scalars(select(Government.id).where(Government.code == code)).first():
        raise CatalogConflict(detail=f"Bestuur {code} bestaat al.",
                              detail_en=f"Government {code} already exists.")
    government = Government(code=code, name=name.strip(), kind=kind, nis_code=nis_code,
                            kbo_number=kbo_number)
    session.add(government)
    session.flush()
    audit.record(session, actor.rrn, Change("government.registered", "government", government.id,
                                            government_id=government.id,
                                            after=snapshot(government, *_FIELDS)))
    return government


@dataclass(frozen=True)
class Registration:
    secretary: Person
    form_signed_on: date
    terms_accepted_on: date
    acting_secretary: bool = False
    council_minutes_ref: str | None = None


def record_registration(session: Session, actor: authz.Actor, government: Government,
                        registration: Registration, reason: str | None = None,
                        on: date | None = None) -> None:
    """Record the signed registration form and terms of use (R9). An acting secretary also
    needs the council minutes that appointed them."""
    on = on or clock.today()
    authz.require_central(session, actor, on)
    if registration.form_signed_on > on or registration.terms_accepted_on > on:
        raise InvalidInput(detail="de datum van het formulier of de voorwaarden ligt in de toekomst",
                           detail_en="the date of the form or of the terms of use is in the future")
    if registration.acting_secretary and not (registration.council_minutes_ref or "").strip():
        raise InvalidInput(detail="voor een waarnemend algemeen directeur zijn de notulen van de "
                                  "raad nodig",
                           detail_en="an acting general director needs the council minutes")
    before = snapshot(government, *_REGISTRATION)
    government.secretary_person_id = registration.secretary.id
    government.form_signed_on = registration.form_signed_on
    government.terms_accepted_on = registration.terms_accepted_on
    government.acting_secretary = registration.acting_secretary
    government.council_minutes_ref = registration.council_minutes_ref
    audit.record(session, actor.rrn, Change(
        "government.registration", "government", government.id, government_id=government.id,
        person_id=registration.secretary.id, before=before,
        after=snapshot(government, *_REGISTRATION), reason=reason))


# What a first local administrator waits for: (still lacking?, in Dutch, in English).
_NEEDED: tuple[tuple[Callable[[Government], bool], str, str], ...] = (
    (lambda g: g.secretary_person_id is None, "geen algemeen directeur of griffier geregistreerd",
     "no general director or clerk registered"),
    (lambda g: g.form_signed_on is None, "geen ondertekend registratieformulier",
     "no signed registration form"),
    (lambda g: g.terms_accepted_on is None, "geen aanvaarde gebruiksvoorwaarden",
     "no accepted terms of use"),
    (lambda g: bool(g.acting_secretary and not g.council_minutes_ref),
     "geen notulen van de raad voor de waarnemend directeur", "no council minutes for the acting director"),
)


def missing_registration(government: Government, lang: str = "nl") -> list[str]:
    """What still lacks before a first local administrator can be appointed, in `lang`."""
    return [nl if lang == "nl" else en for lacking, nl, en in _NEEDED if lacking(government)]


def registration_incomplete(government: Government) -> RegistrationIncomplete | None:
    """The refusal to appoint a first local administrator yet, or None when nothing lacks."""
    missing = missing_registration(government)
    if not missing:
        return None
    return RegistrationIncomplete(government=government.name, missing="; ".join(missing),
                                  missing_en="; ".join(missing_registration(government, "en")))


def record_registration_of(session: Session, actor: authz.Actor, register: NationalRegister,
                           government_code: str, secretary_rrn: str, form_signed_on: date,
                           terms_accepted_on: date, acting_secretary: bool = False,
                           council_minutes_ref: str | None = None, reason: str | None = None,
                           on: date | None = None) -> Government:
    """record_registration for a secretary given by number, added from the register if new."""
    on = on or clock.today()
    authz.require_central(session, actor, on)
    government = by_code(session, government_code)
    secretary, _created = people.add(session, actor, register, secretary_rrn, on)
    record_registration(session, actor, government, Registration(
        secretary, form_signed_on, terms_accepted_on, acting_secretary,
        (council_minutes_ref or "").strip() or None), reason, on)
    return government


def search(session: Session, actor: authz.Actor, query: str = "", on: date | None = None,
           page: int = 1, size: int = paging.DEFAULT_SIZE) -> paging.Page[Government]:
    """Governments by name or code, for central administrators."""
    authz.require_central(session, actor, on or clock.today())
    stmt = select(Government).order_by(Government.name, Government.code)
    query = (query or "").strip()
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(or_(Government.name.ilike(like), Government.code.ilike(like)))
    return paging.fetch(session, stmt, page, size)


def registered(session: Session, actor: authz.Actor, code: str, on: date | None = None) -> Government:
    """A government with its registration record, for central administrators."""
    authz.require_central(session, actor, on or clock.today())
    return by_code(session, code)
