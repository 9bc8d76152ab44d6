"""#10.1: the sign-in core is protocol-neutral. `idp_bridge/core.py` and the bridge modules it
builds on know no SAML message handling and none of the front ends (`downstream/`, `oidc/`), the
back end (`upstream/`), the pages (`web.py`) or dev_eid, which only the composition root builds;
the OIDC front end uses the same core as the SAML one."""
import ast
from pathlib import Path

import pytest

BRIDGE = Path(__file__).resolve().parents[2] / "idp_bridge"
# What the core may not reach: the protocol ends, the pages, the test IdP.
ENDS = {"downstream", "upstream", "oidc", "web", "mount", "dev_eid"}
# SAML messages, signatures and XML: the front and back ends' business.
SAML_HANDLING = {"lxml", "xmlsec", "samlkit.xmlsig", "samlkit.samlxml", "samlkit.bindings",
                 "samlkit.logout", "samlkit.encryption", "samlkit.xmlparse", "samlkit.sp_client"}


def _imports(module: str) -> tuple[set[str], set[str]]:
    """(absolute modules, bridge-local modules) that `idp_bridge/<module>.py` imports."""
    absolute, local = set(), set()
    tree = ast.parse((BRIDGE / f"{module}.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("idp_bridge."):
                    local.add(alias.name.split(".")[1])
                else:
                    absolute.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 1:
                local |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
            elif node.module and node.module.startswith("idp_bridge"):
                parts = node.module.split(".")
                local |= {parts[1]} if len(parts) > 1 else {a.name for a in node.names}
            elif node.module:
                absolute.add(node.module)
    return absolute, local


def _reached_from_core() -> set[str]:
    """Every bridge module or package that core.py reaches through bridge-local imports."""
    seen, todo = set(), ["core"]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        if (BRIDGE / f"{module}.py").exists():
            todo.extend(_imports(module)[1])
    return seen


def test_the_core_builds_on_plain_bridge_modules():
    reached = _reached_from_core()
    assert {"core", "person", "logout", "sessions", "trail"} <= reached
    assert not reached & ENDS


@pytest.mark.parametrize("module", sorted(m for m in _reached_from_core() if (BRIDGE / f"{m}.py").exists()))
def test_no_module_of_the_core_handles_saml_messages_or_reaches_a_protocol_end(module):
    absolute, local = _imports(module)
    assert not local & ENDS, f"idp_bridge/{module}.py imports {local & ENDS}"
    handled = {m for m in absolute if m in SAML_HANDLING or m.split(".")[0] in SAML_HANDLING}
    assert not handled, f"idp_bridge/{module}.py imports {handled}"


def test_only_the_composition_root_builds_dev_eid():
    for path in BRIDGE.rglob("*.py"):
        if "dev_eid" in path.relative_to(BRIDGE).parts:
            continue
        module = path.relative_to(BRIDGE).with_suffix("").as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] + [a.name for a in node.names]
                     if isinstance(node, ast.ImportFrom) else [])
            assert not any("dev_eid" in name for name in names), f"idp_bridge/{module} imports dev_eid"
