"""application idbeheer accepts any capacity: a civil servant without a relation signs in (as
citizen) to their own page /account/ and asks to be added (R15, issue 14)

The admin pages still need a role (admin_ui.auth.require_administrator); what changes is only
who may sign in to the service. The change is recorded in the audit trail like a catalog
change made in the admin UI (actor: the system). A database without the row (before seeding)
changes nothing; the demo catalog says "any" itself.

Revision ID: 0011
Revises: 0008
"""
from __future__ import annotations

from alembic import op
from sqlalchemy import select
from sqlalchemy.orm import Session


revision = '0011'
down_revision = '0008'
branch_labels = None
depends_on = None

_REASON = "iedere burger of medewerker mag aanmelden voor Mijn rechten (issue 14)"


def _set(capacity: str, was: str) -> None:
    from attribute_authority import audit
    from attribute_authority.audit import Change
    from attribute_authority.models import Application

    session = Session(bind=op.get_bind())
    app = session.scalars(select(Application).where(Application.code == "idbeheer")).first()
    if app is None or app.capacity != was:
        return
    app.capacity = capacity
    audit.record(session, None, Change("application.changed", "application", app.id,
                                       before={"capacity": was}, after={"capacity": capacity},
                                       reason=_REASON))
    session.flush()
    session.close()  # joined alembic's transaction: that commits it


def upgrade() -> None:
    _set("any", was="employee")


def downgrade() -> None:
    _set("employee", was="any")
