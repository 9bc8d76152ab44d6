"""Issue 11.1: every EntityDescriptor we publish follows SAML2Int (DESIGN.md, "Metadata"):
schema-valid, the algorithms we accept (SHA-256 and stronger only), AES-GCM and RSA-OAEP on
every encryption key, validUntil/cacheDuration; the IdP's with mdui names, errorURL and the
scope of its subject identifiers."""
from __future__ import annotations

import datetime as dt
from importlib.resources import files

import pytest
import saml2.data.schemas
from lxml import etree
from saml2.xml.schema import _create_xml_schema_validator

from idbeheer.app import create_app
from idbeheer.settings import from_env
from samlkit.mdprofile import ALG, MDUI, SHIBMD
from samlkit.samlxml import MD, parse_instant
from samlkit.spmetadata import parse_idp_metadata, parse_sp_metadata
from samlkit.xmlsig import DIGEST_METHODS, SIGNATURE_METHODS

BASE = "http://localhost"
PUBLISHED = ["/idp/metadata", "/sp/metadata", "/aa/metadata", "/admin/metadata",
             "/dev-eid/metadata", "/demo-app/metadata"]
XENC11 = "http://www.w3.org/2009/xmlenc11#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture(scope="module")
def client(databases, register, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("published")
    settings = from_env({"IDBEHEER_HOME": str(tmp / "var"),
                         "IDBEHEER_DATABASE_URL": databases.seeded(register),
                         "IDBEHEER_BASE_URL": BASE, "IDBEHEER_SCOPE": "Idbeheer.Example.BE",
                         "IDBEHEER_METADATA_DIR": str(tmp / "metadata"),
                         "IDBEHEER_CERTS_DIR": str(tmp / "certs")})
    test_client = create_app(settings).test_client()
    test_client.metadata_dir = settings.metadata_dir
    return test_client


@pytest.fixture(scope="module")
def schema():
    return _create_xml_schema_validator(
        str(files(saml2.data.schemas).joinpath("saml-schema-metadata-2.0.xsd")))


def _published(client, path: str) -> etree._Element:
    answer = client.get(path)
    assert answer.status_code == 200 and answer.mimetype == "application/samlmetadata+xml", path
    return etree.fromstring(answer.data)


@pytest.mark.parametrize("path", PUBLISHED)
def test_each_published_entity_follows_saml2int(client, schema, path):
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    root = _published(client, path)
    schema.validate(etree.tostring(root))
    assert root.get("entityID") == BASE + path
    assert root.get("cacheDuration") == "PT6H"
    valid_until = parse_instant(root.get("validUntil"))
    assert before + dt.timedelta(days=7) <= valid_until <= before + dt.timedelta(days=7, minutes=1)
    extensions = root.find(f"{{{MD}}}Extensions")
    assert [m.get("Algorithm") for m in extensions.iter(f"{{{ALG}}}DigestMethod")] == list(DIGEST_METHODS)
    assert [m.get("Algorithm") for m in extensions.iter(f"{{{ALG}}}SigningMethod")] == list(SIGNATURE_METHODS)
    named = etree.tostring(root).decode()
    assert "sha1" not in named.replace("rsa-oaep-mgf1p", "")  # OAEP's MGF1 is not a signature
    for descriptor in root.iter(f"{{{MD}}}KeyDescriptor"):
        assert descriptor.get("use") in ("signing", "encryption")
        methods = [m.get("Algorithm") for m in descriptor.iter(f"{{{MD}}}EncryptionMethod")]
        if descriptor.get("use") == "encryption":
            assert methods[0] == XENC11 + "aes256-gcm"
            assert all(m.endswith("-gcm") or "rsa-oaep" in m for m in methods), methods
            assert any("rsa-oaep" in m for m in methods)
        else:
            assert methods == []


def test_our_own_readers_take_what_we_publish(client):
    assert parse_idp_metadata(client.get("/idp/metadata").data).entity_id == BASE + "/idp/metadata"
    for path in ("/sp/metadata", "/admin/metadata", "/demo-app/metadata"):
        sp = parse_sp_metadata(client.get(path).data, "x", now=dt.datetime.now(dt.UTC))
        assert sp.valid_until is not None and sp.entity_id == BASE + path


def test_encryption_keys_are_published_where_we_decrypt(client):
    for path in ("/sp/metadata", "/aa/metadata"):
        uses = [d.get("use") for d in _published(client, path).iter(f"{{{MD}}}KeyDescriptor")]
        assert "encryption" in uses, path


def test_the_idp_names_itself_its_help_page_and_its_scope(client):
    idp = _published(client, "/idp/metadata").find(f"{{{MD}}}IDPSSODescriptor")
    assert idp.get("errorURL") == BASE + "/idp/help"
    extensions = idp.find(f"{{{MD}}}Extensions")
    assert extensions is idp[0]  # the schema wants it first
    names = {n.get(XML_LANG): n.text for n in extensions.iter(f"{{{MDUI}}}DisplayName")}
    assert names == {"nl": "Gebruikersbeheer lokale besturen",
                     "en": "Local government user management"}
    assert {d.get(XML_LANG) for d in extensions.iter(f"{{{MDUI}}}Description")} == {"nl", "en"}
    scopes = [s.text for s in extensions.iter(f"{{{SHIBMD}}}Scope")]
    assert scopes == ["idbeheer.example.be"]  # lower case: values are compared without case


def test_the_error_url_is_a_help_page_in_both_languages(client):
    dutch = client.get("/idp/help")
    assert dutch.status_code == 200 and "Hulp bij aanmelden" in dutch.text
    assert 'href="http://localhost/account/"' in dutch.text
    english = client.get("/idp/help?lang=en")
    assert english.status_code == 200 and "Help with signing in" in english.text


def test_copies_registered_with_ourselves_carry_no_valid_until(client):
    """metadata/sp/demo-app.xml and upstream/dev-eid.xml are refreshed by nobody: a validUntil
    there would expire a running service's own applications after a week."""
    folder = client.metadata_dir
    for copy in (folder / "sp" / "demo-app.xml", folder / "upstream" / "dev-eid.xml"):
        assert copy.exists(), copy
        assert etree.fromstring(copy.read_bytes()).get("validUntil") is None, copy


def test_a_scope_that_is_no_domain_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="IDBEHEER_SCOPE"):
        from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_SCOPE": "bad scope!"})
