"""mypy with a baseline: today's known errors are listed in .ci/mypy-baseline.txt, and CI fails
on any error that is not in it, and on any listed error that is gone (so the list only shrinks).

    python scripts/mypy_baseline.py            check (CI, pre-commit)
    python scripts/mypy_baseline.py --update   rewrite the baseline after fixing errors

An entry is `path: message  [code]` without the line number, so that editing a file above a
known error does not turn it into a "new" one; an entry may appear several times.
"""
from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / ".ci" / "mypy-baseline.txt"
_ERROR = re.compile(r"^(?P<path>[^:]+):\d+(?::\d+)?: error: (?P<rest>.*)$")


def current_errors() -> Counter[str]:
    """Run mypy with pyproject's [tool.mypy] and return its errors as baseline entries."""
    run = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    if run.returncode not in (0, 1):  # 2: mypy itself failed (crash, bad configuration)
        sys.stderr.write(run.stdout + run.stderr)
        raise SystemExit("mypy did not run")
    entries = Counter[str]()
    for line in run.stdout.splitlines():
        match = _ERROR.match(line)
        if match:
            entries[f"{match['path']}: {match['rest']}"] += 1
    return entries


def read_baseline() -> Counter[str]:
    if not BASELINE.exists():
        return Counter()
    return Counter(line for line in BASELINE.read_text(encoding="utf-8").splitlines() if line.strip())


def main(argv: list[str]) -> int:
    errors = current_errors()
    if "--update" in argv:
        BASELINE.parent.mkdir(exist_ok=True)
        BASELINE.write_text("".join(f"{e}\n" for e in sorted(errors.elements())), encoding="utf-8")
        print(f"mypy baseline: {sum(errors.values())} errors written to {BASELINE.relative_to(ROOT)}")
        return 0
    known = read_baseline()
    new, fixed = errors - known, known - errors
    for entry in sorted(new.elements()):
        print(f"new mypy error: {entry}")
    for entry in sorted(fixed.elements()):
        print(f"fixed, still in the baseline: {entry}")
    if fixed and not new:
        print("Fixed errors: shrink the baseline with `python scripts/mypy_baseline.py --update`.")
    if new:
        print("New mypy errors: fix them (run `python -m mypy` for the line numbers).")
    print(f"mypy: {sum(errors.values())} errors, baseline {sum(known.values())}")
    return 1 if new or fixed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
