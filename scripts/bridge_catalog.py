"""Update the IdP bridge's English catalog: extract every marked string of idp_bridge (code and
templates; dev_eid, the test stand-in of the federal IdP, stays Dutch and is skipped), keep
the translations already in translations/en/LC_MESSAGES/messages.po, list what is new.

    python scripts/bridge_catalog.py          # rewrites the .po, prints untranslated msgids
"""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "idp_bridge"
PO = PACKAGE / "translations" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}
METHODS = [("dev_eid/**", "ignore"), ("**.py", "python"), ("**/templates/**.html", "jinja2")]


def extract() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE), method_map=METHODS, keywords=KEYWORDS,
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def load() -> dict[str, str]:
    if not PO.exists():
        return {}
    with PO.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh) if m.id}


def write(translations: dict[str, str]) -> None:
    # Fixed dates and no fuzzy header, so that rewriting an unchanged catalog changes nothing.
    stamp = datetime(2026, 1, 1, tzinfo=timezone.utc)
    catalog = Catalog(locale="en", domain="messages", project="lb-idbeheer idp_bridge", fuzzy=False,
                      creation_date=stamp, revision_date=stamp,
                      last_translator="lb-idbeheer", language_team="lb-idbeheer")
    for msgid in sorted(translations):
        catalog.add(msgid, translations[msgid])
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True)


def main() -> int:
    known = load()
    wanted = extract()
    write({m: known.get(m, "") for m in wanted})
    missing = sorted(m for m in wanted if not known.get(m))
    for m in missing:
        print(m)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
