"""Grants (R4–R7): a right given to a relation for [start, end], both days included.

One place for the date rules: `max_end`, `check_period` and `state_of`/`state_condition`, which
the tests hold against each other.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import false, func, insert, select
from sqlalchemy.orm import Session, contains_eager

from . import audit, authz, catalog, clock, dates, governments, paging, relations
from .audit import Change, snapshot
from .errors import (
    EndBeforeStart,
    GrantNotChangeable,
    GrantTooLong,
    InvalidInput,
    NoOpenRelation,
    NotFound,
    RightNotForGovernment,
)
from .models import Government, Grant, GrantPeriod, Person, Relation, Right
from .states import STATE_EN, STATE_NL, not_revoked, state_condition, state_of

_FIELDS = ("start", "end", "reason", "revoked_on", "revoke_reason")


def max_end(start: date, max_days: int) -> date:
    """R4: the latest allowed end. end = start + max is allowed; one day more is not."""
    return start + timedelta(days=max_days)


def check_period(right: Right, start: date, end: date) -> None:
    dates.check(start)
    dates.check(end)
    if end < start:
        raise EndBeforeStart(start=start.isoformat(), end=end.isoformat())
    limit = max_end(start, right.max_days)
    if end > limit:
        raise GrantTooLong(right=right.code, max_days=right.max_days, max_end=limit.isoformat())


def check_right_for(session: Session, actor: authz.Actor, right: Right,
                     government: Government, on: date) -> None:
    """Where the service's own rights may be held (R9)."""
    if right.code in (authz.CENTRAL_ADMIN_RIGHT, authz.HELPDESK_RIGHT):
        if government.code != authz.CENTRAL_GOVERNMENT:
            raise RightNotForGovernment(right=right.code, government=government.name)
        authz.require_central(session, actor, on)
    if right.code == authz.LOCAL_ADMIN_RIGHT:
        if government.kind == "central":
            raise RightNotForGovernment(right=right.code, government=government.name)
        if incomplete := governments.registration_incomplete(government):
            raise incomplete


class GrantOverlaps(InvalidInput):
    code = "grant_overlaps"
    nl = ("{person} heeft het recht {right} al van {start} tot {end} (toekenning {id}). "
          "Verleng die toekenning in plaats van een nieuwe te maken.")
    en = ("{person} already holds {right} from {start} to {end} (grant {id}). Extend that grant "
          "instead of creating a new one.")


class StartInPast(InvalidInput):
    code = "start_in_past"
    nl = "De begindatum {start} ligt in het verleden. Kies vandaag of later."
    en = "The start date {start} is in the past. Choose today or later."


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    pending: bool


def plan_new(right: Right, start: date | None, end: date | None, on: date) -> Period:
    """The period of a new grant: start defaults to today, end to start + maximum (R4)."""
    start = dates.check(start or on)
    if start < on:
        raise StartInPast(start=start.isoformat())
    end = end or max_end(start, right.max_days)
    check_period(right, start, end)
    return Period(start, end, start > on)


def _prepare(session: Session, actor: authz.Actor, relation: Relation, right: Right,
             start: date | None, end: date | None, on: date) -> Period:
    authz.require_admin_of(session, actor, relation.government, on)
    check_right_for(session, actor, right, relation.government, on)
    period = plan_new(right, start, end, on)
    if not relation.is_open:
        raise NoOpenRelation(person=relation.person.full_name,
                             government=relation.government.name)
    clash = overlapping(session, [relation.id], right, period).get(relation.id)
    if clash is not None:
        raise overlap_error(relation, right, clash)
    return period


def overlapping(session: Session, relation_ids: list[int], right: Right,
                period: Period) -> dict[int, Grant]:
    """Live grants of the same right whose period meets the new one, by relation: a person
    holds a right once at a time, longer stays go through extension."""
    stmt = select(Grant).where(
        Grant.relation_id.in_(relation_ids), Grant.right_id == right.id,
        Grant.start <= period.end, Grant.end >= period.start,
        not_revoked(period.start))
    return {g.relation_id: g for g in session.scalars(stmt)}


def overlap_error(relation: Relation, right: Right, clash: Grant) -> GrantOverlaps:
    return GrantOverlaps(person=relation.person.full_name, right=right.code,
                         start=clash.start.isoformat(), end=clash.end.isoformat(), id=clash.id)


def new_values(relation: Relation, right: Right, period: Period, reason: str | None) -> dict:
    """The columns of a new grant; one place for `create` and the bulk insert of R10."""
    return {"relation_id": relation.id, "government_id": relation.government_id,
            "right_id": right.id, "start": period.start, "end": period.end,
            "reason": reason or None, "created_at": clock.now()}


def create(session: Session, relation: Relation, right: Right, period: Period,
            reason: str | None) -> Grant:
    values = new_values(relation, right, period, reason)
    del values["relation_id"], values["right_id"]
    grant = Grant(relation=relation, right=right, **values)
    grant.periods.append(GrantPeriod(start=period.start, end=period.end))
    session.add(grant)
    return grant


def create_many(session: Session, relations: list[Relation], right: Right, period: Period,
                reason: str | None) -> list[Grant]:
    """`create` for many relations at once, as one multi-row INSERT … RETURNING instead of a
    unit-of-work flush of each object (R10 grants to thousands). The relations and the right
    are already in the session, so grant.relation and grant.right resolve without a query."""
    if not relations:
        return []
    rows = [new_values(relation, right, period, reason) for relation in relations]
    created = list(session.scalars(
        insert(Grant).returning(Grant, sort_by_parameter_order=True), rows))
    session.execute(insert(GrantPeriod), [
        {"grant_id": g.id, "start": period.start, "end": period.end} for g in created])
    for grant in created:
        session.expire(grant, ["periods"])
    return created


def added_change(grant: Grant) -> Change:
    """The audit record of a new grant (after flush, so it has its id)."""
    return Change("grant.added", "grant", grant.id, person_id=grant.relation.person_id,
                  government_id=grant.relation.government_id, reason=grant.reason,
                  after={"right": grant.right.code, **snapshot(grant, *_FIELDS)})


def add(session: Session, actor: authz.Actor, rrn: str, government_code: str, right_code: str,
        *, start: date | None = None, end: date | None = None, reason: str | None = None,
        on: date | None = None) -> Grant:
    on = on or clock.today()
    government = governments.by_code(session, government_code)
    authz.require_admin_of(session, actor, government, on)
    right = catalog.right_by_code(session, right_code)
    person = session.scalars(select(Person).where(Person.rrn == rrn)).first()
    relation = relations.open_relation(session, person.id, government.id) if person else None
    if relation is None:
        raise NoOpenRelation(person=person.full_name if person else rrn, government=government.name)
    period = _prepare(session, actor, relation, right, start, end, on)
    grant = create(session, relation, right, period, reason)
    session.flush()
    audit.record(session, actor.rrn, added_change(grant))
    return grant


def get(session: Session, actor: authz.Actor, grant_id: int, on: date | None = None) -> Grant:
    """A grant of one of the actor's governments; any other is NotFound."""
    on = on or clock.today()
    grant = session.get(Grant, grant_id)
    if grant is None or not authz.scope_of(session, actor, on).covers(grant.relation.government_id):
        raise NotFound(what="Toekenning", what_en="Grant", key=str(grant_id))
    return grant


@dataclass(frozen=True)
class ExtensionPlan:
    grant: Grant
    start: date
    end: date
    pending: bool
    """True when the new start lies in the future: the grant is pending until then (R6)."""


def plan_extension(session: Session, actor: authz.Actor, grant_id: int, start: date, end: date,
                   on: date | None = None) -> ExtensionPlan:
    """Check an extension without changing anything, so the administrator can be told
    before confirming that a future start leaves the grant pending (R6)."""
    on = on or clock.today()
    grant = get(session, actor, grant_id, on)
    authz.require_admin_of(session, actor, grant.relation.government, on)
    if state_of(grant, on) == "revoked":
        raise GrantNotChangeable(state=STATE_NL["revoked"], state_en=STATE_EN["revoked"],
                                 action="verlengd", action_en="extended")
    if not grant.relation.is_open:
        raise NoOpenRelation(person=grant.relation.person.full_name,
                             government=grant.relation.government.name)
    if start < min(grant.start, on):
        raise StartInPast(start=start.isoformat())
    check_period(grant.right, start, end)
    if end < on:
        raise InvalidInput(detail="de nieuwe einddatum ligt in het verleden",
                           detail_en="the new end date is in the past")
    return ExtensionPlan(grant, start, end, start > on)


def extend(session: Session, actor: authz.Actor, grant_id: int, start: date, end: date,
           reason: str | None = None, on: date | None = None) -> ExtensionPlan:
    on = on or clock.today()
    plan = plan_extension(session, actor, grant_id, start, end, on)
    grant = plan.grant
    before = snapshot(grant, *_FIELDS)
    grant.start, grant.end = plan.start, plan.end
    follow_with(grant, plan.start, plan.end, on)
    audit.record(session, actor.rrn, Change(
        "grant.extended", "grant", grant.id, person_id=grant.relation.person_id,
        government_id=grant.relation.government_id, before=before,
        after={"right": grant.right.code, **snapshot(grant, *_FIELDS)}, reason=reason or None))
    return plan


def follow_with(grant: Grant, start: date, end: date, on: date) -> None:
    """R5/R6: the new period governs from `on` on; every day before `on` keeps the period it
    had. Earlier periods are cut at on - 1 (one that had not begun yet is dropped: it never
    held a day), and the new one starts on `on` at the earliest."""
    cut = on - timedelta(days=1)
    for period in list(grant.periods):
        if period.start > cut:
            grant.periods.remove(period)
        elif period.end > cut:
            period.end = cut
    grant.periods.append(GrantPeriod(start=max(start, on), end=end))


def revoke(session: Session, actor: authz.Actor, grant_id: int, reason: str | None = None,
           on: date | None = None) -> Grant:
    """R7: takes effect at once; the grant stays on record as revoked."""
    on = on or clock.today()
    grant = get(session, actor, grant_id, on)
    authz.require_admin_of(session, actor, grant.relation.government, on)
    state = state_of(grant, on)
    if state in ("revoked", "expired"):
        raise GrantNotChangeable(state=STATE_NL[state], state_en=STATE_EN[state],
                                 action="herroepen", action_en="revoked")
    _record_revoke(session, actor.rrn, grant, reason, on)
    return grant


def revoke_by_system(session: Session, grant: Grant, reason: str, on: date) -> None:
    """A revocation made by a job (an access review's deadline, R16), recorded without actor."""
    _record_revoke(session, None, grant, reason, on)


def _record_revoke(session: Session, actor_rrn: str | None, grant: Grant, reason: str | None,
                   on: date) -> None:
    before = snapshot(grant, *_FIELDS)
    grant.revoked_at, grant.revoked_on, grant.revoke_reason = clock.now(), on, reason or None
    audit.record(session, actor_rrn, Change(
        "grant.revoked", "grant", grant.id, person_id=grant.relation.person_id,
        government_id=grant.relation.government_id, before=before,
        after={"right": grant.right.code, **snapshot(grant, *_FIELDS)}, reason=reason or None))


@dataclass(frozen=True)
class GrantFilter:
    rrn: str | None = None
    government: str | None = None
    state: str | None = None
    right: str | None = None
    category: str | None = None


def search_statement(scope: authz.Scope, flt: GrantFilter, on: date,
                     government_id: int | None = None):
    """The grants within the scope that match the filter, latest end first.

    government_id is flt.government already looked up (as `search` does): filtering on the
    grant's own government column lets the database read that government's grants in end order
    from ix_grant_government_end and stop after a page, and lets PostgreSQL use the statistics
    of that very government instead of an average one."""
    stmt = (select(Grant)
            .join(Grant.relation).join(Relation.person).join(Relation.government)
            .join(Grant.right)
            .options(contains_eager(Grant.relation).contains_eager(Relation.person),
                     contains_eager(Grant.relation).contains_eager(Relation.government),
                     contains_eager(Grant.right))
            .order_by(Grant.end.desc(), Grant.id.desc()))
    if flt.government and government_id is not None:
        stmt = stmt.where(Grant.government_id == government_id)
        if not scope.covers(government_id):
            stmt = stmt.where(false())
    else:
        if not scope.everything:
            stmt = stmt.where(Grant.government_id.in_(scope.government_ids))
        if flt.government:
            stmt = stmt.where(Government.code == flt.government)
    if flt.rrn:
        stmt = stmt.where(Person.rrn == flt.rrn)
    if flt.state:
        stmt = stmt.where(state_condition(flt.state, on))
    if flt.right:
        stmt = stmt.where(Right.code == flt.right)
    if flt.category:
        stmt = stmt.where(Relation.category == flt.category)
    return stmt


def search(session: Session, scope: authz.Scope, flt: GrantFilter, on: date | None = None,
           limit: int = 100, offset: int = 0) -> list[Grant]:
    """Scope from authz.scope_of(actor) for an administrator, authz.EVERYTHING for the operator."""
    on = on or clock.today()
    government_id = None
    if flt.government:
        government_id = session.scalar(select(Government.id).where(Government.code == flt.government))
        if government_id is None:
            return []
    stmt = search_statement(scope, flt, on, government_id).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def search_for(session: Session, actor: authz.Actor, flt: GrantFilter, at: date | None = None,
               page: int = 1, size: int = paging.DEFAULT_SIZE) -> paging.Page[Grant]:
    """One page of the grants an administrator may see that match the filter, with states on
    the reference date `at` (R5). What the actor may see is decided on today, not on `at`."""
    today = clock.today()
    scope = authz.scope_of(session, actor, today)
    return paging.fetch(session, search_statement(scope, flt, at or today), page, size)


EXPORT_LIMIT = 50_000


def export_for(session: Session, actor: authz.Actor, flt: GrantFilter,
               at: date | None = None) -> list[dict]:
    """The same search as rows for a CSV export, at most EXPORT_LIMIT."""
    today = clock.today()
    at = at or today
    scope = authz.scope_of(session, actor, today)
    return [as_dict(g, at) for g in search(session, scope, flt, at, limit=EXPORT_LIMIT)]


def as_dict(grant: Grant, on: date) -> dict:
    """The machine-readable form (CLI --json, CSV export)."""
    relation = grant.relation
    return {
        "id": grant.id, "rrn": relation.person.rrn, "name": relation.person.full_name,
        "government": relation.government.code, "right": grant.right.code,
        "category": relation.category, "start": grant.start.isoformat(),
        "end": grant.end.isoformat(), "state": state_of(grant, on),
        "revoked_on": grant.revoked_on.isoformat() if grant.revoked_on else None,
        "reason": grant.reason,
    }


def report_page(session: Session, actor: authz.Actor, government_code: str, at: date,
                page: int = 1) -> paging.Page[Grant]:
    """One page of the report: the government's active grants, latest end first."""
    today = clock.today()
    government = governments.administered(session, actor, government_code, today)
    scope = authz.scope_of(session, actor, today)
    stmt = search_statement(scope, GrantFilter(government=government.code, state="active"), at,
                            government.id)
    return paging.fetch(session, stmt, page,
                        count=count_in_government(government.id, state_condition("active", at)))


def count_in_government(government_id: int, condition):
    """Counting the government's grants that meet `condition`: on the grant's own government
    column (ix_grant_government_end), not through the relations (4x faster on Antwerpen)."""
    return select(func.count(Grant.id)).where(Grant.government_id == government_id, condition)


def report_rows(session: Session, actor: authz.Actor, government_code: str,
                at: date | None = None) -> Iterator[dict]:
    """Who holds which right until when in one government ("rapport"), every active grant as
    a row of `as_dict`, read in batches so a government of 15 000 people streams. Access is
    checked before the first row."""
    today = clock.today()
    at = at or today
    government = governments.administered(session, actor, government_code, today)
    scope = authz.scope_of(session, actor, today)
    stmt = search_statement(scope, GrantFilter(government=government.code, state="active"), at,
                            government.id).execution_options(yield_per=1000)
    return _rows(session, stmt, at)


def _rows(session: Session, stmt, at: date) -> Iterator[dict]:
    # A generator: the query runs when the download starts reading, after the request's own
    # commit, never holding a cursor across it.
    for grant in session.scalars(stmt):
        yield as_dict(grant, at)
