"""The migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from attribute_authority.db import make_engine
from attribute_authority.models import Base


def test_migrated_schema_matches_models(fresh_url):
    engine = make_engine(fresh_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_0011_lets_application_idbeheer_accept_any_capacity_and_records_it(databases, register):
    """A database seeded before /account/ existed (idbeheer: employee only) is upgraded to
    `any`, with the change in the audit trail; downgrading restores it."""
    from alembic import command
    from sqlalchemy import select, update
    from sqlalchemy.orm import Session

    from attribute_authority import audit, demo
    from attribute_authority.db import alembic_config, upgrade
    from attribute_authority.models import Application, AuditEvent

    url = databases.new()
    upgrade(url, "0008")
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        demo.seed(s, register)
        s.execute(update(Application).where(Application.code == "idbeheer").values(capacity="employee"))

    def state():
        with Session(engine) as s:
            return (s.scalar(select(Application.capacity).where(Application.code == "idbeheer")),
                    [(e.action, e.before, e.after) for e in s.scalars(
                        select(AuditEvent).where(AuditEvent.action == "application.changed"))],
                    audit.verify(s).ok)

    upgrade(url)
    assert state() == ("any", [("application.changed", {"capacity": "employee"},
                                {"capacity": "any"})], True)
    command.downgrade(alembic_config(url), "0008")
    capacity, changes, ok = state()
    assert capacity == "employee" and len(changes) == 2 and ok
    engine.dispose()
