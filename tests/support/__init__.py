"""Shared vocabulary of the rights store tests: the demo people and their actors."""
from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from attribute_authority import authz, demo
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
