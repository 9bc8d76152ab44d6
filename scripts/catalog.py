"""Update a web part's English catalog: extract every marked string of its code and templates,
keep the translations already in its .po, list what is new (untranslated).

    python scripts/catalog.py admin_ui          # rewrites admin_ui's .po, prints what is new
    python scripts/catalog.py idp_bridge        # the bridge's (dev_eid, a test stand-in, skipped)

Exit status 1 while any string lacks its English translation.
"""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def translated(value) -> bool:
    """A translation is there: a string, or every form of a plural (a tuple)."""
    return all(value) if isinstance(value, tuple) else bool(value)
_CODE = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


class Target:
    """One web part's catalog: its package folder, its gettext domain, what to extract."""

    def __init__(self, package: str, domain: str, method_map: tuple[tuple[str, str], ...]) -> None:
        self.package, self.domain, self.method_map = package, domain, method_map

    @property
    def po(self) -> Path:
        return ROOT / self.package / "translations" / "en" / "LC_MESSAGES" / f"{self.domain}.po"

    def extract(self) -> set[str]:
        found = set()
        for _file, _line, message, _comments, _context in extract_from_dir(
                str(ROOT / self.package), method_map=list(self.method_map), keywords=KEYWORDS,
                options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}):
            if isinstance(message, tuple):  # ngettext: (singular, plural); gettext: (id, None)
                message = message if len(message) > 1 and message[1] else message[0]
            found.add(message)
        return found

    def load(self) -> dict[str, str]:
        if not self.po.exists():
            return {}
        with self.po.open("rb") as fh:
            return {m.id: m.string for m in read_po(fh) if m.id}

    def write(self, translations: dict[str, str]) -> None:
        # Fixed dates and no fuzzy header: rewriting an unchanged catalog changes nothing.
        stamp = datetime(2026, 1, 1, tzinfo=timezone.utc)
        catalog = Catalog(locale="en", domain=self.domain, project=f"lb-idbeheer {self.package}",
                          fuzzy=False, creation_date=stamp, revision_date=stamp,
                          last_translator="lb-idbeheer", language_team="lb-idbeheer")
        for msgid in sorted(translations, key=lambda m: m if isinstance(m, tuple) else (m,)):
            string = translations[msgid]
            if isinstance(msgid, tuple) and not isinstance(string, tuple):
                string = (string, string)
            catalog.add(msgid, string)
        self.po.parent.mkdir(parents=True, exist_ok=True)
        with self.po.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, sort_output=True)


TARGETS = {
    "admin_ui": Target("admin_ui", "admin_ui", tuple(_CODE)),
    "idp_bridge": Target("idp_bridge", "messages", (("dev_eid/**", "ignore"), *_CODE)),
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in TARGETS:
        print(f"usage: python scripts/catalog.py {'|'.join(TARGETS)}", file=sys.stderr)
        return 2
    target = TARGETS[argv[0]]
    known, wanted = target.load(), target.extract()
    target.write({m: known.get(m, "") for m in wanted})
    missing = sorted((m for m in wanted if not translated(known.get(m, ""))), key=str)
    for m in missing:
        print(m)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
