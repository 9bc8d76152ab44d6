"""The shared toolkits are leaf packages: no web framework in the SAML one, and neither imports
a product package (DESIGN.md, "Layout and dependency direction")."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = {"attribute_authority", "idp_bridge", "admin_ui", "idbeheer", "examples"}


def _imports(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", ["samlkit", "i18nkit", "uikit"])
def test_toolkits_import_no_product_package(package):
    assert not _imports(package) & PRODUCT


def test_saml_toolkit_knows_no_web_framework_or_database():
    assert not _imports("samlkit") & {"flask", "werkzeug", "sqlalchemy"}


@pytest.mark.parametrize("package", ["attribute_authority", "idp_bridge", "admin_ui", "samlkit",
                                     "i18nkit", "uikit", "examples", "idbeheer"])
def test_no_product_module_imports_pysaml2(package):
    """pysaml2 is in the test extras only (pyproject.toml, README "SAML stacks")."""
    assert "saml2" not in _imports(package)


@pytest.mark.parametrize("package", ["attribute_authority", "idp_bridge", "admin_ui", "samlkit",
                                     "i18nkit", "uikit", "examples"])
def test_nothing_imports_the_composition_root(package):
    assert "idbeheer" not in _imports(package)
