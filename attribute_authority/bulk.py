"""R10: one right to many people of one government at once, all or nothing.

The administrator first sees the candidates (open relations filtered by category and type),
selects, sets the period and reason once, and confirms. Any refusal refuses the whole batch.

A government can have thousands of candidates (Antwerpen: ~16 000 relations), so the list is
read a page at a time and the choice is kept server-side in a `BulkSelection`, one per bulk
operation: either the relations ticked page by page (at most MAX_SELECTED), or "all matching
the filter", which is resolved again when the grant is confirmed. The administrator confirms
a count; if the resolved selection no longer has that count, nothing is granted and the
new count is shown (`SelectionChanged`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session, contains_eager

from . import audit, authz, catalog, clock, governments, grants, paging
from .errors import DomainError, EmptySelection, InvalidInput, NoOpenRelation, NotFound
from .models import BulkSelection, Government, Grant, Person, Relation, Right
from .states import active_or_pending

PAGE_SIZE = 50
MAX_SELECTED = 1000
"""Ticked one by one, page by page; more than this is "all matching the filter"."""
SELECTION_KEPT = timedelta(days=1)
"""An abandoned selection is removed when its actor opens a new one after this long."""


@dataclass(frozen=True)
class Candidate:
    relation: Relation
    holds_already: bool
    """Already holds the right now or from a later day: selecting them would be refused."""


def _where(government_id: int, category: str | None, type: str | None) -> list:
    found = [Relation.government_id == government_id, Relation.ended_on.is_(None)]
    if category:
        found.append(Relation.category == category)
    if type:
        found.append(Relation.type == type)
    return found


def _open_relations(government_id: int, category: str | None, type: str | None) -> Select:
    return (select(Relation).join(Relation.person).options(contains_eager(Relation.person))
            .where(*_where(government_id, category, type))
            .order_by(Person.surname, Person.given_name, Relation.id))


def _holders(right: Right, on: date) -> Select:
    return select(Grant.relation_id).where(Grant.right_id == right.id, active_or_pending(on))


def _eligible(government_id: int, right: Right, category: str | None, type: str | None,
              on: date) -> Select:
    """The candidates that may be selected: those that do not hold the right already."""
    return _open_relations(government_id, category, type).where(
        Relation.id.not_in(_holders(right, on)))


def _eligible_ids(government_id: int, right: Right, category: str | None, type: str | None,
                  on: date) -> Select:
    return select(Relation.id).where(*_where(government_id, category, type),
                                     Relation.id.not_in(_holders(right, on)))


def _as_candidates(session: Session, found: list[Relation], right: Right,
                   on: date) -> list[Candidate]:
    holders = set(session.scalars(_holders(right, on).where(
        Grant.relation_id.in_([r.id for r in found])))) if found else set()
    return [Candidate(r, r.id in holders) for r in found]


def _scope(session: Session, actor: authz.Actor, government_code: str, right_code: str,
           on: date | None) -> tuple[Government, Right, date]:
    """The government (which the actor must administer), the right, and the day."""
    on = on or clock.today()
    government = governments.by_code(session, government_code)
    authz.require_admin_of(session, actor, government, on)
    return government, catalog.right_by_code(session, right_code), on


def candidates(session: Session, actor: authz.Actor, government_code: str, right_code: str,
               *, category: str | None = None, type: str | None = None,
               on: date | None = None) -> list[Candidate]:
    government, right, on = _scope(session, actor, government_code, right_code, on)
    found = list(session.scalars(_open_relations(government.id, category, type)))
    return _as_candidates(session, found, right, on)


def candidates_page(session: Session, actor: authz.Actor, government_code: str,
                    right_code: str, *, category: str | None = None, type: str | None = None,
                    on: date | None = None, page: int = 1,
                    size: int | None = None) -> paging.Page[Candidate]:
    """One page of `candidates`; `eligible` on the page tells how many can be selected."""
    government, right, on = _scope(session, actor, government_code, right_code, on)
    found = paging.fetch(session, _open_relations(government.id, category, type), page,
                         size or PAGE_SIZE)
    return paging.Page(_as_candidates(session, found.items, right, on), found.total,
                       found.number, found.size)


def count_matching(session: Session, actor: authz.Actor, government_code: str,
                   right_code: str, *, category: str | None = None, type: str | None = None,
                   on: date | None = None) -> int:
    """How many candidates of the filter can be selected ("all N matching the filter")."""
    government, right, on = _scope(session, actor, government_code, right_code, on)
    return _count(session, _eligible_ids(government.id, right, category, type, on))


def count_eligible(session: Session, selection: BulkSelection, on: date | None = None) -> int:
    return _count(session, _eligible_ids_of(session, selection, on or clock.today()))


def _count(session: Session, stmt: Select) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _eligible_of(session: Session, selection: BulkSelection, on: date) -> Select:
    right = catalog.right_by_code(session, selection.right_code)
    return _eligible(selection.government_id, right, selection.category, selection.type, on)


def _eligible_ids_of(session: Session, selection: BulkSelection, on: date) -> Select:
    right = catalog.right_by_code(session, selection.right_code)
    return _eligible_ids(selection.government_id, right, selection.category, selection.type, on)


class SelectionTooLarge(DomainError):
    code = "selection_too_large"
    nl = ("U kunt hoogstens {max} personen één voor één aanvinken. Kies 'alle personen die "
          "aan de filter voldoen' of verfijn de filter.")
    en = ("You can tick at most {max} people one by one. Choose 'everyone matching the "
          "filter' or narrow the filter.")


class SelectionChanged(DomainError):
    code = "selection_changed"
    nl = ("Niets toegekend: de selectie telt intussen {count} personen in plaats van "
          "{expected}. Bekijk de lijst opnieuw en bevestig dan.")
    en = ("Nothing granted: the selection now counts {count} people instead of {expected}. "
          "Look at the list again, then confirm.")


def open_selection(session: Session, actor: authz.Actor, government_code: str,
                   right_code: str, *, category: str | None = None, type: str | None = None,
                   on: date | None = None) -> BulkSelection:
    """A new, empty selection for one bulk operation of this actor."""
    government, _right, on = _scope(session, actor, government_code, right_code, on)
    now = clock.now()
    session.execute(delete(BulkSelection).where(BulkSelection.actor_rrn == actor.rrn,
                                                BulkSelection.updated_at < now - SELECTION_KEPT))
    selection = BulkSelection(government_id=government.id, actor_rrn=actor.rrn,
                              right_code=right_code, category=category or None,
                              type=type or None, all_matching=False, relation_ids=[],
                              updated_at=now)
    session.add(selection)
    session.flush()
    return selection


def selection_of(session: Session, actor: authz.Actor, selection_id: int,
                 on: date | None = None) -> BulkSelection:
    """The actor's own selection, while they act for its government (NotFound otherwise)."""
    on = on or clock.today()
    selection = session.get(BulkSelection, selection_id)
    if selection is None or selection.actor_rrn != actor.rrn or (
            actor.acting_for is not None and actor.acting_for != selection.government_id):
        raise NotFound(what="Selectie", what_en="Selection", key=str(selection_id))
    authz.require_admin_of(session, actor, session.get_one(Government,
                                                           selection.government_id), on)
    return selection


def update_selection(session: Session, actor: authz.Actor, selection_id: int,
                     shown: list[int], ticked: list[int],
                     on: date | None = None) -> BulkSelection:
    """What one page of candidates says: of the relations `shown` on it, exactly `ticked`
    are selected. A ticked relation that is not a selectable candidate of the filter (another
    government's, already holding the right, ended) refuses the whole update."""
    on = on or clock.today()
    selection = selection_of(session, actor, selection_id, on)
    ticked_set = set(ticked)
    if ticked_set:
        valid = set(session.scalars(
            _eligible_ids_of(session, selection, on).where(Relation.id.in_(ticked_set))))
        if valid != ticked_set:
            raise InvalidInput(detail="de selectie bevat relaties die niet bij deze filter "
                                      "of dit bestuur horen",
                               detail_en="the selection holds relations outside this filter "
                                         "or this government")
    if selection.all_matching:
        return selection
    kept = [i for i in selection.relation_ids if i not in set(shown)]
    chosen = kept + sorted(ticked_set - set(kept))
    if len(chosen) > MAX_SELECTED:
        raise SelectionTooLarge(max=MAX_SELECTED)
    selection.relation_ids = chosen
    selection.updated_at = clock.now()
    return selection


def select_all_matching(session: Session, actor: authz.Actor, selection_id: int,
                        everyone: bool, on: date | None = None) -> BulkSelection:
    """Choose every candidate of the filter (resolved at confirm time), or nobody."""
    selection = selection_of(session, actor, selection_id, on)
    selection.all_matching, selection.relation_ids = everyone, []
    selection.updated_at = clock.now()
    return selection


def chosen_page(session: Session, actor: authz.Actor, selection_id: int,
                on: date | None = None, page: int = 1,
                size: int | None = None) -> paging.Page[Relation]:
    """The people the selection stands for now, a page at a time (the review before the
    confirmation)."""
    on = on or clock.today()
    selection = selection_of(session, actor, selection_id, on)
    return paging.fetch(session, _chosen(session, selection, on), page, size or PAGE_SIZE)


def _chosen(session: Session, selection: BulkSelection, on: date) -> Select:
    if selection.all_matching:
        return _eligible_of(session, selection, on)
    return (select(Relation).join(Relation.person).options(contains_eager(Relation.person))
            .where(Relation.id.in_(selection.relation_ids or [-1]),
                   Relation.government_id == selection.government_id)
            .order_by(Person.surname, Person.given_name, Relation.id))


def resolve(session: Session, selection: BulkSelection, on: date) -> list[int]:
    if selection.all_matching:
        return list(session.scalars(_eligible_ids_of(session, selection, on)))
    return list(selection.relation_ids)


def grant_selection(session: Session, actor: authz.Actor, selection_id: int, *,
                    expected: int, start: date | None = None, end: date | None = None,
                    reason: str | None = None, on: date | None = None) -> list[Grant]:
    """`grant_many` to the selection as it resolves now, when it still counts `expected`
    people (the count the administrator confirmed); the selection is then used up."""
    on = on or clock.today()
    selection = selection_of(session, actor, selection_id, on)
    ids = resolve(session, selection, on)
    if len(ids) != expected:
        raise SelectionChanged(count=len(ids), expected=expected)
    government = session.get_one(Government, selection.government_id)
    created = grant_many(session, actor, government.code, selection.right_code, ids,
                         start=start, end=end, reason=reason, on=on)
    session.delete(selection)
    session.flush()
    return created


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
    government, right, on = _scope(session, actor, government_code, right_code, on)
    if not relation_ids:
        raise EmptySelection()
    wanted = set(relation_ids)
    chosen = list(session.scalars(
        select(Relation).join(Relation.person).options(contains_eager(Relation.person))
        .where(Relation.id.in_(wanted), Relation.government_id == government.id)))
    if len(chosen) != len(wanted):
        raise InvalidInput(detail="de selectie bevat relaties die niet bij dit bestuur horen",
                           detail_en="the selection holds relations outside this government")
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
