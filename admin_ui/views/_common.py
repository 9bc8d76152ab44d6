"""Small helpers the views share."""
from __future__ import annotations

from flask import current_app, g, request

from attribute_authority import clock


def page_number() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def deps():
    return current_app.extensions["admin_ui"]


def today():
    return clock.today()


def status_of(message: str | None, ok: int = 200) -> int:
    """422 for a form shown again with a refusal, so the unit of work rolls back."""
    return 422 if message or g.get("refused") else ok
