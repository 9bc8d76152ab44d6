"""Issue 13 p. 15: the sign-in pages (dev_eid's stand-in, the bridge's capacity, sign-out and
error pages) share the admin UI's look: one stylesheet (uikit), served by each web part under
its own prefix, and no page styles itself."""
import lxml.html
import pytest

import uikit
from idbeheer.app import create_app
from idbeheer.settings import from_env

PATHS = ["/admin/static/look.css", "/idp/static/look.css", "/dev-eid/static/look.css"]


@pytest.fixture(scope="module")
def client(databases, register, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("look")
    settings = from_env({"IDBEHEER_HOME": str(tmp / "var"),
                         "IDBEHEER_DATABASE_URL": databases.seeded(register),
                         "IDBEHEER_BASE_URL": "http://localhost",
                         "IDBEHEER_METADATA_DIR": str(tmp / "metadata"),
                         "IDBEHEER_CERTS_DIR": str(tmp / "certs")})
    return create_app(settings).test_client()


def test_one_stylesheet_served_under_each_prefix(client):
    expected = (uikit.STATIC / uikit.STYLESHEET).read_bytes()
    for path in PATHS:
        answer = client.get(path)
        assert answer.status_code == 200 and answer.mimetype == "text/css", path
        assert answer.data == expected, path


def _styles(html: bytes) -> tuple[list[str], int]:
    doc = lxml.html.fromstring(html)
    return doc.xpath("//link[@rel='stylesheet']/@href"), len(doc.xpath("//style"))


def test_admin_dev_eid_and_bridge_pages_link_it(client):
    dev_eid = client.get("/admin/", follow_redirects=True)  # through the bridge to dev_eid
    assert dev_eid.request.path == "/dev-eid/sso" and dev_eid.status_code == 200
    pages = {"/dev-eid/static/look.css": dev_eid.data,
             "/admin/static/look.css": client.get("/admin/signed-out").data,
             "/idp/static/look.css": client.get("/idp/slo").data}  # nobody signed in here
    refused = client.get("/idp/sso")  # no SAML message: the bridge's error page
    assert refused.status_code == 400
    for href, html in [*pages.items(), ("/idp/static/look.css", refused.data)]:
        assert _styles(html) == ([href], 0)
        assert b'class="top"' in html and b'id="content"' in html  # the same header and main
