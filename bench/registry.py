"""What the SP registry costs a request (issue 11 point 2): a known issuer (memory), an unknown
one (one version read on the database), and the reloads junk issuers cause (none).

    PYTHONPATH=. .venv/bin/python bench/registry.py --db sqlite
    PYTHONPATH=. .venv/bin/python bench/registry.py --db postgresql \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

On PostgreSQL a database of its own is created and dropped."""
from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from attribute_authority.db import make_engine, session_factory, upgrade
from attribute_authority.sp_metadata import DatabaseSource
from samlkit.spmetadata import SpRegistry


def measure(url: str, known_n: int, unknown_n: int) -> str:
    upgrade(url)
    engine = make_engine(url)
    registry = SpRegistry(DatabaseSource(session_factory(engine)))
    registry.by_entity_id("https://warm.example/sp")
    started = time.perf_counter()
    for _ in range(known_n):
        registry.by_app_code("any")  # the path of a known issuer: memory, the 1/s poll aside
    known = (time.perf_counter() - started) / known_n
    loads = registry.loads
    started = time.perf_counter()
    for i in range(unknown_n):
        registry.by_entity_id(f"https://junk{i}.example/sp")
    unknown = (time.perf_counter() - started) / unknown_n
    engine.dispose()
    return (f"known issuer {known * 1e6:.2f} us; unknown issuer {unknown * 1e6:.0f} us; "
            f"reloads caused by {unknown_n} unknown issuers: {registry.loads - loads}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--known", type=int, default=100_000)
    parser.add_argument("--unknown", type=int, default=2_000)
    args = parser.parse_args()
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            print("sqlite:", measure(f"sqlite:///{Path(folder) / 'registry.db'}", args.known,
                                     args.unknown))
        return
    name = f"registry_bench_{secrets.token_hex(3)}"
    admin = make_engine(args.pg_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        print("postgresql:", measure(f"{args.pg_url.rsplit('/', 1)[0]}/{name}", args.known,
                                     args.unknown))
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"DROP DATABASE {name}"))
        admin.dispose()


if __name__ == "__main__":
    main()
