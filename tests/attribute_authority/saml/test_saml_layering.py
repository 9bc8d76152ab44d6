"""The SAML security layer stays below both front doors: no web framework, no sibling package."""

import ast
from pathlib import Path

import attribute_authority.saml as package

FORBIDDEN = {"flask", "werkzeug", "idp_bridge", "admin_ui", "idbeheer", "sqlalchemy"}


def test_imports_stay_inside_the_layer():
    for path in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
