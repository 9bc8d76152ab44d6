"""Small SAML messages for the security-layer tests, written as other stacks write them."""

from __future__ import annotations

import datetime as dt

from lxml import etree

from samlkit.keys import KeyPair
from samlkit.xmlparse import parse_xml
from samlkit.xmlsig import sign

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
LIMIT = 1 << 20


def attribute_query(query_id: str = "_q1", rrn: str = "85073003328") -> bytes:
    return f"""<samlp:AttributeQuery xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}"
    ID="{query_id}" Version="2.0" IssueInstant="2025-03-01T10:00:00Z"
    Destination="http://localhost:8000/aa/soap">
  <saml:Issuer>https://demo-app.example.be/sp</saml:Issuer>
  <saml:Subject>
    <saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">{rrn}</saml:NameID>
  </saml:Subject>
  <saml:Attribute Name="urn:lb-idbeheer:attribute:government"
      NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">
    <saml:AttributeValue>44088</saml:AttributeValue>
  </saml:Attribute>
</samlp:AttributeQuery>""".encode()


def response_with_assertion(subject: str = "85073003328") -> bytes:
    now = dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"""<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="_r1"
    Version="2.0" IssueInstant="{now}" InResponseTo="_q1">
  <saml:Issuer>http://localhost:8000/aa/metadata</saml:Issuer>
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
  <saml:Assertion ID="_a1" Version="2.0" IssueInstant="{now}">
    <saml:Issuer>http://localhost:8000/aa/metadata</saml:Issuer>
    <saml:Subject><saml:NameID>{subject}</saml:NameID></saml:Subject>
    <saml:AttributeStatement>
      <saml:Attribute Name="urn:lb-idbeheer:attribute:right">
        <saml:AttributeValue>demo-app-reader@44088</saml:AttributeValue>
      </saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>""".encode()


def signed_query(keypair: KeyPair, **kwargs: str) -> bytes:
    root = parse_xml(attribute_query(**kwargs), LIMIT)
    sign(root, keypair)
    return etree.tostring(root)


def signed_response(keypair: KeyPair, *, sign_response: bool = False) -> bytes:
    root = parse_xml(response_with_assertion(), LIMIT)
    sign(root.find(f"{{{SAML}}}Assertion"), keypair)
    if sign_response:
        sign(root, keypair)
    return etree.tostring(root)
