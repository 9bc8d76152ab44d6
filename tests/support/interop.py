"""The bridge as peers that are not ours meet it: `idbeheer run` serving over real HTTP on a free
loopback port, on the test's database (SQLite or PostgreSQL), registered with as an operator
does it (the `idbeheer` command, on the same database, while the server runs), and signed in
through with a browser without JavaScript (support.http_browser) that fills dev_eid's form and
the capacity page (`support.http_browser.walk`).

No sleeps, no retries after a registration: the very next request must be served (DESIGN.md,
"Registration of target applications")."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from support import DINA, free_port
from support.bridge import form_of
from support.http_browser import HttpBrowser, walk
from support.processes import stop, tail, wait_for

IDBEHEER = Path(sys.executable).parent / "idbeheer"
TIMEOUT = 15

__all__ = ["IdbeheerServer", "hops", "redirected_to", "sign_out_at_bridge", "signed_in"]


class IdbeheerServer:
    """`idbeheer run` (demo mode: dev_eid, generated keys) at http://127.0.0.1:PORT."""

    def __init__(self, root: Path, database_url: str) -> None:
        self.root = root
        self.database_url = database_url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "IDBEHEER_HOME": str(root / "var"), "IDBEHEER_DATABASE_URL": database_url,
                    "IDBEHEER_BASE_URL": self.base, "IDBEHEER_CERTS_DIR": str(root / "certs"),
                    "IDBEHEER_METADATA_DIR": str(root / "metadata"),
                    "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                                   os.environ.get("PYTHONPATH", "")])}
        self.log = root / "idbeheer.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> IdbeheerServer:
        self.proc = subprocess.Popen([str(IDBEHEER), "run", "--host", "127.0.0.1", "--port", str(self.port)],
                                     env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        wait_for(self.base + "/healthz", self.proc, self.log)
        return self

    def stop(self) -> None:
        stop(self.proc)

    def errors(self) -> str:
        return tail(self.log)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """The `idbeheer` command on the server's database, while it serves."""
        done = subprocess.run([str(IDBEHEER), *args], env=self.env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def metadata(self, which: str = "idp") -> bytes:
        """The bridge's published metadata: `idp`, `aa`, `sp`."""
        answer = requests.get(f"{self.base}/{which}/metadata", timeout=TIMEOUT)
        assert answer.status_code == 200, answer.text[:500]
        return answer.content

    def register_saml(self, code: str, name: str, metadata_url: str, *, capacity: str = "employee",
                      right: str | None = None, holders: tuple[tuple[str, str], ...] = ()) -> bytes:
        """Register the SP whose metadata `metadata_url` publishes (as fetched, unchanged) as
        application `code` with `idbeheer app register`, and optionally its right `right`
        granted to (rrn, government) `holders`; as Dina, central administrator. Returns the
        metadata."""
        answer = requests.get(metadata_url, timeout=TIMEOUT)
        assert answer.status_code == 200, (metadata_url, answer.status_code, answer.text[:2000])
        path = self.root / f"{code}-metadata.xml"
        path.write_bytes(answer.content)
        self.cli("app", "register", code, "--name", name, "--metadata", str(path),
                 "--capacity", capacity, "--as", DINA)
        if right:
            self.cli("right", "add", right, "--app", code, "--name", right, "--max-days", "365", "--as", DINA)
            for rrn, government in holders:
                self.cli("grant", "add", rrn, government, right, "--reason", "interop test", "--as", DINA)
        return answer.content


def signed_in(url: str, rrn: str, capacity: str | None, diagnose=lambda: "") -> tuple[requests.Session, str]:
    """A browser signed in at the application page `url` (through the bridge, dev_eid and the
    capacity page, back to `url`); returns it and the page's text. `diagnose()` says what the
    peer logged, if that fails."""
    http = requests.Session()
    page = walk(HttpBrowser(http), url, rrn, capacity)
    assert page.url == url, (page.url, page.status, page.text[:800], diagnose())
    return http, page.text


def redirected_to(http: requests.Session, url: str, prefix: str, hops: int = 5) -> str:
    """Follow an application's redirects from `url` until one goes to `prefix` (the bridge's
    SSO endpoint, say) and return that URL, not followed: the request the application made."""
    for _ in range(hops):
        answer = http.get(url, allow_redirects=False, timeout=TIMEOUT)
        assert answer.status_code in (301, 302, 303, 307), (url, answer.status_code, answer.text[:800])
        url = answer.headers["Location"]
        if url.startswith(prefix):
            return url
    raise AssertionError(f"no redirect to {prefix} within {hops} hops (last: {url})")


def sign_out_at_bridge(http: requests.Session, server: IdbeheerServer) -> requests.Response:
    """The bridge's own "Afmelden": its confirmation page, then its form; redirects followed."""
    confirm = http.get(server.base + "/idp/slo", timeout=TIMEOUT)
    assert confirm.status_code == 200 and "Afmelden bij alle toepassingen?" in confirm.text, \
        confirm.text[:800]
    action, fields = form_of(confirm.content)
    return http.post(urljoin(confirm.url, action), data=fields, timeout=TIMEOUT)


def hops(answer: requests.Response) -> list[str]:
    """The paths a followed request went through, the last one included."""
    return [urlsplit(r.url).path for r in [*answer.history, answer]]
