"""Dates are Belgian: a grant "ends on 31 December" in Brussels, not in UTC."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def local_day(instant: datetime) -> date:
    """The Brussels calendar day an instant falls on (a naive instant, as SQLite returns
    stored ones, is UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(BRUSSELS).date()


def today() -> date:
    return local_day(now())
