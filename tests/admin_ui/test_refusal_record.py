"""#10.2: `g.refused` holds what refused the request (a DomainError, the CSRFError, or a
`Refusal` with status and reason), never a bare `True`; while it is set the request changes
nothing."""
import ast
from pathlib import Path

import pytest
from flask import g
from flask_wtf.csrf import CSRFError
from support import AN, BART, MERELBEKE, actor, counts
from support.admin import post, sign_in, sign_in_answer

from admin_ui.refusal import Refusal
from attribute_authority import relations
from attribute_authority.errors import DomainError

ADMIN_UI = Path(__file__).resolve().parents[2] / "admin_ui"


@pytest.fixture
def refusals(app):
    """The `g.refused` of every request the client makes, in order."""
    seen = []

    @app.after_request
    def _record(response):
        seen.append(g.get("refused"))
        return response

    return seen


def test_a_nul_character_is_recorded_as_such(client, refusals):
    assert client.get("/admin/people?q=a\x00b").status_code == 400
    assert refusals[-1] == Refusal(400, "nul_character")


def test_a_forged_form_token_is_recorded_as_the_csrf_error(client, db, refusals):
    sign_in(client, AN, MERELBEKE)
    rel = relations.find_open(db, actor(db, AN), BART, MERELBEKE)
    before = counts(db)
    answer = client.post(f"/admin/relations/{rel.id}/edit", data={"csrf_token": "forged"})
    assert answer.status_code == 400
    assert isinstance(refusals[-1], CSRFError)
    assert counts(db) == before


def test_no_administrator_role_is_recorded_as_such(client, refusals):
    sign_in_answer(client, BART, MERELBEKE)
    assert client.get("/admin/").status_code == 403
    assert refusals[-1] == Refusal(403, "no_role")


def test_a_domain_refusal_is_recorded_as_the_domain_error(client, db, refusals):
    sign_in(client, AN, MERELBEKE)
    before = counts(db)
    answer = post(client, "/admin/people/00000000000/edit", {"language": "fr"})
    assert answer.status_code == 404
    assert isinstance(refusals[-1], DomainError)
    assert counts(db) == before


def test_a_request_that_goes_through_records_no_refusal(client, refusals):
    sign_in(client, AN, MERELBEKE)
    assert client.get("/admin/people").status_code == 200
    assert refusals[-1] is None


def test_no_module_sets_g_refused_to_a_flag():
    for path in ADMIN_UI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    assert not (isinstance(target, ast.Attribute) and target.attr == "refused"), \
                        f"{path.relative_to(ADMIN_UI)}:{node.lineno} sets g.refused = {node.value.value!r}"
