"""R16: access reviews — confirm or revoke every active grant of a government by a deadline."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support import AN, BART, CHRIS, FEMKE, MERELBEKE, NAZARETH, actor, counts

from attribute_authority import reviews, rights_query
from attribute_authority.errors import InvalidInput, NotFound
from attribute_authority.models import Grant, Notice, ReviewItem
from attribute_authority.states import active_on


def _active_count(session, government_id, on):
    return session.scalar(select(func.count()).select_from(Grant).where(
        Grant.government_id == government_id, active_on(on)))


def _start(session, today, auto_revoke=True):
    return reviews.start(session, actor(session, AN), MERELBEKE, today + timedelta(days=14),
                         auto_revoke, on=today)


def test_a_review_lists_every_active_grant_of_the_government(session, today):
    review = _start(session, today)
    assert reviews.progress(session, review).total == _active_count(session, review.government_id, today)
    page = reviews.items(session, actor(session, AN), review.id)
    assert {i.grant.relation.government_id for i in page.items} == {review.government_id}
    only_demo = reviews.items(session, actor(session, AN), review.id,
                              reviews.ItemFilter(application="demo-app"))
    assert only_demo.items and {i.grant.right.application.code for i in only_demo.items} == {"demo-app"}


def test_deadline_must_lie_ahead_and_one_review_runs_at_a_time(session, today):
    an = actor(session, AN)
    with pytest.raises(InvalidInput):
        reviews.start(session, an, MERELBEKE, today, True, on=today)
    _start(session, today)
    with pytest.raises(reviews.ReviewAlreadyOpen):
        _start(session, today)


def _item_of(session, review, rrn, right):
    return next(i for i in reviews.items(session, actor(session, AN), review.id, size=500).items
                if i.grant.relation.person.rrn == rrn and i.grant.right.code == right)


def test_revoke_in_a_review_takes_effect_at_once(session, today):
    review = _start(session, today)
    item = _item_of(session, review, CHRIS, "demo-app-admin")
    reviews.decide(session, actor(session, AN), review.id, [item.id], "revoked", on=today)
    session.flush()
    assert "demo-app-admin@44088" not in rights_query.answer(session, CHRIS, "demo-app", today).rights
    assert item.decision == "revoked"


def test_deadline_with_auto_revoke_revokes_what_is_unconfirmed_once(session, today):
    review = _start(session, today, auto_revoke=True)
    keep = _item_of(session, review, BART, "demo-app-reader")
    reviews.decide(session, actor(session, AN), review.id, [keep.id], "confirmed", on=today)
    deadline = review.deadline
    assert reviews.close_due(session, deadline - timedelta(days=1)).closed == 0
    report = reviews.close_due(session, deadline)
    assert report.closed == 1 and report.revoked == report.unreviewed > 0
    lost = _item_of(session, review, CHRIS, "demo-app-admin")
    assert lost.decision == "unreviewed" and lost.grant.revoke_reason == reviews.UNREVIEWED_REASON
    assert keep.grant.revoked_on is None
    mails = session.scalar(select(func.count()).select_from(Notice).where(Notice.kind == "review"))
    before = counts(session)
    again = reviews.close_due(session, deadline)
    assert again.closed == 0 and counts(session) == before
    assert session.scalar(select(func.count()).select_from(Notice).where(Notice.kind == "review")) == mails


def test_deadline_without_auto_revoke_only_reports(session, today):
    review = _start(session, today, auto_revoke=False)
    report = reviews.close_due(session, review.deadline)
    assert report.unreviewed > 0 and report.revoked == 0
    assert session.scalar(select(func.count()).select_from(ReviewItem).where(
        ReviewItem.review_id == review.id, ReviewItem.decision == "unreviewed")) == report.unreviewed
    assert "demo-app-admin@44088" in rights_query.answer(session, CHRIS, "demo-app", review.deadline).rights
    with pytest.raises(reviews.ReviewClosed):
        reviews.decide(session, actor(session, AN), review.id, [1], "confirmed", on=review.deadline)


def test_reminders_a_week_and_a_day_before_the_deadline_once_each(session, today):
    review = _start(session, today)
    assert reviews.remind_due(session, review.deadline - timedelta(days=8)) == 0
    assert reviews.remind_due(session, review.deadline - timedelta(days=7)) == 1
    assert reviews.remind_due(session, review.deadline - timedelta(days=7)) == 0
    assert reviews.remind_due(session, review.deadline - timedelta(days=1)) == 1


def test_another_government_never_sees_or_changes_a_review(session, today):
    review = _start(session, today)
    femke = actor(session, FEMKE)
    item = _item_of(session, review, BART, "demo-app-reader")
    for call in (lambda: reviews.get(session, femke, review.id),
                 lambda: reviews.items(session, femke, review.id),
                 lambda: reviews.decide(session, femke, review.id, [item.id], "revoked", on=today),
                 lambda: list(reviews.report_rows(session, femke, review.id))):
        with pytest.raises(NotFound):
            call()
    assert item.decision is None and item.grant.revoked_on is None
    assert reviews.of_government(session, femke, NAZARETH) == []


def test_items_of_another_review_cannot_be_decided_through_this_one(session, today):
    mine = _start(session, today)
    theirs = reviews.start(session, actor(session, FEMKE), NAZARETH, today + timedelta(days=5), True,
                           on=today)
    foreign = reviews.items(session, actor(session, FEMKE), theirs.id).items[0]
    with pytest.raises(NotFound):
        reviews.decide(session, actor(session, AN), mine.id, [foreign.id], "revoked", on=today)
    assert foreign.decision is None


def test_report_rows_name_every_item_and_its_outcome(session, today):
    review = _start(session, today)
    rows = list(reviews.report_rows(session, actor(session, AN), review.id))
    assert len(rows) == reviews.progress(session, review).total
    assert set(rows[0]) == set(reviews.REPORT_COLUMNS) and rows[0]["decision"] == "open"
