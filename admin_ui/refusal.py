"""What refused a request, kept in `g.refused`: while it is set, the request's unit of work
rolls back (request_scope._commit). It holds the refusal itself, never a bare flag: the
domain's `DomainError`, the form token's `CSRFError`, or a `Refusal` where no error object says
why (a NUL character, no administrator role, a form with errors, a refused sign-in message)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import g
from flask_wtf.csrf import CSRFError

from attribute_authority.errors import DomainError


@dataclass(frozen=True)
class Refusal:
    status: int  # the HTTP status of the answer
    reason: str  # a short fixed code: "nul_character", "no_role", "form_errors", ...


def refuse(refusal: DomainError | CSRFError | Refusal) -> None:
    """Mark this request as refused by `refusal` (the unit of work rolls back)."""
    g.refused = refusal
