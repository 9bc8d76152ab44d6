"""#10.16: ruff and mypy gate CI (`.ci/run` -> `scripts/dev.sh check`) and every commit
(`.pre-commit-config.yaml`); mypy runs against `.ci/mypy-baseline.txt`, which may only shrink:
a new error fails, and so does a fixed one still listed (shrink the file with --update)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_ci_runs_the_checks_before_the_tests():
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    check, tests = run.index("dev.sh check"), run.index("dev.sh test")
    assert check < tests
    assert "set -euo pipefail" in run  # a failing check stops CI before the tests


def test_the_check_runs_ruff_and_mypy_against_the_baseline():
    dev = (ROOT / "scripts" / "dev.sh").read_text(encoding="utf-8")
    body = dev[dev.index("run_checks() {"):]
    body = body[:body.index("\n}\n")]
    assert "ruff\" check ." in body
    assert "scripts/mypy_baseline.py" in body


def test_pre_commit_runs_the_same_ruff_and_the_mypy_baseline():
    config = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    pinned = re.search(r"ruff-pre-commit\s+rev: v([\d.]+)", config)
    assert pinned, "ruff's pre-commit hook is not pinned"
    assert f'"ruff=={pinned[1]}"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "entry: .venv/bin/python scripts/mypy_baseline.py" in config


@pytest.fixture
def project(tmp_path):
    """A one-module project with one type error, checked by a copy of scripts/mypy_baseline.py."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "mypy_baseline.py", tmp_path / "scripts")
    (tmp_path / "pyproject.toml").write_text('[tool.mypy]\nfiles = ["pkg"]\n', encoding="utf-8")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "pkg" / "m.py").write_text('count: int = "one"\n', encoding="utf-8")

    def baseline(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "scripts/mypy_baseline.py", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)

    return tmp_path, baseline


@pytest.mark.slow
def test_the_baseline_fails_on_a_new_error_and_on_a_fixed_one_still_listed(project):
    root, baseline = project
    new = baseline()
    assert new.returncode == 1, new.stdout + new.stderr
    assert "new mypy error: pkg/m.py: Incompatible types in assignment" in new.stdout

    assert baseline("--update").returncode == 0
    listed = (root / ".ci" / "mypy-baseline.txt").read_text(encoding="utf-8").splitlines()
    assert len(listed) == 1 and "[assignment]" in listed[0]
    assert baseline().returncode == 0  # a known error: CI passes

    (root / "pkg" / "m.py").write_text("count: int = 1\n", encoding="utf-8")
    fixed = baseline()
    assert fixed.returncode == 1
    assert "fixed, still in the baseline" in fixed.stdout
