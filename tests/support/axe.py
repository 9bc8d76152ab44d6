"""axe-core, the accessibility rules engine, for the browser tests (#13.16).

Fetched once from the npm registry with npm's own client (`npm pack axe-core@VERSION`) into a
cache folder, `IDBEHEER_AXE_CACHE` (default `~/.cache/lb-idbeheer/axe`). The tarball's
SHA-512 must equal both the registry's `dist.integrity` for that version and the one pinned
here, so a changed package on the registry or a corrupted cache fails loudly instead of
scanning with something else. Later runs read the cache and need no network.

axe.run needs JavaScript: scan in a JavaScript-enabled context. axe is evaluated through
Playwright (the DevTools protocol), not added as a <script> element, so our
Content-Security-Policy, which rightly refuses injected script, need not be bypassed: the
pages are scanned, and work, under the policy they are served with."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

VERSION = "4.14.1"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
# WCAG 2.1 A and AA plus axe's best practices (landmarks, one h1, region). Serious and critical
# violations fail a test, as issue 13 p. 16 asks; so do moderate ones (a page outside every
# landmark), since every page passes without them and should stay so. Minor ones are reported.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING = ("moderate", "serious", "critical")


def cache_dir() -> Path:
    return Path(os.environ.get("IDBEHEER_AXE_CACHE") or Path.home() / ".cache" / "lb-idbeheer" / "axe")


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


class AxeUnavailable(RuntimeError):
    pass


def _npm(*args: str, cwd: Path) -> str:
    npm = shutil.which("npm")
    if not npm:
        raise AxeUnavailable("npm is needed once to fetch axe-core from the npm registry")
    done = subprocess.run([npm, *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    if done.returncode:
        raise AxeUnavailable(f"npm {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def tarball(folder: Path | None = None) -> Path:
    """The verified axe-core tarball in the cache, fetched when missing."""
    folder = folder or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"axe-core-{VERSION}.tgz"
    if not path.exists():
        registry = json.loads(_npm("view", f"axe-core@{VERSION}", "dist.integrity", "--json", cwd=folder))
        if registry != INTEGRITY:
            raise AxeUnavailable(f"the registry's integrity of axe-core@{VERSION} is {registry}, "
                                 f"not the pinned {INTEGRITY}")
        _npm("pack", f"axe-core@{VERSION}", "--silent", cwd=folder)
    found = integrity_of(path.read_bytes())
    if found != INTEGRITY:
        path.unlink()
        raise AxeUnavailable(f"{path} has integrity {found}, not {INTEGRITY}: removed, fetch again")
    return path


def source(folder: Path | None = None) -> str:
    """axe.min.js of the verified tarball."""
    with tarfile.open(tarball(folder)) as tar:
        member = tar.extractfile("package/axe.min.js")
        assert member is not None
        return member.read().decode("utf-8")


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.impact} {self.rule}: {self.help} at {', '.join(self.targets[:5])}"


def scan(page, script: str) -> list[Violation]:
    """Every violation axe finds on the page as it is now (its context must run JavaScript)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(script)  # as DevTools runs it: past the page's CSP, which stays in force
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [Violation(v["id"], v.get("impact") or "", v["help"],
                      tuple(" ".join(map(str, n["target"])) for n in v["nodes"]))
            for v in result["violations"]]


def failing(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.impact in FAILING]


def assert_accessible(page, script: str) -> None:
    """No failing violation on the page as it is now (the message lists them with the URL)."""
    found = failing(scan(page, script))
    assert not found, f"{page.url}:\n" + "\n".join(map(str, found))
