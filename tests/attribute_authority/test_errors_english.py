"""Every refusal speaks English too: an `InvalidInput` says its why in Dutch (`detail`) and in
English (`detail_en`), and `message("en")` uses the English one. The scan reads the source of the
product packages, so a new call without `detail_en` fails here, not in front of an administrator."""
from __future__ import annotations

import ast
from pathlib import Path

from attribute_authority.errors import BadJwksUri, InvalidInput, NoRedirectUri
from attribute_authority.grants import StartInPast

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("attribute_authority", "admin_ui", "idbeheer", "idp_bridge")


def _invalid_input_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Call) and _name(node.func) == "InvalidInput":
                    calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return calls


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
