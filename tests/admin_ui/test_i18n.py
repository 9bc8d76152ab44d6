"""Dutch by default, English through the language switch; the English catalog covers every
string of the code and templates (the .po is compiled in memory, so this is the only check
that it is complete)."""
import importlib.util
import re
from pathlib import Path

from support import AN, MERELBEKE
from support.admin import post, sign_in

from admin_ui import i18n

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "catalog.py"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalog_tool():
    spec = importlib.util.spec_from_file_location("catalog", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TARGETS["admin_ui"]


def test_english_catalog_translates_every_string():
    tool = _catalog_tool()
    translations = tool.load()
    missing = sorted((m for m in tool.extract()
                      if not _translated(translations.get(m, ""))), key=str)
    assert not missing, f"run scripts/catalog.py admin_ui and translate: {missing}"


def test_translations_keep_their_placeholders():
    for msgid, msgstr in _catalog_tool().load().items():
        if isinstance(msgid, tuple):  # a plural: each form keeps the placeholders
            for form in msgstr:
                assert set(PLACEHOLDER.findall(msgid[1])) <= set(PLACEHOLDER.findall(form)) | {"num"}
            continue
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(msgstr)), msgid


def _translated(value) -> bool:
    return all(value) if isinstance(value, tuple) else bool(value)


def test_catalog_compiles_in_memory():
    assert i18n.compile_catalogs()["en"].gettext("Afmelden") == "Sign out"


def test_dutch_by_default_and_english_on_request(client):
    sign_in(client, AN, MERELBEKE)
    dutch = client.get("/admin/").get_data(as_text=True)
    assert '<html lang="nl">' in dutch and "Afmelden" in dutch
    switched = post(client, "/admin/language", {"language": "en", "next": "/admin/people"})
    assert switched.location.endswith("/admin/people")
    english = client.get("/admin/").get_data(as_text=True)
    assert '<html lang="en">' in english and "Sign out" in english and "Afmelden" not in english
    refused = post(client, "/admin/people/new", {"rrn": "123"})
    assert "is not a valid national register" in refused.get_data(as_text=True)
    post(client, "/admin/language", {"language": "nl", "next": "/admin/"})
    assert "Afmelden" in client.get("/admin/").get_data(as_text=True)


def test_a_person_whose_language_is_english_gets_english_pages(client, db):
    """Without a language chosen in the browser, the person's own: An's notices language."""
    from sqlalchemy import select

    from attribute_authority.models import Person

    db.scalar(select(Person).where(Person.rrn == AN)).language = "en"
    db.commit()
    sign_in(client, AN, MERELBEKE)
    assert '<html lang="en">' in client.get("/admin/").get_data(as_text=True)
    # a language chosen in this browser before signing in stays the browser's choice
    post(client, "/admin/language", {"language": "nl", "next": "/admin/"})
    post(client, "/admin/sign-out")
    sign_in(client, AN, MERELBEKE)
    assert '<html lang="nl">' in client.get("/admin/").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    sign_in(client, AN, MERELBEKE)
    post(client, "/admin/language", {"language": "xx", "next": "https://evil.example/"})
    assert '<html lang="nl">' in client.get("/admin/").get_data(as_text=True)
