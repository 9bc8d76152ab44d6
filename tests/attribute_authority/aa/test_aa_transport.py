"""Production answers over HTTPS only; behind the proxy, X-Forwarded-Proto tells (ProxyFix,
trusted only when IDBEHEER_TRUSTED_PROXIES says so)."""
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from support import BART
from support.aa import envelope, query, read, signed

from idbeheer.app import create_app
from idbeheer.settings import from_env
from samlkit.keys import ensure_dev_keypair, self_signed_keypair

XML = "text/xml; charset=utf-8"


def _production_keys(certs):
    certs.mkdir(parents=True, exist_ok=True)
    # the app mounts the bridge and the admin UI too
    for name in ("aa", "aa-encryption", "idp", "sp", "sp-encryption", "admin", "oidc"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pair = self_signed_keypair(key, f"production {name}", days=30)
        (certs / f"{name}.key").write_bytes(pair.key_pem)
        (certs / f"{name}.crt").write_bytes(pair.cert_pem)


@pytest.fixture
def production_app(aa_server, tmp_path):
    certs = tmp_path / "certs"
    _production_keys(certs)
    settings = from_env({
        "IDBEHEER_MODE": "production", "IDBEHEER_HOME": str(tmp_path),
        "IDBEHEER_SECRET_KEY": "x" * 40, "IDBEHEER_DATABASE_URL": aa_server.settings.database_url,
        "IDBEHEER_CERTS_DIR": str(certs), "IDBEHEER_METADATA_DIR": str(aa_server.settings.metadata_dir),
        "IDBEHEER_BASE_URL": "https://idbeheer.example.be", "IDBEHEER_TRUSTED_PROXIES": "1",
        "IDBEHEER_REDIS_URL": "redis://127.0.0.1:6379/15", "IDBEHEER_SMTP_URL": "smtp://127.0.0.1:25",
    })
    return create_app(settings)


def _query(aa_server, destination=None):
    return envelope(signed(query(aa_server.demo.entity_id, BART, destination=destination),
                           aa_server.demo.keypair))


def test_production_refuses_plain_http(production_app, aa_server):
    reply = production_app.test_client().post("/aa/soap", data=_query(aa_server), content_type=XML)
    assert reply.status_code == 403 and b"Fault" in reply.data and b"Assertion" not in reply.data
    spoofed = production_app.test_client().post("/aa/soap", data=_query(aa_server), content_type=XML,
                                                headers={"X-Forwarded-Proto": "http"})
    assert spoofed.status_code == 403


def test_production_answers_https_behind_the_proxy(production_app, aa_server):
    reply = production_app.test_client().post(
        "/aa/soap", data=_query(aa_server, "https://idbeheer.example.be/aa/soap"), content_type=XML,
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "idbeheer.example.be"})
    assert reply.status_code == 200 and read(reply.data).statuses == ["Success"]


def test_production_answers_direct_https(production_app, aa_server):
    reply = production_app.test_client().post("/aa/soap", data=_query(aa_server), content_type=XML,
                                              base_url="https://idbeheer.example.be")
    assert reply.status_code == 200 and read(reply.data).statuses == ["Success"]


def test_production_refuses_development_keys(aa_server, tmp_path):
    for role in ("idp", "sp", "sp-encryption", "admin", "oidc"):  # every role's key is a development key here
        ensure_dev_keypair(aa_server.settings.certs_dir, role, f"dev {role}")
    settings = from_env({
        "IDBEHEER_MODE": "production", "IDBEHEER_HOME": str(tmp_path),
        "IDBEHEER_SECRET_KEY": "x" * 40, "IDBEHEER_DATABASE_URL": aa_server.settings.database_url,
        "IDBEHEER_CERTS_DIR": str(aa_server.settings.certs_dir),
        "IDBEHEER_METADATA_DIR": str(aa_server.settings.metadata_dir),
        "IDBEHEER_BASE_URL": "https://idbeheer.example.be",
        "IDBEHEER_REDIS_URL": "redis://127.0.0.1:6379/15", "IDBEHEER_SMTP_URL": "smtp://127.0.0.1:25"})
    with pytest.raises(Exception, match="development key"):
        create_app(settings)


def test_demo_mode_answers_plain_http(aa_server):
    assert read(aa_server.post(_query(aa_server)).content).statuses == ["Success"]


@pytest.mark.parametrize("content_type", ["text/xml", "text/xml; charset=utf-8", "TEXT/XML;charset=UTF-8",
                                          'application/soap+xml; charset=utf-8; action="x"'])
def test_a_query_declared_xml_is_answered(aa_server, content_type):
    reply = aa_server.post(_query(aa_server), **{"Content-Type": content_type})
    assert reply.status_code == 200 and read(reply.content).statuses == ["Success"]


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain",
                                          "application/xml", "multipart/form-data; boundary=x",
                                          "text/xmlx", ""])
def test_any_other_content_type_is_415_and_answers_nothing(aa_server, content_type):
    """A form POST from a browser page (a cross-site form can send text/plain or a form
    type, never text/xml) does not reach the SAML layer at all."""
    reply = aa_server.post(_query(aa_server), **{"Content-Type": content_type})
    assert reply.status_code == 415 and b"Fault" in reply.content and b"Assertion" not in reply.content
