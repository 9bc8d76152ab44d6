"""R1: national register (RRN) and BIS numbers.

Eleven digits: YYMMDD, a three-digit serial (odd for men, even for women), and two check
digits, 97 - (first nine digits mod 97). For people born in 2000 or later the check is computed
over "2" followed by the nine digits. BIS numbers add 20 (sex unknown) or 40 (sex known) to the
month. A birth month or day of 00 means "unknown" and is valid.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from .errors import InvalidRrn


@dataclass(frozen=True)
class RrnInfo:
    rrn: str
    is_bis: bool
    birth_year: int
    birth_month: int | None
    birth_day: int | None
    sex: str | None  # "M", "F" or None when a BIS number was issued without it

    @property
    def birth_date(self) -> date | None:
        if self.birth_month and self.birth_day:
            return date(self.birth_year, self.birth_month, self.birth_day)
        return None


def normalize(raw: str) -> str:
    """Strip the usual separators ("85.07.30-033.28", "850730 033 28")."""
    return "".join(ch for ch in raw.strip() if ch not in ".- ")


def parse(raw: str) -> RrnInfo:
    """Validate and decode a number; raise InvalidRrn with the reason."""
    rrn = normalize(raw)
    if len(rrn) != 11 or not rrn.isascii() or not rrn.isdigit():
        raise InvalidRrn(rrn=raw, why="niet 11 cijfers", why_en="not 11 digits")
    body, check = int(rrn[:9]), int(rrn[9:])
    if 97 - body % 97 == check:
        century = 1900
    elif 97 - int("2" + rrn[:9]) % 97 == check:
        century = 2000
    else:
        raise InvalidRrn(rrn=raw, why="controlegetal klopt niet", why_en="the check digits are wrong")
    yy, mm, dd, serial = int(rrn[0:2]), int(rrn[2:4]), int(rrn[4:6]), int(rrn[6:9])
    is_bis = False
    sex_known = True
    if mm >= 40:
        mm, is_bis = mm - 40, True
    elif mm >= 20:
        mm, is_bis, sex_known = mm - 20, True, False
    if mm > 12:
        raise InvalidRrn(rrn=raw, why="ongeldige maand", why_en="invalid month")
    year = century + yy
    if mm == 0:
        if dd != 0 and not is_bis:
            raise InvalidRrn(rrn=raw, why="dag zonder maand", why_en="a day without a month")
    elif dd > calendar.monthrange(year, mm)[1]:
        raise InvalidRrn(rrn=raw, why="ongeldige dag", why_en="invalid day")
    if not 1 <= serial <= 997:
        raise InvalidRrn(rrn=raw, why="ongeldig volgnummer", why_en="invalid serial number")
    sex = ("M" if serial % 2 else "F") if sex_known else None
    return RrnInfo(rrn, is_bis, year, mm or None, dd or None, sex)


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except InvalidRrn:
        return False
    return True


def make(birth: date, serial: int, *, bis: str | None = None) -> str:
    """Build a valid number (test persons, benchmarks). bis: None, "unknown-sex" or "known-sex"."""
    month = birth.month + {None: 0, "unknown-sex": 20, "known-sex": 40}[bis]
    nine = f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{serial:03d}"
    base = int(("2" if birth.year >= 2000 else "") + nine)
    return f"{nine}{97 - base % 97:02d}"
