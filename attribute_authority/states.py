"""R5: the state of a grant on a reference day D, in Python and in SQL; one place for both.

revoked (revoked at or before D) comes first, then active (one of the grant's periods holds
D), pending (not yet: a later period ends on or after D) and expired (end < D). The periods
(models.GrantPeriod), not the grant's latest start, say what held on a past day: an extension
never rewrites the days before it."""
from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, exists, or_

from .errors import InvalidInput
from .models import Grant, GrantPeriod

STATES = ("pending", "active", "expired", "revoked")
# The FAQ's words: toegekend, herroepen, in afwachting.
STATE_NL = {"pending": "in afwachting", "active": "toegekend", "expired": "verlopen",
            "revoked": "herroepen"}
STATE_EN = {"pending": "pending", "active": "granted", "expired": "expired", "revoked": "revoked"}


def periods_of(grant: Grant) -> list[tuple[date, date]]:
    """The days the grant is in force; a grant not yet flushed is its own one period."""
    return [(p.start, p.end) for p in grant.periods] or [(grant.start, grant.end)]


def state_of(grant: Grant, on: date) -> str:
    if grant.revoked_on is not None and grant.revoked_on <= on:
        return "revoked"
    if any(start <= on <= end for start, end in periods_of(grant)):
        return "active"
    if grant.end >= on:
        return "pending"
    return "expired"


def held_on(on) -> ColumnElement[bool]:
    """One of the grant's periods holds the day (index ix_grant_period_grant_start)."""
    return exists().where(GrantPeriod.grant_id == Grant.id, GrantPeriod.start <= on,
                          GrantPeriod.end >= on)


def not_revoked(on: date) -> ColumnElement[bool]:
    return or_(Grant.revoked_on.is_(None), Grant.revoked_on > on)


def state_condition(state: str, on: date) -> ColumnElement[bool]:
    if state == "revoked":
        return and_(Grant.revoked_on.is_not(None), Grant.revoked_on <= on)
    if state == "pending":
        return and_(not_revoked(on), Grant.end >= on, ~held_on(on))
    if state == "active":
        return and_(not_revoked(on), Grant.end >= on, held_on(on))
    if state == "expired":
        return and_(not_revoked(on), Grant.end < on)
    raise InvalidInput(detail=f"status moet een van {', '.join(STATES)} zijn",
                       detail_en=f"status must be one of {', '.join(STATES)}")


def active_on(on: date) -> ColumnElement[bool]:
    return state_condition("active", on)


def active_or_pending(on: date) -> ColumnElement[bool]:
    """R3: what keeps a relation from ending."""
    return and_(not_revoked(on), Grant.end >= on)
