"""admin_ui and idp_bridge never import each other (DESIGN.md); admin_ui's views hold no
queries of their own (every read and rule is in attribute_authority)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
    return found


def test_admin_ui_never_imports_idp_bridge_and_back():
    assert not {m for m in _imports("admin_ui") if m.split(".")[0] == "idp_bridge"}
    assert not {m for m in _imports("idp_bridge") if m.split(".")[0] == "admin_ui"}


def test_views_do_not_build_queries():
    assert not {m for m in _imports("admin_ui") if m.split(".")[0] == "sqlalchemy"
                and m not in ("sqlalchemy.orm",)}
