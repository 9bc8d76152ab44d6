"""The sign-in trail (R14): every sign-in attempt, kept so the helpdesk can find it.

The bridge records one row per attempt (who if known, when, how, for which application, the
outcome and a stable reason code); the admin UI's helpdesk searches it by RRN and time window.
Recording never raises for a too-long detail: a refusal must always leave its trace.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock
from .models import SignInEvent

__all__ = ["OUTCOMES", "Attempt", "record", "search"]

# success: the application received an assertion; refused: we rejected a message or a
# request (reason says which check); failed: the person did not get through upstream
# (cancelled, card error) or stopped at a rule (capacity).
OUTCOMES = ("success", "refused", "failed")


@dataclass(frozen=True)
class Attempt:
    outcome: str
    reason: str
    rrn: str | None = None
    method: str | None = None
    application: str | None = None
    capacity: str | None = None
    detail: str | None = None
    at: datetime | None = None


def record(session: Session, attempt: Attempt) -> SignInEvent:
    """Add one attempt to the trail; the caller commits (its own unit of work)."""
    if attempt.outcome not in OUTCOMES:
        raise ValueError(f"outcome {attempt.outcome!r} is not one of {OUTCOMES}")
    event = SignInEvent(
        at=_utc(attempt.at or clock.now()),
        rrn=attempt.rrn,
        method=attempt.method,
        application=(attempt.application or None) and attempt.application[:60],
        capacity=(attempt.capacity or None) and attempt.capacity[:60],
        outcome=attempt.outcome,
        reason=attempt.reason[:60],
        detail=(attempt.detail or None) and attempt.detail[:500],
    )
    session.add(event)
    return event


def search(session: Session, rrn: str, start: datetime, end: datetime) -> list[SignInEvent]:
    """The attempts of one person in [start, end], newest first (the helpdesk's question)."""
    stmt = (
        select(SignInEvent)
        .where(SignInEvent.rrn == rrn, SignInEvent.at >= _utc(start), SignInEvent.at <= _utc(end))
        .order_by(SignInEvent.at.desc(), SignInEvent.id.desc())
    )
    return list(session.scalars(stmt))


def _utc(instant: datetime) -> datetime:
    # SQLite keeps no offset: store and compare every instant in UTC so both backends agree.
    if instant.tzinfo is None:
        raise ValueError("sign-in times are timezone-aware")
    return instant.astimezone(timezone.utc)
