"""demo-app's sign-in through the bridge (SAML Web SSO), as a target application writes it.

`register_sso(app, ...)` adds to demo-app's Flask app:
  GET  /login   a signed HTTP-Redirect AuthnRequest to the bridge (RSA-SHA256)
  POST /acs     the assertion consumer: verify the Assertion's signature with the bridge's key,
                then Destination, Recipient, Audience, InResponseTo and validity; only then read
  GET  /me      who is signed in, in which capacity, with which rights
  GET  /logout  forget the local session
It uses the project's SAML security layer (`attribute_authority.saml`) for parsing and
signatures, and nothing of the bridge: an application only knows the bridge's metadata URL.
"""
from __future__ import annotations

import base64
import datetime as dt
import secrets
import urllib.request
import zlib
from pathlib import Path
from urllib.parse import quote_plus

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from flask import Flask, abort, redirect, render_template_string, request, session

from attribute_authority.saml.errors import SamlSecurityError
from attribute_authority.saml.keys import KeyPair, certificate_from_b64
from attribute_authority.saml.xmlparse import parse_xml
from attribute_authority.saml.xmlsig import NS, verify

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
PREFIX = "urn:lb-idbeheer:attribute:"
_TEMPLATE = (Path(__file__).parent / "templates" / "signed_in.html").read_text(encoding="utf-8")


def register_sso(app: Flask, *, base_url: str, entity_id: str, keypair: KeyPair,
                 acs_url: str | None = None, idp_metadata_url: str | None = None,
                 secret_key: str | None = None,
                 fetch=lambda url: urllib.request.urlopen(url, timeout=10).read()) -> None:
    """Add the sign-in routes to demo-app (mounted at BASE/demo-app).

    `secret_key` signs demo-app's own session cookie; give one that all processes share (a
    random one per process works for one process only).
    """
    base = base_url.rstrip("/")
    acs_url = acs_url or f"{base}/demo-app/acs"
    idp_metadata_url = idp_metadata_url or f"{base}/idp/metadata"
    sso_url = f"{base}/idp/sso"
    if secret_key or not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key or secrets.token_urlsafe(32)
    app.config.update(SESSION_COOKIE_NAME="demo_app_session", SESSION_COOKIE_HTTPONLY=True)
    idp_certs: list = []

    def bridge_certs():
        if not idp_certs:
            root = parse_xml(fetch(idp_metadata_url), 1 << 20)
            idp_certs.extend(certificate_from_b64(t) for t in root.xpath(
                "//md:IDPSSODescriptor/md:KeyDescriptor[not(@use) or @use='signing']"
                "//ds:X509Certificate/text()", namespaces=NS))
        return idp_certs

    @app.get("/login")
    def login():
        request_id = "_" + secrets.token_hex(20)
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        xml = (f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
               f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{request_id}" Version="2.0" '
               f'IssueInstant="{now}" Destination="{sso_url}" AssertionConsumerServiceURL="{acs_url}" '
               f'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">'
               f'<saml:Issuer>{entity_id}</saml:Issuer></samlp:AuthnRequest>').encode()
        deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
        query = "SAMLRequest=" + quote_plus(base64.b64encode(deflater.compress(xml) + deflater.flush()))
        query += "&SigAlg=" + quote_plus(RSA_SHA256)
        signature = keypair.private_key.sign(query.encode(), padding.PKCS1v15(), hashes.SHA256())
        session["outstanding"] = request_id
        return redirect(f"{sso_url}?{query}&Signature={quote_plus(base64.b64encode(signature))}")

    @app.post("/acs")
    def acs():
        try:
            root = parse_xml(base64.b64decode(request.form.get("SAMLResponse", "")), 1 << 20)
            status = root.xpath("string(samlp:Status/samlp:StatusCode/@Value)", namespaces=NS)
            if not status.endswith(":Success"):
                message = root.xpath("string(samlp:Status/samlp:StatusMessage)", namespaces=NS)
                return render_template_string(_TEMPLATE, user=None, error=message or status), 401
            assertion = verify(root, "/samlp:Response/saml:Assertion", bridge_certs())
        except (SamlSecurityError, ValueError):
            abort(400)
        user = _read(root, assertion, acs_url, entity_id, session.pop("outstanding", None))
        if user is None:
            abort(400)
        session.clear()
        session["user"] = user
        return redirect(f"{request.script_root}/me", 303)

    @app.get("/me")
    def me():
        return render_template_string(_TEMPLATE, user=session.get("user"), error=None)

    @app.get("/logout")
    def logout():
        session.clear()
        return redirect(f"{request.script_root}/me")


def _read(root, assertion, acs_url: str, entity_id: str, outstanding: str | None) -> dict | None:
    """The verified assertion's attributes, or None when it is not for us, now, in answer to us."""
    def one(path: str) -> str:
        return assertion.xpath(f"string({path})", namespaces=NS)

    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if (root.get("Destination") != acs_url
            or one("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData/@Recipient") != acs_url
            or one("saml:Conditions/saml:AudienceRestriction/saml:Audience") != entity_id
            or not outstanding
            or one("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData/@InResponseTo")
            != outstanding
            or one("saml:Conditions/@NotOnOrAfter") <= now):
        return None
    user: dict[str, list[str]] = {}
    for attribute in assertion.xpath("saml:AttributeStatement/saml:Attribute", namespaces=NS):
        name = attribute.get("Name", "").removeprefix(PREFIX)
        user[name] = [v.text or "" for v in attribute.xpath("saml:AttributeValue", namespaces=NS)]
    user["nameId"] = [one("saml:Subject/saml:NameID")]
    return user
