"""R15: a person asks for a right, an administrator of that government decides.

A request is for one right of one application in one government, with a motivation:
- `grant`: the person has an open relation there and holds no live grant of the right;
- `extension`: they hold a live grant of it (active or pending) and want it longer;
- `relation`: they have no open relation there yet; approving adds them (relation and grant,
  one transaction).
The local administrators of the government are mailed, the requester is mailed with the
decision, an open request expires after EXPIRES_AFTER days. Everything is audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from . import audit, authz, catalog, clock, delegation, governments, grants, notices, paging, relations
from .audit import Change, snapshot
from .errors import DomainError, InvalidInput, NotFound
from .models import AccessRequest, Government, Grant, Person, Relation, Right
from .states import active_or_pending

EXPIRES_AFTER = 30
EXPIRED_REASON = "verlopen: niet beantwoord binnen 30 dagen"
_FIELDS = ("status", "decided_by_rrn", "decision_reason", "result_grant_id")


class DuplicateRequest(DomainError):
    code = "duplicate_request"
    nl = ("U heeft op {created} al een aanvraag voor {right} bij {government} ingediend die nog "
          "openstaat. U krijgt een e-mail zodra een lokale beheerder beslist.")
    en = ("You already asked for {right} at {government} on {created}; that request is still "
          "open. You will get an e-mail as soon as a local administrator decides.")


class RequestClosed(DomainError):
    code = "request_closed"
    nl = "Deze aanvraag is al {state}; er kan niets meer aan veranderen."
    en = "This request is already {state}; it can no longer be changed."


class RequesterRelationEnded(DomainError):
    code = "requester_relation_ended"
    nl = ("{person} heeft geen open relatie meer met {government}: de aanvraag kan niet worden "
          "goedgekeurd. Weiger ze, of voeg de persoon eerst opnieuw toe.")
    en = ("{person} no longer has an open relation with {government}: the request cannot be "
          "approved. Refuse it, or add the person again first.")


class NotRequestable(DomainError):
    code = "not_requestable"
    nl = "Het recht {right} kan niet worden aangevraagd: {why}."
    en = "The right {right} cannot be requested: {why}."


STATUS_NL = {"open": "in afwachting", "approved": "goedgekeurd", "refused": "geweigerd",
             "expired": "verlopen"}
STATUS_EN = {"open": "pending", "approved": "approved", "refused": "refused", "expired": "expired"}
KIND_NL = {"grant": "nieuw recht", "extension": "verlenging", "relation": "toevoegen aan bestuur"}


@dataclass(frozen=True)
class Draft:
    """What a request would be, shown before the person confirms."""

    government: Government
    right: Right
    kind: str
    grant: Grant | None
    email: str | None
    """the relation's address; None when there is no relation (the person gives one)"""


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(what="Persoon", what_en="Person", key=str(person_id))
    return person


def draft(session: Session, person_id: int | None, government_code: str, right_code: str,
          on: date | None = None) -> Draft:
    """Which kind of request a person would make; refuses rights that cannot be requested.
    `person_id` None: someone the service does not know yet, who can only ask to be added."""
    on = on or clock.today()
    government = governments.by_code(session, government_code)
    right = catalog.right_by_code(session, right_code)
    if right.code in (authz.CENTRAL_ADMIN_RIGHT, authz.HELPDESK_RIGHT):
        raise NotRequestable(right=right.code, why="het wordt alleen centraal toegekend",
                              why_en="it is only granted centrally")
    if government.kind == "central":
        raise NotRequestable(right=right.code, why="de centrale organisatie aanvaardt geen aanvragen",
                              why_en="the central organisation accepts no requests")
    if right.code == authz.LOCAL_ADMIN_RIGHT and governments.missing_registration(government):
        raise NotRequestable(right=right.code, why="het bestuur is nog niet volledig geregistreerd",
                              why_en="the government is not fully registered yet")
    relation = relations.open_relation(session, person_id, government.id) if person_id else None
    if relation is None:
        return Draft(government, right, "relation", None, None)
    live = session.scalars(select(Grant).where(
        Grant.relation_id == relation.id, Grant.right_id == right.id, active_or_pending(on))
        .order_by(Grant.end.desc())).first()
    return Draft(government, right, "extension" if live else "grant", live, relation.email)


def submit(session: Session, person_id: int, government_code: str, right_code: str,
           motivation: str, email: str | None = None, on: date | None = None) -> AccessRequest:
    """File a request of the signed-in person (R15) and queue the mail to the government's
    local administrators."""
    on = on or clock.today()
    motivation = (motivation or "").strip()
    if not motivation:
        raise InvalidInput(detail="schrijf kort waarom u dit recht nodig heeft",
                           detail_en="write briefly why you need this right")
    if len(motivation) > 2000:
        raise InvalidInput(detail="de motivering is langer dan 2000 tekens",
                           detail_en="the motivation is longer than 2000 characters")
    person = _person(session, person_id)
    plan = draft(session, person_id, government_code, right_code, on)
    address = plan.email or (email or "").strip()
    if plan.kind == "relation":
        relations.validate("employee", "standard", address, None)
    open_one = open_for(session, person_id, plan.government, plan.right)
    if open_one is not None:
        raise duplicate(open_one)
    request = AccessRequest(person=person, government=plan.government, right=plan.right,
                            kind=plan.kind, grant=plan.grant, motivation=motivation, email=address,
                            status="open", created_at=clock.now(),
                            expires_on=on + timedelta(days=EXPIRES_AFTER))
    session.add(request)
    session.flush()
    audit.record(session, person.rrn, Change(
        "request.submitted", "access_request", request.id, person_id=person.id,
        government_id=plan.government.id, reason=motivation,
        after={"right": plan.right.code, "kind": plan.kind, "grant": plan.grant.id if plan.grant else None,
               "expires_on": request.expires_on.isoformat()}))
    _mail_admins(session, request, on)
    return request


def open_for(session: Session, person_id: int, government: Government,
             right: Right) -> AccessRequest | None:
    """The person's open request for this right in this government, if any (one at most)."""
    return session.scalars(select(AccessRequest).where(
        AccessRequest.person_id == person_id, AccessRequest.government_id == government.id,
        AccessRequest.right_id == right.id, AccessRequest.status == "open")).first()


def duplicate(open_one: AccessRequest) -> DuplicateRequest:
    return DuplicateRequest(right=open_one.right.name, government=open_one.government.name,
                            created=f"{clock.local_day(open_one.created_at):%d-%m-%Y}")


def _mail_admins(session: Session, request: AccessRequest, on: date) -> None:
    person, government = request.person, request.government
    subject = f"Aanvraag van {person.full_name}: {request.right.name} bij {government.name}"
    body = (f"Beste lokale beheerder,\n\n{person.full_name} vraagt {KIND_NL[request.kind]} "
            f"'{request.right.name}' ({request.right.code}) van de toepassing "
            f"'{request.right.application.name}' bij {government.name}.\n\n"
            f"Motivering: {request.motivation}\n\n"
            f"Beantwoord de aanvraag in Gebruikersbeheer lokale besturen, onder Aanvragen, vóór "
            f"{request.expires_on:%d-%m-%Y}; daarna vervalt ze.\n")
    for admin in delegation.active_local_admins(session, government.id, on):
        address = session.scalar(select(Relation.email).where(
            Relation.person_id == admin.id, Relation.government_id == government.id,
            Relation.ended_on.is_(None)))
        if address:
            notices.queue(session, "request", f"request:{request.id}:{admin.id}", government.id,
                          address, subject, body, on)


def _mail_requester(session: Session, request: AccessRequest, on: date) -> None:
    status = STATUS_NL[request.status]
    subject = f"Uw aanvraag voor {request.right.name} bij {request.government.name}: {status}"
    lines = [f"Beste {request.person.full_name},", "",
             f"Uw aanvraag voor '{request.right.name}' bij {request.government.name} van "
             f"{clock.local_day(request.created_at):%d-%m-%Y} is {status}."]
    grant = request.result_grant
    if request.status == "approved" and grant is not None:
        lines.append(f"U heeft het recht van {grant.start:%d-%m-%Y} tot en met {grant.end:%d-%m-%Y}.")
    if request.decision_reason:
        lines.append(f"Reden: {request.decision_reason}")
    lines += ["", "Dit is een automatisch bericht van Gebruikersbeheer lokale besturen.", ""]
    notices.queue(session, "request", f"decision:{request.id}", request.government_id,
                  request.email, subject, "\n".join(lines), on)


def of_person(session: Session, person_id: int) -> list[AccessRequest]:
    """A person's own requests, newest first (for /account/)."""
    return list(session.scalars(
        select(AccessRequest).where(AccessRequest.person_id == person_id)
        .order_by(AccessRequest.created_at.desc(), AccessRequest.id.desc())))


def _inbox_statement(scope: authz.Scope, status: str):
    stmt = (select(AccessRequest).join(AccessRequest.person).join(AccessRequest.government)
            .join(AccessRequest.right)
            .options(contains_eager(AccessRequest.person), contains_eager(AccessRequest.government),
                     contains_eager(AccessRequest.right))
            .where(AccessRequest.status == status)
            .order_by(AccessRequest.created_at, AccessRequest.id))
    if not scope.everything:
        stmt = stmt.where(AccessRequest.government_id.in_(scope.government_ids))
    return stmt


def _acting_scope(session: Session, actor: authz.Actor, on: date) -> authz.Scope:
    """The inbox of the government the session acts for; a central administrator acting for
    the central organisation sees every government's."""
    return authz.scope_of(session, actor, on)


def inbox(session: Session, actor: authz.Actor, status: str = "open", page: int = 1,
          size: int = paging.DEFAULT_SIZE, on: date | None = None) -> paging.Page[AccessRequest]:
    on = on or clock.today()
    if status not in STATUS_NL:
        raise InvalidInput(detail=f"onbekende status '{status}'", detail_en=f"unknown status '{status}'")
    return paging.fetch(session, _inbox_statement(_acting_scope(session, actor, on), status),
                        page, size)


def open_count(session: Session, actor: authz.Actor, on: date | None = None) -> int:
    on = on or clock.today()
    scope = _acting_scope(session, actor, on)
    stmt = select(func.count()).select_from(AccessRequest).where(AccessRequest.status == "open")
    if not scope.everything:
        stmt = stmt.where(AccessRequest.government_id.in_(scope.government_ids))
    return session.scalar(stmt) or 0


def get(session: Session, actor: authz.Actor, request_id: int, on: date | None = None) -> AccessRequest:
    """A request of one of the actor's governments; any other is NotFound."""
    on = on or clock.today()
    request = session.get(AccessRequest, request_id)
    if request is None or not _acting_scope(session, actor, on).covers(request.government_id):
        raise NotFound(what="Aanvraag", what_en="Request", key=str(request_id))
    return request


def _open(request: AccessRequest, on: date) -> None:
    if request.status == "open" and request.expires_on < on:
        raise RequestClosed(state=STATUS_NL["expired"], state_en=STATUS_EN["expired"])
    if request.status != "open":
        raise RequestClosed(state=STATUS_NL[request.status], state_en=STATUS_EN[request.status])


@dataclass(frozen=True)
class Prefill:
    """The grant form as approving shows it: right, period capped at the maximum (R4/R6),
    the requester's motivation as reason."""

    start: date
    end: date
    reason: str


def prefill(session: Session, actor: authz.Actor, request_id: int, on: date | None = None) -> Prefill:
    on = on or clock.today()
    request = get(session, actor, request_id, on)
    _open(request, on)
    return Prefill(on, grants.max_end(on, request.right.max_days),
                   f"Aanvraag: {request.motivation}"[:1000])


def approve(session: Session, actor: authz.Actor, request_id: int, *, start: date | None = None,
            end: date | None = None, reason: str | None = None, category: str = "employee",
            type_: str = "standard", on: date | None = None) -> AccessRequest:
    """Grant what was asked, under R4–R6, in one transaction with the decision."""
    on = on or clock.today()
    request = get(session, actor, request_id, on)
    _open(request, on)
    government = request.government
    authz.require_admin_of(session, actor, government, on)
    person = request.person
    before = snapshot(request, *_FIELDS)
    relation = relations.open_relation(session, person.id, government.id)
    if request.kind == "relation" and relation is None:
        relations.add(session, actor, person.rrn, government.code, category=category, type=type_,
                      email=request.email, on=on)
    elif relation is None:
        raise RequesterRelationEnded(person=person.full_name, government=government.name)
    reason = reason or f"Aanvraag: {request.motivation}"
    live = request.grant if request.kind == "extension" else None
    if live is not None and live.revoked_on is None and live.end >= on:
        plan = grants.extend(session, actor, live.id, start or on,
                             end or grants.max_end(start or on, request.right.max_days),
                             reason=reason, on=on)
        grant = plan.grant
    else:
        grant = grants.add(session, actor, person.rrn, government.code, request.right.code,
                           start=start, end=end, reason=reason, on=on)
    request.status, request.decided_at = "approved", clock.now()
    request.decided_by_rrn, request.result_grant, request.result_grant_id = actor.rrn, grant, grant.id
    audit.record(session, actor.rrn, Change(
        "request.approved", "access_request", request.id, person_id=person.id,
        government_id=government.id, before=before, after=snapshot(request, *_FIELDS),
        reason=reason))
    _mail_requester(session, request, on)
    return request


def refuse(session: Session, actor: authz.Actor, request_id: int, reason: str,
           on: date | None = None) -> AccessRequest:
    on = on or clock.today()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(detail="geef de aanvrager een reden voor de weigering",
                           detail_en="give the requester a reason for the refusal")
    request = get(session, actor, request_id, on)
    _open(request, on)
    authz.require_admin_of(session, actor, request.government, on)
    before = snapshot(request, *_FIELDS)
    request.status, request.decided_at = "refused", clock.now()
    request.decided_by_rrn, request.decision_reason = actor.rrn, reason
    audit.record(session, actor.rrn, Change(
        "request.refused", "access_request", request.id, person_id=request.person_id,
        government_id=request.government_id, before=before, after=snapshot(request, *_FIELDS),
        reason=reason))
    _mail_requester(session, request, on)
    return request


def expire_due(session: Session, on: date | None = None) -> int:
    """Close the requests left open past their expiry day; the requester is told. Safe to
    run again: an expired request is no longer open."""
    on = on or clock.today()
    due = list(session.scalars(select(AccessRequest).where(
        AccessRequest.status == "open", AccessRequest.expires_on < on).with_for_update()))
    for request in due:
        before = snapshot(request, *_FIELDS)
        request.status, request.decided_at, request.decision_reason = (
            "expired", clock.now(), EXPIRED_REASON)
        audit.record(session, None, Change(
            "request.expired", "access_request", request.id, person_id=request.person_id,
            government_id=request.government_id, before=before,
            after=snapshot(request, *_FIELDS)))
        _mail_requester(session, request, on)
    return len(due)

