"""The national register port (R1): where names, birth date and sex come from.

The real register is reached through the federal service integrator; it cannot exist on a
developer's machine, so the embedded default and the tests use `FileRegister`, a file of test
persons behind the same port. A production adapter implements `NationalRegister` too.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from . import rrn as rrn_rules

DEMO_FILE = Path(__file__).parent / "data" / "test_persons.json"


@dataclass(frozen=True)
class RegisterRecord:
    rrn: str
    surname: str
    given_name: str
    birth_date: date | None
    sex: str | None
    language: str | None = None
    email: str | None = None


class NationalRegister(Protocol):
    def lookup(self, rrn: str) -> RegisterRecord | None:
        """The register's current record of a person, or None when it knows no such number."""


class FileRegister:
    """Test persons from a JSON file: a list of {rrn, surname, given_name, [birth_date], [sex],
    [language], [email]}. Birth date and sex default to what the number encodes."""

    def __init__(self, *paths: Path) -> None:
        self._records: dict[str, RegisterRecord] = {}
        for path in paths or (DEMO_FILE,):
            for raw in json.loads(Path(path).read_text(encoding="utf-8")):
                self.add(raw)

    def add(self, raw: dict) -> RegisterRecord:
        info = rrn_rules.parse(raw["rrn"])
        birth = raw.get("birth_date")
        record = RegisterRecord(
            rrn=info.rrn, surname=raw["surname"], given_name=raw["given_name"],
            birth_date=date.fromisoformat(birth) if birth else info.birth_date,
            sex=raw.get("sex", info.sex), language=raw.get("language"), email=raw.get("email"),
        )
        self._records[record.rrn] = record
        return record

    def lookup(self, rrn: str) -> RegisterRecord | None:
        return self._records.get(rrn_rules.normalize(rrn))

    def all(self) -> list[RegisterRecord]:
        return sorted(self._records.values(), key=lambda r: (r.surname, r.given_name))
