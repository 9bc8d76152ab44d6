"""Production shape: gunicorn processes sharing Redis and the database. A sign-in started on
one worker completes on the other (outstanding requests, dev_eid state and sessions are in
Redis, never in a worker's memory)."""
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from support import BART, MERELBEKE
from support.bridge import (
    NO_SIGN_IN_LIMITS,
    TestSp,
    attributes_of,
    form_of,
    saml_response_of,
    sp_metadata_xml,
)

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, env: dict) -> subprocess.Popen:
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    proc = subprocess.Popen([gunicorn, "-w", "1", "-b", f"127.0.0.1:{port}", "idbeheer.wsgi:app"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for _ in range(150):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    pytest.fail(f"gunicorn did not start: {proc.stdout.read().decode()[-2000:]}")


@pytest.fixture
def two_workers(tmp_path, demo_url, redis_client, bridge_keys):
    port_a, port_b = free_port(), free_port()
    base = f"http://127.0.0.1:{port_a}"
    env = {**os.environ, "IDBEHEER_HOME": str(tmp_path / "home"), "IDBEHEER_DATABASE_URL": demo_url,
           "IDBEHEER_REDIS_URL": os.environ.get("IDBEHEER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
           "IDBEHEER_BASE_URL": base, "IDBEHEER_CERTS_DIR": str(tmp_path / "certs"),
           "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata"), "IDBEHEER_SECRET_KEY": "two-workers",
           **NO_SIGN_IN_LIMITS, "PYTHONPATH": str(ROOT)}
    # Registered before the workers start, as an operator would; TestSp rewrites the same file.
    # (Not as demo-app: the all-in-one app writes that file for the shipped demo-app.)
    (tmp_path / "metadata" / "sp").mkdir(parents=True)
    (tmp_path / "metadata" / "sp" / "workers-app.xml").write_text(sp_metadata_xml(
        "https://workers-app.example.test/sp", "https://workers-app.example.test/acs",
        "https://workers-app.example.test/slo", bridge_keys["testsp"]))
    first = start_gunicorn(port_a, env)
    second = start_gunicorn(port_b, env)
    idp_metadata = requests.get(base + "/idp/metadata").content
    sp = TestSp("workers-app", tmp_path / "metadata", bridge_keys["testsp"], idp_metadata, tmp_path,
                idp_entity_id=base + "/idp/metadata")
    yield base, f"http://127.0.0.1:{port_b}", sp
    for proc in (first, second):
        proc.terminate()
        proc.wait(10)


def test_flow_started_on_one_worker_completes_on_the_other(two_workers):
    a, b, sp = two_workers
    browser = requests.Session()

    def on(base, url):  # send the next hop to the given worker, whatever host the URL names
        parts = urlsplit(url)
        return base + parts.path + ("?" + parts.query if parts.query else "")

    to_dev_eid = browser.get(on(a, sp.login_url()), allow_redirects=False)
    assert to_dev_eid.status_code == 302, to_dev_eid.text[:500]
    page = browser.get(on(b, to_dev_eid.headers["Location"]))
    action, fields = form_of(page.content)
    autopost = browser.post(on(a, action), data={**fields, "rrn": BART, "method": "token"})
    action, fields = form_of(autopost.content)
    acs = browser.post(on(b, action), data=fields, allow_redirects=False)
    assert acs.status_code == 303, acs.text[:500]
    choice = browser.get(on(a, "/idp/capacity"))
    action, fields = form_of(choice.content)
    browser.post(on(b, "/idp/capacity"), data={**fields, "capacity": MERELBEKE}, allow_redirects=False)
    answer = browser.get(on(a, "/idp/capacity"))
    attributes = attributes_of(sp.consume(saml_response_of(answer.content)))
    assert attributes["rrn"] == [BART] and attributes["authnMethod"] == ["token"]
    assert attributes["government"] == [MERELBEKE]
