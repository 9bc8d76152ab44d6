"""Our metadata and our answers validate against the SAML 2.0 schemas shipped with pysaml2."""
from datetime import datetime
from importlib.resources import files

import pytest
import saml2.data.schemas
from lxml import etree
from saml2.xml.schema import _create_xml_schema_validator
from support import AN, BART, HANNE
from support.aa import NS, SAML, envelope, query, read, signed

from attribute_authority.aa.keys import load_aa_keys
from attribute_authority.aa.metadata import aa_metadata
from samlkit.keys import ensure_dev_keypair
from samlkit.xmlsig import verify

MD = "urn:oasis:names:tc:SAML:2.0:metadata"


@pytest.fixture(scope="module")
def metadata_schema():
    return _create_xml_schema_validator(
        str(files(saml2.data.schemas).joinpath("saml-schema-metadata-2.0.xsd")))


@pytest.fixture(scope="module")
def protocol_schema():
    return _create_xml_schema_validator()


def test_metadata_is_schema_valid_and_complete(aa_server, metadata_schema):
    reply = aa_server.app.test_client().get("/aa/metadata")
    assert reply.status_code == 200 and reply.mimetype == "application/samlmetadata+xml"
    metadata_schema.validate(reply.data)
    root = etree.fromstring(reply.data)
    assert root.get("entityID") == f"{aa_server.base_url}/aa/metadata"
    (aa,) = root.findall(f"{{{MD}}}AttributeAuthorityDescriptor")
    (service,) = aa.findall(f"{{{MD}}}AttributeService")
    assert service.get("Location") == aa_server.soap_url
    assert service.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"
    uses = [k.get("use") for k in aa.findall(f"{{{MD}}}KeyDescriptor")]
    assert uses == ["signing", "encryption"]
    names = {a.get("Name") for a in aa.findall(f"{{{SAML}}}Attribute")}
    assert names == {"urn:lb-idbeheer:attribute:right", "urn:lb-idbeheer:attribute:government"}


def test_metadata_publishes_a_rollover_key(tmp_path, metadata_schema):
    ensure_dev_keypair(tmp_path, "aa-next", "next")
    keys = load_aa_keys(tmp_path, generate_dev=True)
    assert len(keys.signing) == 2
    data = aa_metadata("https://x/aa/metadata", "https://x/aa/soap", keys)
    metadata_schema.validate(data)
    assert data.count(b'use="signing"') == 2 and data.count(b'use="encryption"') == 1


@pytest.mark.parametrize(("rrn", "statuses"), [
    (BART, ["Success"]),                     # with right values
    (AN, ["Success"]),                       # an Attribute without AttributeValue
    (HANNE, ["Requester", "UnknownPrincipal"]),
])
def test_answers_are_schema_valid_and_signed(aa_server, protocol_schema, rrn, statuses):
    q = signed(query(aa_server.demo.entity_id, rrn), aa_server.demo.keypair)
    answer = read(aa_server.post(envelope(q)).content)
    assert answer.statuses == statuses
    response = answer.response
    protocol_schema.validate(etree.tostring(response))
    assert response.get("InResponseTo") == q.get("ID")
    aa_certs = [k.certificate for k in aa_server.keys.signing]
    verify(answer.root, response, aa_certs)
    if statuses == ["Success"]:
        assertion = verify(answer.root, "//saml:Assertion", aa_certs)
        conditions = assertion.find(f"{{{SAML}}}Conditions")
        audience = conditions.findtext(f"{{{SAML}}}AudienceRestriction/{{{SAML}}}Audience")
        assert audience == aa_server.demo.entity_id
        span = (datetime.fromisoformat(conditions.get("NotOnOrAfter"))
                - datetime.fromisoformat(conditions.get("NotBefore")))
        assert 0 < span.total_seconds() <= 300
        assert assertion.xpath("saml:Subject/saml:NameID/text()", namespaces=NS) == [rrn]
        assert response.find(f"{{{SAML}}}Issuer").text == f"{aa_server.base_url}/aa/metadata"
        assert response.get("Destination") is None


def test_refusal_is_schema_valid(aa_server, protocol_schema):
    answer = read(aa_server.post(envelope(query(aa_server.demo.entity_id, BART))).content)
    assert answer.statuses == ["Requester", "RequestDenied"]
    protocol_schema.validate(etree.tostring(answer.response))


def test_encrypted_id_answer_is_schema_valid(aa_server, protocol_schema):
    q = signed(query(aa_server.demo.entity_id, BART, encrypt_to=aa_server.keys.encryption[0]),
               aa_server.demo.keypair)
    answer = read(aa_server.post(envelope(q)).content)
    protocol_schema.validate(etree.tostring(answer.response))
    assert answer.response.xpath("saml:Assertion/saml:Subject/saml:EncryptedID", namespaces=NS)


def test_metadata_advertises_only_what_we_accept(aa_server, metadata_schema):
    """#10.8/#11.1: standard SPs choose from what our metadata names. Without md:EncryptionMethod
    Shibboleth SP encrypts its EncryptedID with AES-CBC, which the AA refuses; without
    alg:SigningMethod it signs with RSA-SHA1."""
    reply = aa_server.app.test_client().get("/aa/metadata")
    metadata_schema.validate(reply.data)
    root = etree.fromstring(reply.data)
    (encryption,) = root.findall(f".//{{{MD}}}KeyDescriptor[@use='encryption']")
    methods = [m.get("Algorithm") for m in encryption.findall(f"{{{MD}}}EncryptionMethod")]
    assert methods[0] == "http://www.w3.org/2009/xmlenc11#aes256-gcm"
    assert all(("gcm" in m or "rsa-oaep" in m) for m in methods), methods
    assert "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p" in methods
    (signing,) = root.findall(f".//{{{MD}}}KeyDescriptor[@use='signing']")
    assert signing.findall(f"{{{MD}}}EncryptionMethod") == []
    alg = "urn:oasis:names:tc:SAML:metadata:algsupport"
    signing_methods = [m.get("Algorithm") for m in root.iter(f"{{{alg}}}SigningMethod")]
    digests = [m.get("Algorithm") for m in root.iter(f"{{{alg}}}DigestMethod")]
    assert "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" in signing_methods
    assert "http://www.w3.org/2001/04/xmlenc#sha256" in digests
    assert not [m for m in signing_methods + digests if m.endswith(("sha1", "#rsa-sha1"))]
    # Each method named is one the AA really accepts: a query encrypted with the first works.
    answer = read(aa_server.post(envelope(signed(
        query(aa_server.demo.entity_id, BART, encrypt_to=aa_server.keys.encryption[0],
              cipher="aes256-gcm"), aa_server.demo.keypair))).content)
    assert answer.statuses == ["Success"]
