"""Shared helpers of the attribute authority tests: a target application's key and metadata,
AttributeQueries written by hand (lxml) and signed, SOAP envelopes, answers read with lxml."""
from __future__ import annotations

import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import xmlsec
from lxml import etree
from werkzeug.serving import make_server

from attribute_authority import catalog, grants
from attribute_authority.db import unit_of_work
from examples.demo_app.aa_client import sign_enveloped
from samlkit.encryption import encrypt_name_id
from samlkit.keys import KeyPair, cert_der_b64, ensure_dev_keypair
from samlkit.xmlsig import sign
from support import DINA, actor

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"soap": SOAP_ENV, "samlp": SAMLP, "saml": SAML, "ds": DS}
STATUS = "urn:oasis:names:tc:SAML:2.0:status:"
RIGHT = "urn:lb-idbeheer:attribute:right"
GOVERNMENT = "urn:lb-idbeheer:attribute:government"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"


@dataclass(frozen=True)
class TargetApp:
    """A registered (or not) application: its code, entityID and signing key."""

    code: str
    entity_id: str
    keypair: KeyPair


def target_app(certs_dir: Path, base_url: str, code: str) -> TargetApp:
    pair = ensure_dev_keypair(certs_dir, code, f"test application {code}")
    return TargetApp(code, f"{base_url}/{code}/metadata", pair)


def sp_metadata(app: TargetApp, *, key: KeyPair | None = None) -> bytes:
    cert = cert_der_b64((key or app.keypair).certificate)
    return f"""<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="{DS}" entityID="{app.entity_id}">
  <md:SPSSODescriptor protocolSupportEnumeration="{SAMLP}">
    <md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="{app.entity_id.rsplit('/', 1)[0]}/acs" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>""".encode()


def instant(moment: datetime | None = None) -> str:
    return (moment or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")


def query(issuer: str, rrn: str, *, governments: list[str] | None = None,
          query_id: str | None = None, issued: datetime | None = None,
          destination: str | None = None, name_format: str | None = UNSPECIFIED,
          encrypt_to: KeyPair | None = None, cipher: str = "aes256-gcm") -> etree._Element:
    """An unsigned samlp:AttributeQuery with the usual samlp:/saml: prefixes; with
    `encrypt_to`, its NameID as an EncryptedID (`cipher`: a samlkit CONTENT_CIPHERS name)."""
    q = etree.Element(f"{{{SAMLP}}}AttributeQuery", nsmap={"samlp": SAMLP, "saml": SAML},
                      ID=query_id or "_" + secrets.token_hex(16), Version="2.0",
                      IssueInstant=instant(issued))
    if destination:
        q.set("Destination", destination)
    etree.SubElement(q, f"{{{SAML}}}Issuer").text = issuer
    subject = etree.SubElement(q, f"{{{SAML}}}Subject")
    name_id = etree.Element(f"{{{SAML}}}NameID")
    if name_format:
        name_id.set("Format", name_format)
    name_id.text = rrn
    subject.append(encrypt_name_id(name_id, encrypt_to.certificate, cipher=cipher)
                   if encrypt_to else name_id)
    if governments is not None:
        attribute = etree.SubElement(q, f"{{{SAML}}}Attribute", Name=GOVERNMENT,
                                     NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri")
        for code in governments:
            etree.SubElement(attribute, f"{{{SAML}}}AttributeValue").text = code
    return q


def signed(q: etree._Element, keypair: KeyPair) -> etree._Element:
    sign(q, keypair)
    return q


def sha1_signed(q: etree._Element, keypair: KeyPair) -> etree._Element:
    """Signed with RSA-SHA1 and a SHA-1 digest, as pysaml2 does by default."""
    sign_enveloped(q, keypair.key_pem, keypair.cert_pem, method=xmlsec.constants.TransformRsaSha1,
                   digest=xmlsec.constants.TransformSha1)
    return etree.fromstring(etree.tostring(q))


def envelope(*body: etree._Element, header: etree._Element | None = None) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    if header is not None:
        etree.SubElement(env, f"{{{SOAP_ENV}}}Header").append(header)
    b = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    for element in body:
        b.append(element)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True)
class ReadAnswer:
    """An answer as the tests look at it (the signature is checked separately)."""

    root: etree._Element
    statuses: list[str]
    rights: list[str] | None  # None: no Assertion at all

    @property
    def status(self) -> str:
        return self.statuses[-1] if self.statuses else ""

    @property
    def response(self) -> etree._Element:
        return self.root.find(f"{{{SOAP_ENV}}}Body/{{{SAMLP}}}Response")


def read(data: bytes) -> ReadAnswer:
    root = etree.fromstring(data)
    codes = [c.rsplit(":", 1)[-1] for c in root.xpath(
        "/soap:Envelope/soap:Body/samlp:Response/samlp:Status//samlp:StatusCode/@Value",
        namespaces=NS)]
    assertions = root.xpath("/soap:Envelope/soap:Body/samlp:Response/saml:Assertion",
                            namespaces=NS)
    rights = None
    if assertions:
        rights = sorted(assertions[0].xpath(
            f"saml:AttributeStatement/saml:Attribute[@Name='{RIGHT}']/saml:AttributeValue/text()",
            namespaces=NS))
    return ReadAnswer(root, codes, rights)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """A WSGI app served over real HTTP on a loopback port, in a thread."""

    def __init__(self, app, port: int) -> None:
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(5)


def soon(seconds: int) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def register_app(server, code: str, *, key: KeyPair | None = None,
                 catalog_row: bool = True) -> TargetApp:
    """Register a new application the way `idbeheer app register` does: its metadata file in
    metadata/sp and its catalog row (with one right `<code>-user`), both committed."""

    app = target_app(server.settings.certs_dir, server.base_url, code)
    if catalog_row:
        with unit_of_work(server.db) as session:
            dina = actor(session, DINA)
            catalog.register_application(session, dina, code, f"Test {code}")
            catalog.add_right(session, dina, f"{code}-user", code, "User", 30)
    (server.sp_dir / f"{code}.xml").write_bytes(sp_metadata(app, key=key))
    return app


def grant(server, rrn: str, government: str, right: str, by: str) -> int:

    with unit_of_work(server.db) as session:
        return grants.add(session, actor(session, by), rrn, government, right).id


def revoke(server, grant_id: int, by: str) -> None:

    with unit_of_work(server.db) as session:
        grants.revoke(session, actor(session, by), grant_id, "test")
