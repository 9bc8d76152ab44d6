"""examples/demo_app/sso.py signs in through the bridge like a real target application."""
import importlib.util
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from support import BART, MERELBEKE
from support.bridge import form_of, sp_metadata_xml

SSO = Path(__file__).resolve().parents[2] / "examples" / "demo_app" / "sso.py"


def load_sso():
    spec = importlib.util.spec_from_file_location("demo_app_sso", SSO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_app_signs_in_and_shows_the_rights(bridge, bridge_keys):
    entity, acs = "http://localhost/demo-app/metadata", "http://localhost/demo-app/acs"
    (bridge.metadata_dir / "sp").mkdir(parents=True, exist_ok=True)
    (bridge.metadata_dir / "sp" / "demo-app.xml").write_text(
        sp_metadata_xml(entity, acs, "http://localhost/demo-app/slo", bridge_keys["testsp"]))
    idp = bridge.app.test_client()
    demo = Flask("demo")
    load_sso().register_sso(demo, base_url="http://localhost", entity_id=entity,
                            keypair=bridge_keys["testsp"], fetch=lambda url: idp.get(urlsplit(url).path).data)
    app_client = demo.test_client()
    login = app_client.get("/login")
    browser = bridge.browser()
    to_dev_eid = browser.get(login.headers["Location"].removeprefix("http://localhost"))
    page = browser.get(to_dev_eid.headers["Location"].removeprefix("http://localhost"))
    autopost = browser.submit(page.data, rrn=BART, method="eid")
    browser.submit(autopost.data)
    answer = browser.choose(MERELBEKE)
    action, fields = form_of(answer.data)
    assert action == acs
    assert app_client.post("/acs", data=fields).status_code == 303
    me = app_client.get("/me").get_data(as_text=True)
    assert "Bart Claes" in me and f"demo-app-reader@{MERELBEKE}" in me and "eID" in me
    assert app_client.post("/acs", data=fields).status_code == 400  # no outstanding request left
