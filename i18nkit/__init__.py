"""The i18n toolkit (a leaf package): translation catalogs kept as .po files only, compiled
in memory, for the web parts (admin_ui and idp_bridge each have their own catalog and domain):
no .mo to build in CI, ship or forget to rebuild. `python scripts/catalog.py <part>` updates a
.po from the code."""
from __future__ import annotations

import io
from pathlib import Path

from babel import support
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import Domain, get_locale


def compile_catalogs(directory: Path, domain: str) -> dict[str, support.Translations]:
    """{language: translations} of every `<language>/LC_MESSAGES/<domain>.po` in `directory`."""
    catalogs = {}
    for po in sorted(directory.glob(f"*/LC_MESSAGES/{domain}.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        catalogs[po.parent.parent.name] = support.Translations(buffer, domain=domain)
    return catalogs


class PoDomain(Domain):
    """A Flask-Babel domain whose catalogs come from the .po files, compiled once."""

    def __init__(self, directory: Path, domain: str) -> None:
        super().__init__([str(directory)], domain)
        self._catalogs = compile_catalogs(directory, domain)

    def get_translations(self):
        return self._catalogs.get(str(get_locale()), support.NullTranslations())
