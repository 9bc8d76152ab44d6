"""Engine, sessions and migrations. One session per unit of work, opened and committed by the
caller (a request, a CLI command, a job): services never commit."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
# The largest id a row can have on both databases: ids are INTEGER columns, 32 bits on
# PostgreSQL ("integer out of range" past it), 64 on SQLite (OverflowError past that). A larger
# id a request names is no row of ours, and must not reach the database as a parameter.
MAX_ROW_ID = 2**31 - 1


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn) -> None:
    """pysqlite's own transaction handling is off (see _sqlite_pragmas); we emit BEGIN.
    A unit of work that may write takes the write lock at once (IMMEDIATE), so two writers
    queue instead of failing on lock upgrade; a read-only engine (see `read_only`) begins a
    deferred transaction and, with WAL, never waits for a writer."""
    read = conn.get_execution_options().get("idbeheer_read_only", False)
    conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")


def read_only(engine: Engine) -> Engine:
    """The same engine and pool, for units of work that only read (the AttributeQuery path)."""
    return engine.execution_options(idbeheer_read_only=True)


def query_engine(url: str, **kwargs) -> Engine:
    """An engine of its own for the AttributeQuery read, which is one statement per query.

    On PostgreSQL its connections are in AUTOCOMMIT: the statement is its own snapshot, so no
    BEGIN and ROLLBACK round trips; and there is no pool_pre_ping (another round trip per
    query): a connection that died is found by the read itself, which the caller retries once
    (see `is_disconnect`). On SQLite it is the `read_only` engine: a deferred transaction in
    WAL mode, never waiting for a writer."""
    if url.startswith("sqlite"):
        return read_only(make_engine(url, **kwargs))
    kwargs.setdefault("pool_pre_ping", False)
    return create_engine(url, isolation_level="AUTOCOMMIT", **kwargs)


def is_disconnect(error: BaseException) -> bool:
    """The database dropped the connection (restart, failover, idle kill). SQLAlchemy has
    then invalidated it and every connection of the pool opened before it, so one retry gets
    a fresh connection; when the database is really down the retry fails too."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
