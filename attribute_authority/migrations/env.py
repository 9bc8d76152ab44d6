"""Alembic environment: runs the migrations against the URL the caller configured."""
from alembic import context
from sqlalchemy import pool

from attribute_authority.db import make_engine
from attribute_authority.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
if not url:
    raise RuntimeError("sqlalchemy.url is not configured (attribute_authority.db.upgrade sets it)")
engine = make_engine(url, poolclass=pool.NullPool)
sqlite = url.startswith("sqlite")
with engine.connect() as connection:
    if sqlite:
        # Batch migrations rebuild a table (copy, drop, rename). With foreign keys on, dropping
        # a table that others reference fails (e.g. grant, referenced by notice), so SQLite's
        # own procedure turns them off, which only works outside a transaction, and checks
        # them before committing.
        driver = connection.connection.driver_connection
        assert driver is not None  # an open connection has its DBAPI connection
        driver.execute("PRAGMA foreign_keys=OFF")
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=sqlite)
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration leaves foreign keys broken: {broken[:5]}")
engine.dispose()
