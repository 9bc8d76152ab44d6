"""R10: one right to many people of one government at once, all or nothing.

The administrator first sees the candidates (open relations filtered by category and type),
selects, sets the period and reason once, and confirms. Any refusal refuses the whole batch."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from . import audit, authz, catalog, clock, governments, grants
from .errors import DomainError, EmptySelection, InvalidInput, NoOpenRelation
from .models import Grant, Person, Relation
from .states import active_or_pending


@dataclass(frozen=True)
class Candidate:
    relation: Relation
    holds_already: bool
    """Already holds the right now or from a later day: selecting them would be refused."""


def candidates(session: Session, actor: authz.Actor, government_code: str, right_code: str,
               *, category: str | None = None, type: str | None = None,
               on: date | None = None) -> list[Candidate]:
    on = on or clock.today()
    government = governments.by_code(session, government_code)
    authz.require_admin_of(session, actor, government, on)
    right = catalog.right_by_code(session, right_code)
    stmt = (select(Relation).join(Relation.person).options(contains_eager(Relation.person))
            .where(Relation.government_id == government.id, Relation.ended_on.is_(None))
            .order_by(Person.surname, Person.given_name))
    if category:
        stmt = stmt.where(Relation.category == category)
    if type:
        stmt = stmt.where(Relation.type == type)
    found = list(session.scalars(stmt))
    holders = set(session.scalars(select(Grant.relation_id).where(
        Grant.right_id == right.id, Grant.relation_id.in_([r.id for r in found]),
        active_or_pending(on))))
    return [Candidate(r, r.id in holders) for r in found]


class BulkRefused(DomainError):
    code = "bulk_refused"
    nl = "Niets toegekend: {count} van de geselecteerde personen kunnen dit recht niet krijgen."
    en = "Nothing granted: {count} of the selected people cannot receive this right."

    def __init__(self, problems: list[tuple[Relation, DomainError]]) -> None:
        self.problems = problems
        super().__init__(count=len(problems))


def grant_many(session: Session, actor: authz.Actor, government_code: str, right_code: str,
               relation_ids: list[int], *, start: date | None = None, end: date | None = None,
               reason: str | None = None, on: date | None = None) -> list[Grant]:
    """Grant to every selected relation or to none. The caller's transaction holds it all."""
    on = on or clock.today()
    government = governments.by_code(session, government_code)
    authz.require_admin_of(session, actor, government, on)
    right = catalog.right_by_code(session, right_code)
    if not relation_ids:
        raise EmptySelection()
    wanted = set(relation_ids)
    chosen = list(session.scalars(
        select(Relation).join(Relation.person).options(contains_eager(Relation.person))
        .where(Relation.id.in_(wanted), Relation.government_id == government.id)))
    if len(chosen) != len(wanted):
        raise InvalidInput(detail="de selectie bevat relaties die niet bij dit bestuur horen")
    grants.check_right_for(session, actor, right, government, on)
    period = grants.plan_new(right, start, end, on)
    clashes = grants.overlapping(session, [r.id for r in chosen], right, period)
    problems: list[tuple[Relation, DomainError]] = [
        (r, NoOpenRelation(person=r.person.full_name, government=government.name))
        for r in chosen if not r.is_open]
    problems += [(r, grants.overlap_error(r, right, clashes[r.id]))
                 for r in chosen if r.id in clashes]
    if problems:
        raise BulkRefused(problems)
    created = grants.create_many(session, chosen, right, period, reason)
    audit.record(session, actor.rrn, *(grants.added_change(g) for g in created))
    return created
