"""Dutch by default, English on request, through Flask-Babel.

The source strings are Dutch (the service's own language); translations/en/LC_MESSAGES/
admin_ui.po holds the English. The .po files are the only catalog in git: they are compiled in
memory when the blueprint is created, so there is no .mo to build in CI, ship or forget to
rebuild. tests/admin_ui/test_i18n.py extracts every string of the code and templates and
fails when the English catalog misses one.
"""
from __future__ import annotations

from pathlib import Path

from babel import support
from flask import Flask, g
from flask_babel import Babel

import i18nkit as po_catalogs

DIRECTORY = Path(__file__).parent / "translations"
DOMAIN = "admin_ui"
LANGUAGES = {"nl": "Nederlands", "en": "English"}


def compile_catalogs() -> dict[str, support.Translations]:
    return po_catalogs.compile_catalogs(DIRECTORY, DOMAIN)


domain = po_catalogs.PoDomain(DIRECTORY, DOMAIN)
gettext = domain.gettext
lazy_gettext = domain.lazy_gettext
ngettext = domain.ngettext


def language() -> str:
    return g.get("ui_language") or "nl"


def install(app: Flask, default_language: str) -> None:
    """Give the app a Babel whose locale follows `g.ui_language` (set per request by the
    front door that serves it), unless another part installed one already."""
    if "babel" not in app.extensions:
        Babel(app, default_locale=default_language,
              locale_selector=lambda: g.get("ui_language") or default_language)
