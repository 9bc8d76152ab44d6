"""Small helpers the views share."""
from __future__ import annotations

from flask import current_app, g, request
from werkzeug.routing import IntegerConverter

from attribute_authority import clock
from attribute_authority.db import MAX_ROW_ID


class RowId(IntegerConverter):
    """`<id:name>` in a route: a row id (1 up to what the databases hold); any other number
    does not match the route, so it is a 404 rather than an error of the database driver."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        super().__init__(url_map, min=1, max=MAX_ROW_ID)


def row_id(text: str) -> int | None:
    """A row id a form names in ASCII digits, or None for anything else: "²" passes
    str.isdigit but not int(), and a number past MAX_ROW_ID is no row of ours."""
    if not (text.isascii() and text.isdecimal() and len(text) <= len(str(MAX_ROW_ID))):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ROW_ID else None


def page_number() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def deps():
    return current_app.extensions["admin_ui"]


def today():
    return clock.today()


def status_of(message: str | None, ok: int = 200) -> int:
    """422 for a form shown again with a refusal, so the unit of work rolls back."""
    return 422 if message or g.get("refused") else ok
