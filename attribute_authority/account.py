"""A civil servant's own view ("Mijn rechten", /account/) and what they may ask for (R15).

Everything here reads or files on behalf of the signed-in person only: the person is named by
the RRN the bridge asserted, never by an id from a form, so one person can never see or ask
in another's name. The rights shown are those of the government the session acts for (R13);
a session as citizen shows relations and requests only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import access_requests, catalog, clock, delegation, governments, people
from .errors import InvalidInput, NotFound
from .models import AccessRequest, Application, Government, Grant, Person, Relation, Right
from .national_register import NationalRegister
from .states import active_or_pending, state_of

ENDING_WITHIN_DAYS = 14  # as the R11 notice: two weeks before a grant ends


@dataclass(frozen=True)
class Contact:
    """A local administrator as the person may reach them."""

    name: str
    email: str


@dataclass(frozen=True)
class OwnGrant:
    grant: Grant
    state: str
    ends_soon: bool


@dataclass(frozen=True)
class Overview:
    person: Person | None
    """None: the service does not know the person yet (no government added them)"""
    relations: list[Relation]
    government: Government | None
    """the government the session acts for; None as citizen"""
    grants: list[OwnGrant]
    open_requests: list[AccessRequest]
    past_requests: list[AccessRequest]
    administrators: list[Contact]


def _government(session: Session, code: str | None) -> Government | None:
    if not code:
        return None
    return session.scalars(select(Government).where(Government.code == code)).first()


def open_relations(session: Session, person_id: int) -> list[Relation]:
    return list(session.scalars(
        select(Relation).join(Relation.government)
        .where(Relation.person_id == person_id, Relation.ended_on.is_(None))
        .order_by(Government.name)))


def administrators(session: Session, government: Government, on: date) -> list[Contact]:
    """Who to contact about rights in a government: its active local administrators, with the
    address of their relation there (the FAQ's "contacteer uw lokale beheerder")."""
    contacts = []
    for admin in delegation.active_local_admins(session, government.id, on):
        email = session.scalar(select(Relation.email).where(
            Relation.person_id == admin.id, Relation.government_id == government.id,
            Relation.ended_on.is_(None)))
        contacts.append(Contact(admin.full_name, email or ""))
    return contacts


def overview(session: Session, rrn: str, government_code: str | None,
             on: date | None = None) -> Overview:
    on = on or clock.today()
    person = people.find(session, rrn)
    government = _government(session, government_code)
    if person is None:
        return Overview(None, [], government, [], [], [],
                        administrators(session, government, on) if government else [])
    relations = open_relations(session, person.id)
    own: list[OwnGrant] = []
    relation = next((r for r in relations if government and r.government_id == government.id), None)
    if relation is not None:
        held = session.scalars(select(Grant).join(Grant.right).where(
            Grant.relation_id == relation.id, active_or_pending(on))
            .order_by(Grant.end, Right.code))
        soon = on + timedelta(days=ENDING_WITHIN_DAYS)
        own = [OwnGrant(grant, state_of(grant, on), grant.end <= soon) for grant in held]
    requests = access_requests.of_person(session, person.id)
    still_open = [r for r in requests if r.status == "open" and r.expires_on >= on]
    return Overview(person, relations, government if relation else None, own, still_open,
                    [r for r in requests if r not in still_open],
                    administrators(session, government, on) if relation and government else [])


@dataclass(frozen=True)
class Choices:
    """What the request page offers: the application's requestable rights, and the
    governments the person may ask in (their own ones, or any local government when asked
    to be added). `right` and `government` are what the link named, when it named them."""

    application: Application
    rights: list[Right]
    right: Right | None
    government: Government | None
    governments: list[Government]


def _requestable(right: Right) -> bool:
    return right.code not in catalog.CENTRAL_ONLY


def choices(session: Session, rrn: str, app_code: str, right_code: str | None,
            government_code: str | None) -> Choices:
    """The request page for `?app=…&right=…&government=…`; an unknown application, a right
    of another application or one that cannot be asked for, or an unknown government is
    NotFound (the link is wrong, nothing to ask)."""
    application = catalog.application_by_code(session, app_code)
    rights = [r for r in sorted(application.rights, key=lambda r: r.code) if _requestable(r)]
    right = None
    if right_code:
        right = next((r for r in rights if r.code == right_code), None)
        if right is None:
            raise NotFound(what="Recht", what_en="Right", key=f"{right_code} ({application.name})")
    government = governments.by_code(session, government_code) if government_code else None
    if government is not None and government.kind == "central":
        raise NotFound(what="Bestuur", what_en="Government", key=government.code)
    person = people.find(session, rrn)
    own = [r.government for r in open_relations(session, person.id)] if person else []
    own = [g for g in own if g.kind != "central"]
    offered = own or list(session.scalars(
        select(Government).where(Government.kind != "central").order_by(Government.name)))
    return Choices(application, rights, right, government, offered)


def draft(session: Session, rrn: str, government_code: str, right_code: str,
          on: date | None = None) -> access_requests.Draft:
    """What the request would be: a new right, an extension, or to be added (always, for a
    person the service does not know yet). A request of the same that is still open is
    refused here already (DuplicateRequest), before the person writes a motivation."""
    person = people.find(session, rrn)
    plan = access_requests.draft(session, person.id if person else None, government_code,
                                 right_code, on)
    open_one = access_requests.open_for(session, person.id, plan.government, plan.right) \
        if person else None
    if open_one is not None:
        raise access_requests.duplicate(open_one)
    return plan


def submit(session: Session, register: NationalRegister, rrn: str, app_code: str,
           government_code: str, right_code: str, motivation: str, email: str | None = None,
           on: date | None = None) -> AccessRequest:
    """File the signed-in person's request (R15: the rules are access_requests'); a person the
    service does not know yet is added from the national register first, in the same unit of
    work, so that a refusal leaves nothing behind."""
    if not right_code:
        raise InvalidInput(detail="kies het recht dat u nodig heeft", detail_en="choose the right you need")
    if not government_code:
        raise InvalidInput(detail="kies het bestuur waarvoor u het recht nodig heeft",
                           detail_en="choose the government you need the right for")
    choices(session, rrn, app_code, right_code, government_code)
    person = people.add_self(session, register, rrn)
    return access_requests.submit(session, person.id, government_code, right_code, motivation,
                                  email=email, on=on)
