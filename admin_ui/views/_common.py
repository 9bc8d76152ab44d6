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


def deliver_mail() -> None:
    """Send the mails this request recorded (notices outbox), in the background, once its
    unit of work is committed; a failed send stays in the outbox for the next job run."""
    from attribute_authority import notices

    from ..request_scope import after_commit

    dependencies = deps()
    if dependencies.mailer is None:
        return
    after_commit(lambda: dependencies.run_job(
        lambda: notices.deliver(dependencies.session_factory, dependencies.mailer)))


def streamed_csv(columns, rows_of, filename: str):
    """A CSV download that streams: `rows_of(session)` runs now, in a read-only session of its
    own (so a refusal is still an answer of its own), and its rows are read while the file is
    sent, without holding the request's unit of work or a write lock on SQLite."""
    from flask import Response
    from sqlalchemy.orm import Session

    from attribute_authority.csv_export import csv_lines
    from attribute_authority.db import read_only

    session = Session(bind=read_only(deps().session_factory.kw["bind"]))
    try:
        rows = rows_of(session)
    except Exception:
        session.close()
        raise

    def lines():
        try:
            yield from csv_lines(columns, rows)
        finally:
            session.close()

    return Response(lines(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
