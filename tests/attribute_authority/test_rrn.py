"""R1: national register and BIS numbers."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attribute_authority import rrn
from attribute_authority.errors import InvalidRrn


@pytest.mark.parametrize("number,bis,year,sex", [
    ("85073003328", False, 1985, "M"),
    ("01091204695", False, 2001, "F"),   # born 2000+: check over "2" + nine digits
    ("88421013756", True, 1988, "M"),    # BIS, month + 40
    ("85.07.30-033.28", False, 1985, "M"),
])
def test_valid_numbers_decode(number, bis, year, sex):
    info = rrn.parse(number)
    assert (info.is_bis, info.birth_year, info.sex) == (bis, year, sex)


def test_bis_month_plus_20_has_no_sex():
    number = rrn.make(date(1970, 6, 1), 11, bis="unknown-sex")
    assert number[2:4] == "26"
    info = rrn.parse(number)
    assert info.is_bis and info.sex is None and info.birth_month == 6


def with_check(nine: str) -> str:
    return nine + f"{97 - int(nine) % 97:02d}"


@pytest.mark.parametrize("number,why", [
    ("8507300332", "niet 11 cijfers"),
    ("8507300332a", "niet 11 cijfers"),
    ("85073003329", "controlegetal"),
    (with_check("851330033"), "maand"),   # month 13
    (with_check("850230033"), "dag"),     # 30 February
    (with_check("856230033"), "maand"),   # BIS month 62 - 40 = 22
    ("85073000028", "controlegetal"),
])
def test_invalid_numbers_are_refused_with_reason(number, why):
    with pytest.raises(InvalidRrn) as refused:
        rrn.parse(number)
    assert why in refused.value.params["why"]


def test_impossible_day_with_valid_check_digits():
    nine = "850230033"
    number = nine + f"{97 - int(nine) % 97:02d}"
    with pytest.raises(InvalidRrn, match="invalid day") as refused:
        rrn.parse(number)
    assert "(ongeldige dag)" in refused.value.message("nl")


def test_serial_000_is_refused():
    nine = "850730000"
    with pytest.raises(InvalidRrn):
        rrn.parse(nine + f"{97 - int(nine) % 97:02d}")


def test_2000_rule_is_not_applied_to_older_numbers():
    # The same nine digits with the 1900 check digits decode as 1901, with the 2000 ones as 2001.
    nine = "010912046"
    old = nine + f"{97 - int(nine) % 97:02d}"
    new = nine + f"{97 - int('2' + nine) % 97:02d}"
    assert rrn.parse(old).birth_year == 1901
    assert rrn.parse(new).birth_year == 2001


births = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
serials = st.integers(min_value=1, max_value=997)
kinds = st.sampled_from([None, "unknown-sex", "known-sex"])


@given(births, serials, kinds)
def test_made_numbers_round_trip(birth, serial, kind):
    number = rrn.make(birth, serial, bis=kind)
    info = rrn.parse(number)
    assert info.birth_date == birth
    assert info.is_bis == (kind is not None)
    assert info.sex == (None if kind == "unknown-sex" else ("M" if serial % 2 else "F"))


@given(births, serials, st.integers(min_value=0, max_value=8), st.integers(min_value=1, max_value=9))
def test_a_single_wrong_digit_is_caught(birth, serial, position, delta):
    number = rrn.make(birth, serial)
    digit = (int(number[position]) + delta) % 10
    typo = number[:position] + str(digit) + number[position + 1:]
    try:
        info = rrn.parse(typo)
    except InvalidRrn:
        return
    # mod 97 catches every single-digit change within a century; the typo can only pass by
    # landing on the other century's check, which then decodes to a different birth year.
    assert info.birth_year != birth.year
