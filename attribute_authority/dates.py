"""The calendar days the service accepts: from 1900-01-01 to 2999-12-31.

Every date the service is given (a grant's start or end, a reference date, a sign-in window, a
registration date) lies in this range or is refused with `DateOutOfRange`: a form message, a
CLI line, never an OverflowError from date arithmetic. The range is wide enough for every real
period and far enough from the ends of Python's calendar (0001–9999) that the arithmetic the
rules do (a start plus a maximum of at most 3660 days, the day after a window) stays within it.
"""
from __future__ import annotations

from datetime import date

from .errors import DateOutOfRange, InvalidDate

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


def check(day: date) -> date:
    """`day` itself when the service accepts it; DateOutOfRange otherwise."""
    if not EARLIEST <= day <= LATEST:
        raise DateOutOfRange(day=day.isoformat(), earliest=EARLIEST.isoformat(),
                             latest=LATEST.isoformat())
    return day


def parse(text: str) -> date:
    """An ISO day (YYYY-MM-DD) in the accepted range; InvalidDate or DateOutOfRange otherwise."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidDate(text=text) from None
    return check(day)
