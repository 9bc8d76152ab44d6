"""R10: bulk grant, all or nothing."""
from datetime import timedelta

import pytest
from support import AN, BART, CHRIS, FEMKE, MERELBEKE, NAZARETH, actor, counts

from attribute_authority import bulk, grants, people, relations
from attribute_authority.errors import EmptySelection, InvalidInput, NotAdministratorOf, NotFound
from attribute_authority.models import BulkSelection


def _staff(session, register, today, n=3):
    an = actor(session, AN)
    rrns = ["05031500291", "88421013756", "75120512328"][:n]
    for rrn in rrns:
        people.add(session, an, register, rrn, on=today)
        relations.add(session, an, rrn, MERELBEKE, category="employee", type="standard",
                      email=f"{rrn}@x.be", on=today)
    return rrns


def test_candidates_filter_by_category_and_type(session, register, today):
    _staff(session, register, today)
    an = actor(session, AN)
    employees = bulk.candidates(session, an, MERELBEKE, "demo-app-reader", category="employee",
                                on=today)
    rrns = {c.relation.person.rrn for c in employees}
    assert BART in rrns and CHRIS not in rrns
    assert next(c for c in employees if c.relation.person.rrn == BART).holds_already
    secretaries = bulk.candidates(session, an, MERELBEKE, "demo-app-reader", type="secretary", on=today)
    assert [c.relation.person.rrn for c in secretaries] == [AN]


def test_bulk_grant_creates_all_with_one_period_and_reason(session, register, today):
    rrns = _staff(session, register, today)
    an = actor(session, AN)
    chosen = [c.relation.id for c in bulk.candidates(session, an, MERELBEKE, "demo-app-reader",
                                                     on=today) if not c.holds_already]
    before = counts(session)
    made = bulk.grant_many(session, an, MERELBEKE, "demo-app-reader", chosen,
                           start=today + timedelta(days=1), end=today + timedelta(days=100),
                           reason="nieuwe dienst", on=today)
    assert {g.relation.person.rrn for g in made} >= set(rrns)
    assert {(g.start, g.end, g.reason) for g in made} == {
        (today + timedelta(days=1), today + timedelta(days=100), "nieuwe dienst")}
    after = counts(session)
    assert (after[1] - before[1], after[2] - before[2]) == (len(chosen), len(chosen))


def test_one_refusal_refuses_the_whole_batch(session, register, today):
    _staff(session, register, today)
    an = actor(session, AN)
    everyone = [c.relation.id for c in bulk.candidates(session, an, MERELBEKE, "demo-app-reader",
                                                       on=today)]
    before = counts(session)
    with pytest.raises(bulk.BulkRefused) as refused:
        bulk.grant_many(session, an, MERELBEKE, "demo-app-reader", everyone, on=today)
    assert [r.person.rrn for r, _ in refused.value.problems] == [BART]
    assert counts(session) == before


def test_too_long_period_refuses_the_batch(session, register, today):
    _staff(session, register, today, n=1)
    an = actor(session, AN)
    chosen = [c.relation.id for c in bulk.candidates(session, an, MERELBEKE, "demo-app-admin",
                                                     on=today) if not c.holds_already]
    with pytest.raises(grants.GrantTooLong):
        bulk.grant_many(session, an, MERELBEKE, "demo-app-admin", chosen,
                        end=today + timedelta(days=91), on=today)


def test_empty_selection_is_refused(session, today):
    with pytest.raises(EmptySelection):
        bulk.grant_many(session, actor(session, AN), MERELBEKE, "demo-app-reader", [], on=today)


def test_candidates_a_page_at_a_time(session, register, today):
    _staff(session, register, today)
    an = actor(session, AN)
    everyone = bulk.candidates(session, an, MERELBEKE, "demo-app-reader", on=today)
    pages = [bulk.candidates_page(session, an, MERELBEKE, "demo-app-reader", on=today,
                                  page=n, size=2) for n in (1, 2, 3)]
    assert pages[0].total == len(everyone) == 6 and pages[0].pages == 3
    assert [c.relation.id for p in pages for c in p.items] == [c.relation.id for c in everyone]
    assert bulk.count_matching(session, an, MERELBEKE, "demo-app-reader", on=today) == 5


def test_selection_by_pages_and_all_matching_then_grant(session, register, today):
    _staff(session, register, today)
    an = actor(session, AN)
    sel = bulk.open_selection(session, an, MERELBEKE, "demo-app-reader", category="employee",
                              on=today)
    first, second = bulk.candidates_page(session, an, MERELBEKE, "demo-app-reader",
                                         category="employee", on=today, size=2).items
    holder = first if first.holds_already else second
    with pytest.raises(InvalidInput):  # a holder is not selectable
        bulk.update_selection(session, an, sel.id, [holder.relation.id], [holder.relation.id],
                              today)
    bulk.select_all_matching(session, an, sel.id, True, today)
    matching = bulk.count_eligible(session, sel, today)
    assert bulk.chosen_page(session, an, sel.id, today).total == matching
    with pytest.raises(bulk.SelectionChanged):
        bulk.grant_selection(session, an, sel.id, expected=matching + 1, on=today)
    made = bulk.grant_selection(session, an, sel.id, expected=matching, on=today)
    assert len(made) == matching and session.get(BulkSelection, sel.id) is None


def test_selection_refuses_other_governments_and_other_actors(session, register, today):
    an, femke = actor(session, AN), actor(session, FEMKE)
    foreign = relations.find_open(session, an, CHRIS, MERELBEKE).id
    mine = bulk.open_selection(session, femke, NAZARETH, "demo-app-reader", on=today)
    with pytest.raises(InvalidInput):
        bulk.update_selection(session, femke, mine.id, [foreign], [foreign], today)
    theirs = bulk.open_selection(session, an, MERELBEKE, "demo-app-reader", on=today)
    with pytest.raises(NotFound):
        bulk.selection_of(session, femke, theirs.id, today)
    with pytest.raises(NotAdministratorOf):
        bulk.open_selection(session, femke, MERELBEKE, "demo-app-reader", on=today)
