"""R16: access reviews. An administrator of a government (or a central administrator) starts a
review with a deadline; every grant active at that moment becomes an item to confirm or revoke.
Reminders go to the government's local administrators a week and a day before the deadline.
At the deadline `close_due` reports what was left unreviewed and, when the review says so,
revokes it with reason UNREVIEWED_REASON. Running the job again changes and mails nothing.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, insert, literal, select
from sqlalchemy.orm import Session, contains_eager

from . import audit, authz, clock, delegation, governments, grants, notices, paging
from .audit import Change
from .errors import DomainError, InvalidInput, NotFound
from .models import AccessReview, Grant, Relation, ReviewItem, Right
from .states import active_on, state_of

UNREVIEWED_REASON = "niet bevestigd bij herziening"
REMINDER_DAYS = (7, 1)
DECISIONS = ("confirmed", "revoked")


class ReviewAlreadyOpen(DomainError):
    code = "review_already_open"
    nl = ("Er loopt al een herziening van {government} tot en met {deadline}. Rond die eerst af "
          "of wacht tot ze sluit.")
    en = "A review of {government} is already running until {deadline}. Finish that one first."


class ReviewClosed(DomainError):
    code = "review_closed"
    nl = "Deze herziening is afgesloten op {closed}; er kan niets meer aan veranderen."
    en = "This review was closed on {closed}; it can no longer be changed."


def _check_deadline(deadline: date, on: date) -> None:
    if deadline <= on:
        raise InvalidInput(detail=f"de uiterste datum {deadline:%d-%m-%Y} moet na vandaag liggen",
                           detail_en=f"the deadline {deadline:%d-%m-%Y} must be after today")
    if deadline > on + timedelta(days=366):
        raise InvalidInput(detail="de uiterste datum ligt meer dan een jaar ver",
                           detail_en="the deadline is more than a year away")


def start(session: Session, actor: authz.Actor, government_code: str, deadline: date,
          auto_revoke: bool, on: date | None = None) -> AccessReview:
    """Open a review of every grant of the government active today; one set-based insert of
    the items, so a government of 15 000 people starts in one statement."""
    on = on or clock.today()
    government = governments.by_code(session, government_code)
    authz.require_admin_of(session, actor, government, on)
    _check_deadline(deadline, on)
    running = session.scalars(select(AccessReview).where(
        AccessReview.government_id == government.id, AccessReview.status == "open")).first()
    if running is not None:
        raise ReviewAlreadyOpen(government=government.name, deadline=f"{running.deadline:%d-%m-%Y}")
    review = AccessReview(government=government, started_by_rrn=actor.rrn, started_at=clock.now(),
                          deadline=deadline, auto_revoke=auto_revoke, status="open")
    session.add(review)
    session.flush()
    active = select(literal(review.id), Grant.id).where(Grant.government_id == government.id, active_on(on))
    session.execute(insert(ReviewItem).from_select(["review_id", "grant_id"], active))
    count = session.scalar(select(func.count()).where(ReviewItem.review_id == review.id))
    audit.record(session, actor.rrn, Change(
        "review.started", "access_review", review.id, government_id=government.id,
        after={"deadline": deadline.isoformat(), "auto_revoke": auto_revoke, "grants": count}))
    return review


def get(session: Session, actor: authz.Actor, review_id: int, on: date | None = None) -> AccessReview:
    on = on or clock.today()
    review = session.get(AccessReview, review_id)
    if review is None or not authz.scope_of(session, actor, on).covers(review.government_id):
        raise NotFound(what="Herziening", what_en="Review", key=str(review_id))
    return review


def of_government(session: Session, actor: authz.Actor, government_code: str,
                  on: date | None = None) -> list[AccessReview]:
    on = on or clock.today()
    government = governments.administered(session, actor, government_code, on)
    return list(session.scalars(select(AccessReview).where(AccessReview.government_id == government.id)
                                .order_by(AccessReview.started_at.desc())))


@dataclass(frozen=True)
class Progress:
    total: int
    confirmed: int
    revoked: int
    unreviewed: int = 0
    """left undecided at the deadline (closed reviews only; revoked then if the review said so)"""

    @property
    def open(self) -> int:
        return self.total - self.confirmed - self.revoked - self.unreviewed


def progress(session: Session, review: AccessReview) -> Progress:
    rows = dict(session.execute(select(ReviewItem.decision, func.count())
                                .where(ReviewItem.review_id == review.id)
                                .group_by(ReviewItem.decision)).all())
    total = sum(rows.values())
    return Progress(total, rows.get("confirmed", 0), rows.get("revoked", 0),
                    rows.get("unreviewed", 0))


@dataclass(frozen=True)
class ItemFilter:
    application: str | None = None
    category: str | None = None
    decision: str | None = None
    """None: all; 'open': not decided yet; or one of DECISIONS / 'unreviewed'."""


def items(session: Session, actor: authz.Actor, review_id: int, flt: ItemFilter = ItemFilter(),
          page: int = 1, size: int = paging.DEFAULT_SIZE) -> paging.Page[ReviewItem]:
    review = get(session, actor, review_id)
    conditions = [ReviewItem.review_id == review.id]
    if flt.application:
        conditions.append(Right.application.has(code=flt.application))
    if flt.category:
        conditions.append(Relation.category == flt.category)
    if flt.decision == "open":
        conditions.append(ReviewItem.decision.is_(None))
    elif flt.decision:
        conditions.append(ReviewItem.decision == flt.decision)
    stmt = (select(ReviewItem).join(ReviewItem.grant).join(Grant.relation).join(Relation.person)
            .join(Grant.right).join(Right.application)
            .options(contains_eager(ReviewItem.grant).contains_eager(Grant.relation)
                     .contains_eager(Relation.person),
                     contains_eager(ReviewItem.grant).contains_eager(Grant.right)
                     .contains_eager(Right.application))
            .where(*conditions)
            # in the order of uq_review_item_review_grant: a page stops after its rows instead
            # of sorting every item of the review first
            .order_by(ReviewItem.grant_id))
    # Counted with only the joins a filter needs: every item has its grant, relation, person,
    # right and application, so leaving the others out counts the same rows.
    count = select(func.count(ReviewItem.id)).select_from(ReviewItem)
    if flt.application or flt.category:
        count = count.join(ReviewItem.grant)
    if flt.application:
        count = count.join(Grant.right)
    if flt.category:
        count = count.join(Grant.relation)
    return paging.fetch(session, stmt, page, size, count=count.where(*conditions))


def decide(session: Session, actor: authz.Actor, review_id: int, item_ids: Iterable[int],
           decision: str, reason: str | None = None, on: date | None = None) -> int:
    """Confirm or revoke the chosen items of an open review; returns how many changed. A
    grant that is no longer active (revoked or expired meanwhile) is recorded as such."""
    on = on or clock.today()
    if decision not in DECISIONS:
        raise InvalidInput(detail=f"onbekende beslissing '{decision}'",
                           detail_en=f"unknown decision '{decision}'")
    review = get(session, actor, review_id, on)
    if review.status != "open":
        closed = clock.local_day(review.closed_at) if review.closed_at else on
        raise ReviewClosed(closed=f"{closed:%d-%m-%Y}")
    authz.require_admin_of(session, actor, review.government, on)
    ids = sorted({int(i) for i in item_ids})
    if not ids:
        raise InvalidInput(detail="kies minstens één toekenning", detail_en="choose at least one grant")
    chosen = list(session.scalars(select(ReviewItem).where(
        ReviewItem.review_id == review.id, ReviewItem.id.in_(ids))))
    if len(chosen) != len(ids):
        raise NotFound(what="Toekenning in deze herziening", what_en="Grant in this review",
                       key=", ".join(map(str, ids)))
    changed = 0
    for item in chosen:
        if item.decision == decision:
            continue
        if decision == "revoked" and state_of(item.grant, on) in ("active", "pending"):
            grants.revoke(session, actor, item.grant_id, reason or "herroepen bij herziening", on)
        item.decision, item.decided_by_rrn, item.decided_at = decision, actor.rrn, clock.now()
        audit.record(session, actor.rrn, Change(
            f"review.{decision}", "review_item", item.id, person_id=item.grant.relation.person_id,
            government_id=review.government_id, after={"review": review.id, "grant": item.grant_id},
            reason=reason or None))
        changed += 1
    return changed


def _reviewers(session: Session, review: AccessReview, on: date) -> list[tuple[int, str]]:
    """(person id, address) of the government's local administrators."""
    out = []
    for admin in delegation.active_local_admins(session, review.government_id, on):
        address = session.scalar(select(Relation.email).where(
            Relation.person_id == admin.id, Relation.government_id == review.government_id,
            Relation.ended_on.is_(None)))
        if address:
            out.append((admin.id, address))
    return out


def remind_due(session: Session, on: date | None = None) -> int:
    """Queue the reminders owed on `on` (a week and a day before each open review's deadline);
    the notice keys make a second run owe nothing."""
    on = on or clock.today()
    days = [on + timedelta(days=d) for d in REMINDER_DAYS]
    queued = 0
    for review in session.scalars(select(AccessReview).where(
            AccessReview.status == "open", AccessReview.deadline.in_(days))):
        left = progress(session, review).open
        left_days = (review.deadline - on).days
        subject = (f"Herziening van {review.government.name}: nog {left} toekenning(en) te "
                   f"beoordelen, uiterlijk {review.deadline:%d-%m-%Y}")
        body = (f"Beste lokale beheerder,\n\nDe herziening van de rechten bij "
                f"{review.government.name} sluit over {left_days} dag(en), op "
                f"{review.deadline:%d-%m-%Y}. Er wachten nog {left} toekenningen op bevestiging."
                + ("\nWat dan niet bevestigd is, wordt herroepen." if review.auto_revoke else "")
                + "\n\nOpen de herziening in Gebruikersbeheer lokale besturen.\n")
        for person_id, address in _reviewers(session, review, on):
            queued += notices.queue(session, "review", f"review:{review.id}:{left_days}:{person_id}",
                                    review.government_id, address, subject, body, on)
    return queued


@dataclass
class CloseReport:
    closed: int = 0
    unreviewed: int = 0
    revoked: int = 0


def close_due(session: Session, on: date | None = None) -> CloseReport:
    """Close every open review whose deadline has come: unreviewed items are marked, revoked
    when the review says so, and the reviewers get the outcome. Idempotent."""
    on = on or clock.today()
    report = CloseReport()
    for review in session.scalars(select(AccessReview).where(
            AccessReview.status == "open", AccessReview.deadline <= on).with_for_update()):
        left = list(session.scalars(select(ReviewItem).where(
            ReviewItem.review_id == review.id, ReviewItem.decision.is_(None))))
        # Named before revoking: an unconfirmed local-administrator grant is revoked too, and
        # its holder must still hear about the outcome.
        reviewers = _reviewers(session, review, on)
        revoked = 0
        for item in left:
            item.decision = "unreviewed"
            if review.auto_revoke and state_of(item.grant, on) in ("active", "pending"):
                grants.revoke_by_system(session, item.grant, UNREVIEWED_REASON, on)
                revoked += 1
        review.status, review.closed_at, review.unreviewed = "closed", clock.now(), len(left)
        audit.record(session, None, Change(
            "review.closed", "access_review", review.id, government_id=review.government_id,
            after={"unreviewed": len(left), "revoked": revoked}))
        subject = f"Herziening van {review.government.name} afgesloten: {len(left)} niet beoordeeld"
        body = (f"Beste lokale beheerder,\n\nDe herziening van {review.government.name} is "
                f"afgesloten op {on:%d-%m-%Y}. {len(left)} toekenningen werden niet beoordeeld"
                + (f"; {revoked} daarvan zijn herroepen ({UNREVIEWED_REASON})." if review.auto_revoke
                   else "; ze blijven geldig.")
                + "\nHet verslag staat bij de herziening in Gebruikersbeheer lokale besturen.\n")
        for person_id, address in reviewers:
            notices.queue(session, "review", f"review:{review.id}:closed:{person_id}",
                          review.government_id, address, subject, body, on)
        report.closed += 1
        report.unreviewed += len(left)
        report.revoked += revoked
    return report


REPORT_COLUMNS = ("rrn", "name", "right", "application", "category", "start", "end", "decision",
                  "decided_by", "decided_at")


def report_rows(session: Session, actor: authz.Actor, review_id: int) -> Iterator[dict]:
    """The review's outcome, row by row (streamed to CSV). Access is checked here, before the
    first row, so a refusal is an answer of its own and not a broken download."""
    return _report_rows(session, get(session, actor, review_id))


def _report_rows(session: Session, review: AccessReview) -> Iterator[dict]:
    stmt = (select(ReviewItem).join(ReviewItem.grant).join(Grant.relation).join(Relation.person)
            .join(Grant.right).join(Right.application)
            .options(contains_eager(ReviewItem.grant).contains_eager(Grant.relation)
                     .contains_eager(Relation.person),
                     contains_eager(ReviewItem.grant).contains_eager(Grant.right)
                     .contains_eager(Right.application))
            .where(ReviewItem.review_id == review.id).order_by(ReviewItem.id)
            .execution_options(yield_per=500))
    for item in session.scalars(stmt):
        grant, relation = item.grant, item.grant.relation
        yield {"rrn": relation.person.rrn, "name": relation.person.full_name,
               "right": grant.right.code, "application": grant.right.application.code,
               "category": relation.category, "start": grant.start.isoformat(),
               "end": grant.end.isoformat(), "decision": item.decision or "open",
               "decided_by": item.decided_by_rrn or "",
               "decided_at": item.decided_at.isoformat(timespec="minutes") if item.decided_at else ""}
