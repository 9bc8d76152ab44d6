"""Issue 11 point 2: the database is the SP registry's source of truth, so a registration is
served on the very next request by every worker and node.

Two all-in-one apps ("nodes") on one database, each with its own data and metadata folder
(the keys are shared, as the nodes of one deployment share them): an application registered
with `idbeheer app register` on node A signs in at node B's /idp/sso and asks node B's
/aa/soap on the very next request, with real signatures; a replaced key is used at once; a
changed metadata file is imported; junk with made-up issuers reloads nothing."""
from __future__ import annotations

import base64
import os
import secrets
import time
import zlib
from urllib.parse import quote_plus

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from support import BART, DINA, actor
from support.aa import envelope, query, read, signed
from support.admin import key_pair
from support.bridge import BASE, TestSp

from attribute_authority import audit, sp_metadata
from attribute_authority.db import unit_of_work
from attribute_authority.models import ApplicationMetadata, AuditEvent
from idbeheer.app import create_app
from idbeheer.cli import main
from idbeheer.settings import from_env

CODE = "bibliotheek"


def _env(home, url, certs):
    return {"IDBEHEER_HOME": str(home), "IDBEHEER_DATABASE_URL": url,
            "IDBEHEER_CERTS_DIR": str(certs), "IDBEHEER_METADATA_DIR": str(home / "metadata"),
            "IDBEHEER_BASE_URL": BASE}


class Node:
    def __init__(self, home, url, certs) -> None:
        self.env = _env(home, url, certs)
        self.settings = from_env(self.env)
        self.app = create_app(self.settings)
        self.client = self.app.test_client()
        self.registry = self.app.extensions["idbeheer.sp_registry"]
        self.db = self.app.extensions["idbeheer.db"]

    def sso(self, sp: TestSp):
        return self.client.get(sp.login_url())

    def sso_from(self, issuer: str):
        """An unsigned AuthnRequest from any issuer (junk from the internet)."""
        xml = (f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
               f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_{secrets.token_hex(8)}" '
               f'Version="2.0" IssueInstant="2026-01-01T00:00:00Z">'
               f'<saml:Issuer>{issuer}</saml:Issuer></samlp:AuthnRequest>').encode()
        deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
        data = base64.b64encode(deflater.compress(xml) + deflater.flush()).decode()
        return self.client.get("/idp/sso?SAMLRequest=" + quote_plus(data))

    def ask(self, issuer: str, keypair=None) -> list[str]:
        q = query(issuer, BART)
        body = envelope(signed(q, keypair) if keypair else q)
        answer = self.client.post("/aa/soap", data=body, content_type="text/xml; charset=utf-8")
        assert answer.status_code == 200
        return read(answer.data).statuses


@pytest.fixture
def nodes(databases, register, tmp_path):
    url = databases.seeded(register)
    certs = tmp_path / "certs"
    a, b = Node(tmp_path / "a", url, certs), Node(tmp_path / "b", url, certs)
    for node in (a, b):  # only an unknown issuer or key makes them look (a test may lower it)
        node.registry.check_interval = 3600
    yield a, b
    for node in (a, b):
        node.app.extensions["idbeheer.db"].kw["bind"].dispose()


def _sp(node: Node, tmp_path, keypair, code: str = CODE) -> TestSp:
    """A pysaml2 SP; it writes its metadata file to a scratch folder, not to a node's."""
    work = tmp_path / f"sp-{code}-{secrets.token_hex(3)}"
    work.mkdir()
    sp = TestSp(code, work / "metadata", keypair, node.client.get("/idp/metadata").data, work)
    sp.metadata_file = work / "metadata" / "sp" / f"{code}.xml"
    return sp


def _register(node: Node, sp: TestSp, monkeypatch) -> None:
    """`idbeheer app register` with node's settings, as an operator on that node runs it."""
    for name, value in node.env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["app", "register", CODE, "--name", "Bibliotheek",
                                       "--metadata", str(sp.metadata_file), "--as", DINA],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr


def test_a_registration_on_one_node_is_served_by_the_other_on_the_very_next_request(
        nodes, tmp_path, monkeypatch):
    a, b = nodes
    key = key_pair("bibliotheek")
    sp = _sp(b, tmp_path, key)
    for node in (a, b):  # before: both refuse, with their registries loaded and warm
        assert node.sso(sp).status_code == 400
        assert node.ask(sp.entity_id, key) == ["Requester", "RequestDenied"]
    _register(a, sp, monkeypatch)
    login = b.sso(sp)
    assert login.status_code == 302 and "/dev-eid/" in login.location
    assert b.ask(sp.entity_id, key) == ["Success"]
    assert a.sso(sp).status_code == 302 and a.ask(sp.entity_id, key) == ["Success"]
    with b.db() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "application.metadata")
                                .order_by(AuditEvent.id.desc())).first()
        assert event.actor_rrn == DINA and event.before is None
        assert event.after["entity_id"] == sp.entity_id and audit.verify(session).ok


def test_replaced_metadata_with_a_new_key_is_used_at_once_by_the_other_node(
        nodes, tmp_path, monkeypatch):
    a, b = nodes
    old, new = key_pair("oud"), key_pair("nieuw")
    sp = _sp(b, tmp_path, old)
    _register(a, sp, monkeypatch)
    assert b.ask(sp.entity_id, old) == ["Success"] and b.sso(sp).status_code == 302
    renewed = _sp(b, tmp_path, new)
    with unit_of_work(a.db) as session:
        before = sp_metadata.registry_version(session)
        sp_metadata.register_metadata(session, actor(session, DINA), CODE,
                                      renewed.metadata_file.read_bytes(),
                                      reason="sleutelwissel")
        assert sp_metadata.registry_version(session) == before + 1
    assert b.ask(sp.entity_id, new) == ["Success"]
    assert b.sso(renewed).status_code == 302
    assert b.ask(sp.entity_id, old) == ["Requester", "RequestDenied"]
    with a.db() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "application.metadata")
                                .order_by(AuditEvent.id.desc())).first()
        assert event.reason == "sleutelwissel" and event.before["sha256"] != event.after["sha256"]
        assert event.before["signing_certs"] != event.after["signing_certs"]


def test_a_changed_file_is_imported_and_an_older_file_does_not_overwrite(
        nodes, tmp_path, monkeypatch):
    a, b = nodes
    first, second, stale = (key_pair(n) for n in ("een", "twee", "oud"))
    sp = _sp(b, tmp_path, first)
    _register(a, sp, monkeypatch)
    assert b.ask(sp.entity_id, first) == ["Success"]
    # An operator replaces the file on node A: imported at A's next look (at most every 1 s).
    a.registry.check_interval = 1
    target = a.settings.metadata_dir / "sp" / f"{CODE}.xml"
    target.write_bytes(_sp(b, tmp_path, second).metadata_file.read_bytes())
    time.sleep(1.1)
    a.ask("https://unknown.example/sp")  # any request makes node A look
    assert b.ask(sp.entity_id, second) == ["Success"]
    with b.db() as session:
        row = session.get(ApplicationMetadata, CODE)
        assert row.source == "file" and row.xml == target.read_bytes()
    # A file older than the registered copy, left on node B, changes nothing.
    old_file = b.settings.metadata_dir / "sp" / f"{CODE}.xml"
    old_file.write_bytes(_sp(b, tmp_path, stale).metadata_file.read_bytes())
    long_ago = time.time() - 3600
    os.utime(old_file, (long_ago, long_ago))
    b.registry.reload()
    assert b.ask(sp.entity_id, second) == ["Success"]
    assert b.ask(sp.entity_id, stale) == ["Requester", "RequestDenied"]


def test_unknown_issuers_cost_no_reload_while_nothing_changed(nodes, monkeypatch):
    a, b = nodes
    assert b.ask("https://warm.example/sp") == ["Requester", "RequestDenied"]
    loads, looks = b.registry.loads, []
    source = b.registry.source
    monkeypatch.setattr(source, "import_files", lambda: looks.append(1) or 0)
    for _ in range(50):
        assert b.ask(f"https://{secrets.token_hex(8)}.example/sp") == ["Requester", "RequestDenied"]
        assert b.sso_from(f"https://{secrets.token_hex(8)}.example/sp").status_code == 400
    assert b.registry.loads == loads and looks == []  # no reload, no look at the folder
