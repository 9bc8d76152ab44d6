"""Every refusal speaks English too: an `InvalidInput` says its why in Dutch (`detail`) and in
English (`detail_en`), and `message("en")` uses the English one; likewise any domain error's
parameter in Dutch words (`NotFound(what="Recht", what_en="Right", ...)`). The scans read the source
of the product packages, so a new call without its English fails here, not in front of an
administrator."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from attribute_authority import governments
from attribute_authority.errors import BadJwksUri, CatalogConflict, InvalidInput, NoRedirectUri, NotFound
from attribute_authority.grants import StartInPast
from attribute_authority.models import Government

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("attribute_authority", "admin_ui", "idbeheer", "idp_bridge")


def _parsed() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
            for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


def _invalid_input_calls() -> list[tuple[str, ast.Call]]:
    return [(f"{path.relative_to(ROOT)}:{node.lineno}", node) for path, module in _parsed()
            for node in ast.walk(module) if isinstance(node, ast.Call) and _name(node.func) == "InvalidInput"]


def _domain_error_names(modules: list[tuple[Path, ast.Module]]) -> set[str]:
    """DomainError and every class of the product packages that derives from it."""
    bases = {node.name: {_name(b) for b in node.bases}
             for _, module in modules for node in ast.walk(module) if isinstance(node, ast.ClassDef)}
    names = {"DomainError"}
    while grown := {n for n, b in bases.items() if n not in names and b & names}:
        names |= grown
    return names


_WORD = re.compile(r"[^\W\d_]{2,}")


def _dutch_words(value: ast.expr) -> bool:
    """Whether a parameter's value holds words: a text in the source (format specs aside), or a
    Dutch table (`STATE_NL[...]`). Names and attributes of records are data, the same in both."""
    for node in ast.walk(value):
        if isinstance(node, ast.FormattedValue):
            node.format_spec = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _WORD.search(node.value):
            return True
        if isinstance(node, ast.Name) and node.id.endswith("_NL"):
            return True
    return False


def test_every_dutch_parameter_of_a_domain_error_has_its_english():
    modules = _parsed()
    names = _domain_error_names(modules)
    assert {"NotFound", "CatalogConflict", "InvalidRrn", "StartInPast", "BulkRefused"} <= names
    calls, lacking = 0, []
    for path, module in modules:
        for node in ast.walk(module):
            if not (isinstance(node, ast.Call) and _name(node.func) in names):
                continue
            calls += 1
            given = {k.arg: k.value for k in node.keywords if k.arg}
            for arg, value in given.items():
                if not arg.endswith("_en") and f"{arg}_en" not in given and _dutch_words(value):
                    lacking.append(f"{path.relative_to(ROOT)}:{node.lineno} {arg}")
    assert calls > 100  # the scan found the calls
    assert not lacking, f"give the English beside the Dutch (<name>_en=...) at: {lacking}"


def test_the_scan_catches_a_dutch_noun():
    assert _dutch_words(ast.parse('"Toepassing"', mode="eval").body)
    assert _dutch_words(ast.parse('f"{code} (voeg eerst toe)"', mode="eval").body)
    assert _dutch_words(ast.parse('STATE_NL[state]', mode="eval").body)
    assert not _dutch_words(ast.parse('f"{rrn} @ {code}"', mode="eval").body)
    assert not _dutch_words(ast.parse('f"{day:%d-%m-%Y}"', mode="eval").body)
    assert not _dutch_words(ast.parse('government.name', mode="eval").body)


def test_an_english_parameter_replaces_the_dutch_one_in_english_only():
    missing = NotFound(what="Toepassing", what_en="Application", key="x")
    assert missing.message("nl") == "Toepassing 'x' bestaat niet of u heeft er geen toegang toe."
    assert missing.message("en") == "Application 'x' does not exist or you have no access to it."
    taken = CatalogConflict(detail="Recht r bestaat al.", detail_en="Right r already exists.")
    assert (taken.message("nl"), str(taken)) == ("Recht r bestaat al.", "Right r already exists.")


def test_the_missing_registration_steps_in_both_languages():
    new = Government(code="x", name="Gemeente X", kind="municipality")
    assert governments.missing_registration(new)[0] == "geen algemeen directeur of griffier geregistreerd"
    assert governments.missing_registration(new, "en")[0] == "no general director or clerk registered"
    refused = governments.registration_incomplete(new)
    assert refused is not None and "no signed registration form" in refused.message("en")
    assert "geen ondertekend registratieformulier" in refused.message("nl")


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def test_every_invalid_input_names_its_detail_in_english():
    calls = _invalid_input_calls()
    assert len(calls) > 40  # the scan found the calls (a moved package would pass silently)
    lacking, untranslated = [], []
    for where, call in calls:
        given = {k.arg: k.value for k in call.keywords}
        if call.args or None in given or not {"detail", "detail_en"} <= set(given):
            lacking.append(where)
        elif ast.unparse(given["detail"]) == ast.unparse(given["detail_en"]):
            untranslated.append(where)
    assert not lacking, f"give InvalidInput(detail=..., detail_en=...) at: {lacking}"
    assert not untranslated, f"detail_en repeats the Dutch detail at: {untranslated}"


def test_the_english_message_uses_the_english_detail_and_the_dutch_stays():
    refused = InvalidInput(detail="het bestand is leeg", detail_en="the file is empty")
    assert refused.code == "invalid_input"
    assert refused.message("nl") == "Ongeldige invoer: het bestand is leeg"
    assert refused.message() == refused.message("nl")
    assert refused.message("en") == "Invalid input: the file is empty"
    assert str(refused) == "Invalid input: the file is empty"


def test_without_an_english_detail_the_dutch_one_is_shown():
    assert InvalidInput(detail="iets").message("en") == "Invalid input: iets"


def test_subclasses_keep_their_own_templates():
    assert NoRedirectUri().message("en").startswith("Invalid input: an OIDC client needs")
    jwks = BadJwksUri(what="JWKS URI", uri="http://rp.example.be/jwks")
    assert jwks.message("nl").startswith("Ongeldige invoer: JWKS URI 'http://rp.example.be/jwks'")
    assert jwks.message("en").startswith("Invalid input: JWKS URI 'http://rp.example.be/jwks'")
    assert StartInPast(start="2026-01-05").message("en") == (
        "The start date 05-01-2026 is in the past. Choose today or later.")
    assert isinstance(jwks, InvalidInput) and jwks.code == "invalid_input"
