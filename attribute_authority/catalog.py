"""The catalog of target applications and their rights, kept by central administrators.

An application's code names its metadata file, metadata/sp/<code>.xml; its rights' codes start
with "<code>-" (DESIGN.md)."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, authz, clock, paging
from .audit import Change, snapshot
from .errors import CatalogConflict, InvalidInput, NotFound
from .models import Application, Government, Grant, Right
from .states import active_or_pending

CAPACITIES = ("employee", "citizen", "any")
CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def application_by_code(session: Session, code: str) -> Application:
    app = session.scalars(select(Application).where(Application.code == code)).first()
    if app is None:
        raise NotFound(what="Toepassing", what_en="Application", key=code)
    return app


def right_by_code(session: Session, code: str) -> Right:
    right = session.scalars(select(Right).where(Right.code == code)).first()
    if right is None:
        raise NotFound(what="Recht", what_en="Right", key=code)
    return right


def _check_code(code: str, what: str, what_en: str) -> None:
    if not CODE.match(code or "") or len(code) > 60:
        raise InvalidInput(detail=f"{what} bestaat uit kleine letters, cijfers en '-' "
                                  f"(bijvoorbeeld demo-app), niet '{code}'",
                           detail_en=f"{what_en} consists of lowercase letters, digits and '-' "
                                     f"(for example demo-app), not '{code}'")


def register_application(session: Session, actor: authz.Actor, code: str, name: str,
                         capacity: str = "employee", on: date | None = None) -> Application:
    authz.require_central(session, actor, on or clock.today())
    _check_code(code, "een toepassingscode", "an application code")
    if capacity not in CAPACITIES:
        raise InvalidInput(detail=f"hoedanigheid moet een van {', '.join(CAPACITIES)} zijn",
                           detail_en=f"capacity must be one of {', '.join(CAPACITIES)}")
    if not name.strip():
        raise InvalidInput(detail="een toepassing heeft een naam nodig",
                           detail_en="an application needs a name")
    if session.scalars(select(Application.id).where(Application.code == code)).first():
        raise CatalogConflict(detail=f"Toepassing {code} bestaat al.",
                              detail_en=f"Application {code} already exists.")
    app = Application(code=code, name=name.strip(), capacity=capacity)
    session.add(app)
    session.flush()
    audit.record(session, actor.rrn, Change("application.registered", "application", app.id,
                                            after=snapshot(app, "code", "name", "capacity")))
    return app


def update_application(session: Session, actor: authz.Actor, code: str, *, name: str,
                       capacity: str, on: date | None = None) -> Application:
    authz.require_central(session, actor, on or clock.today())
    app = application_by_code(session, code)
    if capacity not in CAPACITIES:
        raise InvalidInput(detail=f"hoedanigheid moet een van {', '.join(CAPACITIES)} zijn",
                           detail_en=f"capacity must be one of {', '.join(CAPACITIES)}")
    before = snapshot(app, "name", "capacity")
    app.name, app.capacity = name.strip() or app.name, capacity
    audit.record(session, actor.rrn, Change("application.changed", "application", app.id,
                                            before=before, after=snapshot(app, "name", "capacity")))
    return app


def add_right(session: Session, actor: authz.Actor, code: str, app_code: str, name: str,
              max_days: int, on: date | None = None) -> Right:
    authz.require_central(session, actor, on or clock.today())
    app = application_by_code(session, app_code)
    _check_code(code, "een rechtcode", "a right code")
    if not code.startswith(app.code + "-"):
        raise InvalidInput(detail=f"de code van een recht van {app.code} begint met '{app.code}-'",
                           detail_en=f"the code of a right of {app.code} must start with '{app.code}-'")
    if not isinstance(max_days, int) or not 1 <= max_days <= 3660:
        raise InvalidInput(detail="de maximale geldigheid ligt tussen 1 en 3660 dagen",
                           detail_en="the maximum validity must be between 1 and 3660 days")
    if session.scalars(select(Right.id).where(Right.code == code)).first():
        raise CatalogConflict(detail=f"Recht {code} bestaat al.",
                              detail_en=f"Right {code} already exists.")
    right = Right(code=code, application=app, name=name.strip() or code, max_days=max_days)
    session.add(right)
    session.flush()
    audit.record(session, actor.rrn, Change("right.added", "right", right.id,
                                            after={"application": app.code,
                                                   **snapshot(right, "code", "name", "max_days")}))
    return right


def set_max_days(session: Session, actor: authz.Actor, code: str, max_days: int,
                 on: date | None = None) -> Right:
    """A new maximum applies to new grants and extensions; existing periods stay as granted."""
    authz.require_central(session, actor, on or clock.today())
    right = right_by_code(session, code)
    if not 1 <= max_days <= 3660:
        raise InvalidInput(detail="de maximale geldigheid ligt tussen 1 en 3660 dagen",
                           detail_en="the maximum validity must be between 1 and 3660 days")
    before = snapshot(right, "max_days")
    right.max_days = max_days
    audit.record(session, actor.rrn, Change("right.changed", "right", right.id,
                                            before=before, after=snapshot(right, "max_days")))
    return right


class MetadataRefused(InvalidInput):
    code = "metadata_refused"
    nl = "De metadata van {app} zijn geweigerd: {why}. Kijk het bestand na en probeer opnieuw."
    en = "The metadata of {app} were refused: {why}. Check the file and try again."


def store_metadata(session: Session, actor: authz.Actor, app_code: str, xml: bytes,
                   metadata_dir: Path, on: date | None = None, *,
                   reason: str | None = None) -> Path:
    """Register an application's SAML metadata (attribute_authority.sp_metadata: checked,
    audited, served on the next request) and keep a copy as metadata/sp/<code>.xml for the
    operator; the copy is not what the server reads."""
    from samlkit.spmetadata import write_if_changed

    from . import sp_metadata

    sp = sp_metadata.register_metadata(session, actor, app_code, xml, reason=reason, on=on)
    target = metadata_dir / "sp" / f"{sp.app_code}.xml"
    write_if_changed(target, xml)
    return target


def longer_grants(session: Session, right: Right, on: date | None = None,
                  limit: int = 50) -> list[Grant]:
    """The live (active or pending) grants of a right whose period is longer than its current
    maximum: a lowered maximum leaves them valid until their end (R4 binds new periods)."""
    on = on or clock.today()
    # Day arithmetic differs per database; the live grants of one right are few enough to
    # measure here.
    live = session.scalars(select(Grant).where(Grant.right_id == right.id, active_or_pending(on))
                           .order_by(Grant.end.desc()))
    return [g for g in live if (g.end - g.start).days > right.max_days][:limit]


def applications(session: Session) -> list[Application]:
    return list(session.scalars(select(Application).order_by(Application.code)))


CENTRAL_ONLY = (authz.CENTRAL_ADMIN_RIGHT, authz.HELPDESK_RIGHT)


def rights_for(session: Session, government: Government) -> list[Right]:
    """The rights that can be granted in a government: the central organisation holds the
    service's central rights, local governments the rest (grants.check_right_for enforces)."""
    stmt = select(Right).order_by(Right.code)
    if government.kind == "central":
        stmt = stmt.where(Right.code != authz.LOCAL_ADMIN_RIGHT)
    else:
        stmt = stmt.where(Right.code.not_in(CENTRAL_ONLY))
    return list(session.scalars(stmt))


def all_rights(session: Session) -> list[Right]:
    return list(session.scalars(select(Right).order_by(Right.code)))


def applications_page(session: Session, actor: authz.Actor, on: date | None = None, page: int = 1,
                      size: int = paging.DEFAULT_SIZE) -> paging.Page[Application]:
    """The catalog, for central administrators."""
    authz.require_central(session, actor, on or clock.today())
    return paging.fetch(session, select(Application).order_by(Application.code), page, size)
