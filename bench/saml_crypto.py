"""Print how many typical assertions per second one process signs and verifies.

Run: PYTHONPATH=. python bench/saml_crypto.py [--seconds 3]
A figure to compare before and after a change, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable

from lxml import etree

from samlkit.keys import ensure_dev_keypair
from samlkit.xmlparse import parse_xml
from samlkit.xmlsig import sign, verify

LIMIT = 1 << 20
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"

ASSERTION = f"""<saml:Assertion xmlns:saml="{SAML}" ID="_bench" Version="2.0"
    IssueInstant="2025-03-01T10:00:00Z">
  <saml:Issuer>http://localhost:8000/aa/metadata</saml:Issuer>
  <saml:Subject>
    <saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">85073003328</saml:NameID>
  </saml:Subject>
  <saml:Conditions NotBefore="2025-03-01T10:00:00Z" NotOnOrAfter="2025-03-01T10:05:00Z">
    <saml:AudienceRestriction><saml:Audience>https://demo-app.example.be/sp</saml:Audience></saml:AudienceRestriction>
  </saml:Conditions>
  <saml:AttributeStatement>
    <saml:Attribute Name="urn:lb-idbeheer:attribute:right"
        NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">
      {"".join(f"<saml:AttributeValue>demo-app-right{i}@44088</saml:AttributeValue>" for i in range(10))}
    </saml:Attribute>
  </saml:AttributeStatement>
</saml:Assertion>""".encode()


def rate(action: Callable[[], object], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        action()
        count += 1
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as certs:
        pair = ensure_dev_keypair(certs, "bench", "bench")

        def sign_once() -> bytes:
            root = parse_xml(ASSERTION, LIMIT)
            sign(root, pair)
            return etree.tostring(root)

        signed = sign_once()
        trusted = [pair.certificate]

        def verify_once() -> None:
            root = parse_xml(signed, LIMIT)
            verify(root, root, trusted)

        print(f"assertion: {len(signed)} bytes signed, RSA-2048, rsa-sha256, parse included")
        print(f"sign:   {rate(sign_once, args.seconds):8.0f} /s")
        print(f"verify: {rate(verify_once, args.seconds):8.0f} /s")


if __name__ == "__main__":
    main()
