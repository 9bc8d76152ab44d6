"""Fixtures of the composition root's tests: the CLI run in-process on a database of its own."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from attribute_authority.db import make_engine, session_factory
from idbeheer.cli import main


@pytest.fixture
def cli_url(databases, register) -> str:
    """The CLI tests' database: migrated, with the demo data (what `seed-demo` loads)."""
    return databases.seeded(register)


@pytest.fixture
def cli(cli_url, tmp_path, monkeypatch):
    """`cli("grants", …)` runs the idbeheer CLI on a fresh database with the demo data;
    `cli.db()` opens a session on that database to look at what a command wrote."""
    monkeypatch.setenv("IDBEHEER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("IDBEHEER_DATABASE_URL", cli_url)
    monkeypatch.setenv("IDBEHEER_METADATA_DIR", str(tmp_path / "metadata"))
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.stderr
        return result

    engine = make_engine(cli_url)
    run.db = session_factory(engine)
    yield run
    engine.dispose()
