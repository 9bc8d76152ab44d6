"""attribute_authority knows Flask only in its front door (aa/), and never the bridge, the
admin UI or the composition root."""
import ast
from pathlib import Path

import attribute_authority as package

ROOT = Path(package.__file__).parent
NEVER = {"idp_bridge", "admin_ui", "idbeheer", "examples"}
WEB = {"flask", "werkzeug"}


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield (node.module or "").split(".")[0]


def test_dependency_direction():
    for path in ROOT.rglob("*.py"):
        in_front_door = path.relative_to(ROOT).parts[0] == "aa"
        for name in _imports(path):
            assert name not in NEVER, f"{path} imports {name}"
            assert in_front_door or name not in WEB, f"{path} imports {name}"


def test_only_the_blueprint_knows_flask():
    for path in (ROOT / "aa").glob("*.py"):
        if path.name != "web.py":
            assert not WEB & set(_imports(path)), f"{path.name} should not need Flask"
