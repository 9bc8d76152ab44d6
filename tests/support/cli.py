"""What the tests of the idbeheer CLI read off its answers."""
from __future__ import annotations


def refused(result) -> str:
    """The one stderr line of a refused command (exit code 1)."""
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("idbeheer: "), result.stderr
    return lines[0]
