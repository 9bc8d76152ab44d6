"""Shared vocabulary of the rights store tests: the demo people and their actors."""
from __future__ import annotations

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
    """Migrate the database at url and load the demo data; returns url."""
    upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as session, session.begin():
        demo.seed(session, register)
    engine.dispose()
    return url


_REAL_NOW, _REAL_TODAY = clock.now, clock.today


def free_port() -> int:
    """A loopback port nobody listens on (for servers a test starts)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DatabaseMaker:
    """Creates databases for one test run and drops them afterwards: on the PostgreSQL server at
    `server_url` (its maintenance database), or SQLite files when that is empty.

    Migrating and seeding take most of a test's set-up time, so `seeded()` and `migrated()`
    build a template once per run (and per day and register) and hand out copies of it: a file
    copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL."""

    def __init__(self, tmp: Path, server_url: str = "") -> None:
        self.tmp = tmp
        self.server_url = server_url
        self.created: list[str] = []
        self._templates: dict[tuple, str] = {}

    def new(self, template: str | None = None) -> str:
        """An empty database, or a copy of `template` (a URL this maker handed out)."""
        name = f"idbeheer_t_{uuid.uuid4().hex[:10]}"
        if not self.server_url.startswith("postgresql"):
            path = self.tmp / (name + ".db")
            if template:
                shutil.copyfile(str(make_url(template).database), path)
            return f"sqlite:///{path}"
        copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        admin.dispose()
        self.created.append(name)
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def migrated(self) -> str:
        """A database of its own, migrated to head, without data."""
        if "migrated" not in self._templates:
            self._templates["migrated"] = url = self.new()
            upgrade(url)
        return self.new(template=self._templates["migrated"])

    def seeded(self, register) -> str:
        """A database of its own, migrated, with the demo data. The demo data is dated from
        the clock, so a test that moved the clock gets it seeded from scratch."""
        if clock.now is not _REAL_NOW or clock.today is not _REAL_TODAY:
            return seeded(self.new(), register)
        key = (id(register), clock.today())
        if key not in self._templates:
            self._templates[key] = seeded(self.new(), register)
        return self.new(template=self._templates[key])

    def drop_all(self) -> None:
        if not self.created:
            return
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
