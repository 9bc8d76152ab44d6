"""R5: the state of a grant on a reference day D, in Python and in SQL; one place for both.

revoked (revoked at or before D) comes first, then pending (start > D), active
(start <= D <= end) and expired (end < D)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, or_

from .errors import InvalidInput
from .models import Grant

STATES = ("pending", "active", "expired", "revoked")
STATE_NL = {"pending": "toekomstig", "active": "actief", "expired": "verlopen",
            "revoked": "ingetrokken"}


def state_of(grant: Grant, on: date) -> str:
    if grant.revoked_on is not None and grant.revoked_on <= on:
        return "revoked"
    if grant.start > on:
        return "pending"
    if grant.end >= on:
        return "active"
    return "expired"


def not_revoked(on: date) -> ColumnElement[bool]:
    return or_(Grant.revoked_on.is_(None), Grant.revoked_on > on)


def state_condition(state: str, on: date) -> ColumnElement[bool]:
    if state == "revoked":
        return and_(Grant.revoked_on.is_not(None), Grant.revoked_on <= on)
    if state == "pending":
        return and_(not_revoked(on), Grant.start > on)
    if state == "active":
        return and_(not_revoked(on), Grant.start <= on, Grant.end >= on)
    if state == "expired":
        return and_(not_revoked(on), Grant.end < on)
    raise InvalidInput(detail=f"status moet een van {', '.join(STATES)} zijn")


def active_on(on: date) -> ColumnElement[bool]:
    return state_condition("active", on)


def active_or_pending(on: date) -> ColumnElement[bool]:
    """R3: what keeps a relation from ending."""
    return and_(not_revoked(on), Grant.end >= on)
