"""demo-app, mounted at /demo-app in demo mode, asks the AA over real HTTP and shows rights."""
import requests
from support import BART, CHRIS, HANNE, NAZARETH

from examples.demo_app import ensure_demo_app


def test_demo_page_shows_the_rights_the_aa_returns(aa_server):
    page = f"{aa_server.base_url}/demo-app/"
    assert requests.get(page, timeout=10).status_code == 200
    shown = requests.post(page, data={"rrn": BART}, timeout=10).text
    assert "demo-app-reader@44088" in shown
    scoped = requests.post(page, data={"rrn": CHRIS, "government": NAZARETH}, timeout=10).text
    assert "geen rechten" in scoped and "demo-app-admin" not in scoped
    unknown = requests.post(page, data={"rrn": HANNE}, timeout=10).text
    assert "UnknownPrincipal" in unknown


def test_demo_app_metadata_is_its_registration(aa_server):
    served = requests.get(f"{aa_server.base_url}/demo-app/metadata", timeout=10).content
    assert served == (aa_server.sp_dir / "demo-app.xml").read_bytes()
    assert f'entityID="{aa_server.base_url}/demo-app/metadata"'.encode() in served
    assert f'Location="{aa_server.base_url}/demo-app/acs"'.encode() in served


def test_ensure_demo_app_writes_once(tmp_path):
    ensure_demo_app(tmp_path / "metadata", tmp_path / "certs", "http://localhost:8000")
    target = tmp_path / "metadata" / "sp" / "demo-app.xml"
    stamp = target.stat().st_mtime_ns
    ensure_demo_app(tmp_path / "metadata", tmp_path / "certs", "http://localhost:8000")
    assert target.stat().st_mtime_ns == stamp
    assert (tmp_path / "certs" / "demo-app.key").exists()
    ensure_demo_app(tmp_path / "metadata", tmp_path / "certs", "http://127.0.0.1:9000")
    assert b"http://127.0.0.1:9000/demo-app/acs" in target.read_bytes()
