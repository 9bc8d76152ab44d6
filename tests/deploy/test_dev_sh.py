"""scripts/dev.sh edits the system's pg_hba.conf only on a CI machine or when asked to
(IDBEHEER_FIX_PG_HBA=1); on a developer's machine it says what to run and stops (issue 10.17).

PostgreSQL's tools are stand-ins on PATH that answer "server up, password needed", and the
clusters' folder is a temporary one: the script's own logic runs, nothing of the system."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

DEV_SH = Path(__file__).resolve().parents[2] / "scripts" / "dev.sh"
TRUST = "host all postgres 127.0.0.1/32 trust"


@pytest.fixture
def machine(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    for tool, code in {"pg_isready": 0, "psql": 2, "pg_ctlcluster": 0}.items():
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> {calls}\nexit {code}\n')
        script.chmod(0o755)
    hba = tmp_path / "etc" / "16" / "main" / "pg_hba.conf"
    hba.parent.mkdir(parents=True)
    hba.write_text("local all postgres peer\n")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "IDBEHEER_FIX_PG_HBA")}
    env.update(PATH=f"{bin_dir}:{env['PATH']}", IDBEHEER_PG_ETC=str(tmp_path / "etc"))
    if os.geteuid() != 0:
        (bin_dir / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
        (bin_dir / "sudo").chmod(0o755)

    def start_postgresql(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", f'source "{DEV_SH}"; start_postgresql'],
                              env={**env, **extra}, capture_output=True, text=True, timeout=30)

    return start_postgresql, hba, calls


def test_a_developer_machine_is_told_what_to_run_and_left_alone(machine):
    start_postgresql, hba, calls = machine
    done = start_postgresql()
    assert done.returncode != 0
    assert "IDBEHEER_FIX_PG_HBA=1 bash scripts/dev.sh test" in done.stderr
    assert str(hba) in done.stderr and TRUST in done.stderr
    assert hba.read_text() == "local all postgres peer\n"
    assert "pg_ctlcluster" not in calls.read_text()


@pytest.mark.parametrize("extra", [{"CI": "true"}, {"IDBEHEER_FIX_PG_HBA": "1"}])
def test_ci_or_an_explicit_request_lets_postgres_in(machine, extra):
    start_postgresql, hba, calls = machine
    done = start_postgresql(**extra)
    assert done.returncode == 0, done.stderr
    assert hba.read_text().splitlines() == [TRUST, "local all postgres peer"]
    assert "pg_ctlcluster 16 main reload" in calls.read_text()
