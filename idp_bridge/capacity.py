"""The single-capacity rule (R13): a session acts as citizen or as employee of one government.

The person picks from `options` (citizen, and each government with an open relation); an
application accepts a capacity according to its catalog entry (`employee`, `citizen`, `any`).
A mismatch is never mixed silently: the front door shows the switch page instead.
"""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from attribute_authority.models import Application, Government
from attribute_authority.rights_query import open_governments

from .i18n import gettext as _
from .person import CITIZEN, EMPLOYEE, Capacity

__all__ = ["CITIZEN", "EMPLOYEE", "accepts", "application_capacity", "choose", "options"]

DEFAULT_APPLICATION_CAPACITY = EMPLOYEE  # DESIGN.md: the catalog's default


def options(session: Session, rrn: str) -> list[Capacity]:
    """The capacities this person may choose, citizen first."""
    return [Capacity.citizen()] + [
        Capacity(EMPLOYEE, code, name) for code, name in open_governments(session, rrn)
    ]


def choose(session: Session, rrn: str, code: str) -> Capacity | None:
    """The capacity for a form value, or None when the person may not take it."""
    return next((c for c in options(session, rrn) if c.code == code), None)


def application_capacity(session: Session, app_code: str) -> str:
    """What the catalog says the application accepts; unknown to the catalog: the default."""
    accepted = session.scalar(_APPLICATION_CAPACITY, {"app": app_code})
    return accepted or DEFAULT_APPLICATION_CAPACITY


_APPLICATION_CAPACITY = select(Application.capacity).where(Application.code == bindparam("app"))


def accepts(application_capacity: str, capacity: Capacity) -> bool:
    if application_capacity == "any":
        return True
    if application_capacity == CITIZEN:
        return capacity.kind == CITIZEN
    return capacity.kind == EMPLOYEE


def describe_requirement(application_capacity: str) -> str:
    """For the switch page, in the request's language."""
    return {
        CITIZEN: _("als burger"),
        EMPLOYEE: _("als medewerker van een lokaal bestuur"),
        "any": _("als burger of als medewerker"),
    }.get(application_capacity, application_capacity)


def describe_requested(session: Session, code: str) -> str:
    """An application asked for this capacity (a government code or `citizen`)."""
    if code == CITIZEN:
        return _("als burger")
    name = session.scalar(select(Government.name).where(Government.code == code))
    return _("als medewerker van %(name)s (%(code)s)", name=name or code, code=code)
