"""Shared vocabulary of the rights store tests: the demo people and their actors."""
from __future__ import annotations

import atexit
import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from attribute_authority import authz, clock, demo
from attribute_authority.db import make_engine, session_factory, upgrade
from attribute_authority.models import AuditEvent, Grant, Relation

AN = "85073003328"      # secretary and local administrator of Merelbeke-Melle
BART = "90021411412"    # employee of Merelbeke-Melle, demo-app-reader
CHRIS = "78010125797"   # external in Merelbeke-Melle (demo-app-admin) and Nazareth-De Pinte
DINA = "01091204695"    # central administrator
EMIL = "88421013756"    # BIS number, in the register only
FEMKE = "93051822460"   # secretary and local administrator of Nazareth-De Pinte
GEERT = "75120512328"   # employee of Nazareth-De Pinte
HANNE = "05031500291"   # in the register only
MERELBEKE, NAZARETH = "44088", "44086"


def actor(session: Session, rrn: str) -> authz.Actor:
    return authz.actor_for(session, rrn)


def counts(session: Session) -> tuple[int, int, int]:
    """(relations, grants, audit events): what a refused request must leave unchanged."""
    return tuple(session.scalar(select(func.count()).select_from(m))
                 for m in (Relation, Grant, AuditEvent))


def seeded(url: str, register) -> str:
    """Migrate the database at url and load the demo data; returns url.

    Migrating and seeding take most of a test's set-up time, so the first call for a day and
    register builds a template database and every later call copies it (a file copy on
    SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL). A test that moved the clock seeds
    from scratch: the demo data is dated from the clock."""
    if clock.now is not _REAL_NOW or clock.today is not _REAL_TODAY:
        return _seed(url, register)
    key = (make_url(url).set(database="").render_as_string(hide_password=False),
           id(register), clock.today())
    template = _TEMPLATES.get(key)
    if template is None:
        template = _TEMPLATES[key] = _seed(_sibling(url, "tmpl"), register)
    return copy_database(template, url)


def migrated(url: str) -> str:
    """Migrate the (new, empty) database at url to head; copied from a template like seeded."""
    key = (make_url(url).set(database="").render_as_string(hide_password=False), "migrated")
    template = _TEMPLATES.get(key)
    if template is None:
        template = _sibling(url, "tmpl")
        upgrade(template)
        _TEMPLATES[key] = template
    return copy_database(template, url)


def _seed(url: str, register) -> str:
    upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as session, session.begin():
        demo.seed(session, register)
    engine.dispose()
    return url


_REAL_NOW, _REAL_TODAY = clock.now, clock.today
_TEMPLATES: dict[tuple, str] = {}


def _sibling(url: str, tag: str) -> str:
    """A new database next to url's (same SQLite folder, or same PostgreSQL server)."""
    parsed = make_url(url)
    name = f"idbeheer_{tag}_{uuid.uuid4().hex[:10]}"
    if parsed.get_backend_name() == "sqlite":
        folder = Path(parsed.database or ".").parent
        return f"sqlite:///{folder / (name + '.db')}"
    admin = create_engine(_maintenance(parsed), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    _PG_TEMPLATES.append(parsed.set(database=name).render_as_string(hide_password=False))
    return _PG_TEMPLATES[-1]


def copy_database(template: str, url: str) -> str:
    """Make the database at url (new, unused) a copy of the template; returns url."""
    source, target = make_url(template), make_url(url)
    if target.get_backend_name() == "sqlite":
        shutil.copyfile(str(source.database), str(target.database))
        return url
    admin = create_engine(_maintenance(target), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        conn.execute(text(f'CREATE DATABASE "{target.database}" TEMPLATE "{source.database}"'))
    admin.dispose()
    return url


_PG_TEMPLATES: list[str] = []


def _maintenance(url):
    """The database to connect to for CREATE/DROP DATABASE on url's server: the one named by
    IDBEHEER_TEST_DATABASE_URL when that is the same server, else `postgres`."""
    given = os.environ.get("IDBEHEER_TEST_DATABASE_URL", "")
    if given.startswith("postgresql"):
        server = make_url(given)
        if (server.host, server.port) == (url.host, url.port):
            return server
    return url.set(database="postgres")


@atexit.register
def _drop_templates() -> None:
    for url in _PG_TEMPLATES:
        parsed = make_url(url)
        try:
            admin = create_engine(_maintenance(parsed), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            admin.dispose()
        except Exception:  # the server may be gone at exit (fault tests stop their own)
            pass


def free_port() -> int:
    """A loopback port nobody listens on (for servers a test starts)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DatabaseMaker:
    """Creates empty databases for one test run and drops them afterwards: on the PostgreSQL
    server at `server_url` (its maintenance database), or SQLite files when that is empty."""

    def __init__(self, tmp: Path, server_url: str = "") -> None:
        self.tmp = tmp
        self.server_url = server_url
        self.created: list[str] = []

    def new(self) -> str:
        name = f"idbeheer_t_{uuid.uuid4().hex[:10]}"
        if not self.server_url.startswith("postgresql"):
            return f"sqlite:///{self.tmp / (name + '.db')}"
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self.created:
            return
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
