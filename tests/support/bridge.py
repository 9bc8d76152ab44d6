"""Test vocabulary of the bridge: a bridge of the tests' own (dev_eid upstream, a temporary
metadata folder, a controllable clock) and a target application played by pysaml2's
Saml2Client, an independent SAML stack."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import textwrap
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from cachelib import FileSystemCache
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256
from sqlalchemy import func, select

from attribute_authority.db import session_factory
from attribute_authority.models import SignInEvent
from attribute_authority.national_register import FileRegister
from idp_bridge.config import BridgeConfig, BridgeDeps, BridgeKeys
from idp_bridge.dev_eid.web import for_bridge as dev_eid_for
from idp_bridge.web import create_bridge_app
from samlkit.keys import KeyPair, cert_der_b64
from samlkit.replay import MemoryStore
from samlkit.spmetadata import SpRegistry
from samlkit.xmlsig import sign

BASE = "http://localhost"
REDIS_URL = os.environ.get("IDBEHEER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# For servers a test starts on the shared Redis: the sign-in doors' rate limits count per
# client address across tests (and runs) within their minute; they have tests of their own.
NO_SIGN_IN_LIMITS = {"IDBEHEER_RATE_LIMIT_SSO": "off", "IDBEHEER_RATE_LIMIT_ACS": "off"}


class Clock:
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def advance(self, **kwargs) -> None:
        self.offset += dt.timedelta(**kwargs)


def sp_metadata_xml(entity_id: str, acs: str, slo: str, cert: KeyPair, *, signed_requests=True,
                    valid_until: dt.datetime | None = None, extensions: str = "",
                    requested: str = "") -> str:
    """`extensions`: XML inside the entity's md:Extensions (e.g. EntityAttributes); `requested`:
    inside an AttributeConsumingService (RequestedAttribute elements)."""
    der = cert_der_b64(cert.certificate)
    until = f' validUntil="{valid_until:%Y-%m-%dT%H:%M:%SZ}"' if valid_until else ""
    ext = f"<md:Extensions>{extensions}</md:Extensions>" if extensions else ""
    acs_service = (f'<md:AttributeConsumingService index="0"><md:ServiceName xml:lang="nl">'
                   f'{entity_id}</md:ServiceName>{requested}</md:AttributeConsumingService>'
                   if requested else "")
    return textwrap.dedent(f"""\
        <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
            xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}"{until}>
          {ext}<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"
              AuthnRequestsSigned="{'true' if signed_requests else 'false'}" WantAssertionsSigned="true">
            <md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{der}</ds:X509Certificate>
            </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
            <md:SingleLogoutService Binding="{BINDING_HTTP_REDIRECT}" Location="{slo}"/>
            <md:AssertionConsumerService Binding="{BINDING_HTTP_POST}" Location="{acs}" index="0"/>
            {acs_service}
          </md:SPSSODescriptor>
        </md:EntityDescriptor>""")


class TestSp:
    """A target application: pysaml2 SP with its metadata registered in metadata/sp/."""

    __test__ = False  # a helper, not a test class

    def __init__(self, app_code: str, metadata_dir: Path, keypair: KeyPair, idp_metadata: bytes,
                 work: Path, idp_entity_id: str = BASE + "/idp/metadata") -> None:
        self.idp_entity_id = idp_entity_id
        self.keypair, self.metadata_file = keypair, metadata_dir / "sp" / f"{app_code}.xml"
        self.app_code = app_code
        self.entity_id = f"https://{app_code}.example.test/sp"
        self.acs = f"https://{app_code}.example.test/acs"
        self.slo = f"https://{app_code}.example.test/slo"
        (metadata_dir / "sp").mkdir(parents=True, exist_ok=True)
        (metadata_dir / "sp" / f"{app_code}.xml").write_text(
            sp_metadata_xml(self.entity_id, self.acs, self.slo, keypair))
        idp_file = work / f"bridge-idp-{app_code}.xml"
        idp_file.write_bytes(idp_metadata)
        key_file, cert_file = work / f"{app_code}.key", work / f"{app_code}.crt"
        key_file.write_bytes(keypair.key_pem)
        cert_file.write_bytes(keypair.cert_pem)
        config = SPConfig()
        config.load({
            "entityid": self.entity_id,
            "key_file": str(key_file), "cert_file": str(cert_file),
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "metadata": {"local": [str(idp_file)]},
            "allow_unknown_attributes": True,
            "service": {"sp": {
                "endpoints": {"assertion_consumer_service": [(self.acs, BINDING_HTTP_POST)],
                              "single_logout_service": [(self.slo, BINDING_HTTP_REDIRECT)]},
                "authn_requests_signed": True, "want_assertions_signed": True,
                "want_response_signed": False, "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256, "allow_unsolicited": False,
                "name_id_format": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
            }},
        })
        self.client = Saml2Client(config)
        self.outstanding: dict[str, str] = {}

    def publish(self, **metadata) -> None:
        """Register this application's metadata anew, with `sp_metadata_xml`'s options."""
        self.metadata_file.write_text(sp_metadata_xml(self.entity_id, self.acs, self.slo,
                                                      self.keypair, **metadata))

    def login_url(self, relay_state: str = "/home", **kwargs) -> str:
        """A signed HTTP-Redirect AuthnRequest to the bridge; returns the path with query."""
        request_id, _, info = self.client.prepare_for_negotiated_authenticate(
            entityid=self.idp_entity_id, relay_state=relay_state, binding=BINDING_HTTP_REDIRECT,
            sign=True, sigalg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256, **kwargs)
        self.outstanding[request_id] = relay_state
        location = dict(info["headers"])["Location"]
        return _path(location)

    def consume(self, saml_response: str):
        """Verify the bridge's answer as the application would; returns pysaml2's response."""
        return self.client.parse_authn_request_response(saml_response, BINDING_HTTP_POST,
                                                        outstanding=self.outstanding)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def form_of(html: str | bytes) -> tuple[str, dict[str, str]]:
    """(action, fields) of the page's first form, radios at their checked value."""
    doc = lxml.html.fromstring(html)
    form = doc.forms[0]
    fields = {k: v for k, v in form.form_values()}
    return form.action or "", fields


class Browser:
    """Drives the bridge's Flask test client like a browser, without JavaScript."""

    def __init__(self, client) -> None:
        self.client = client

    def get(self, path: str):
        return self.client.get(path)

    def submit(self, html, **overrides):
        action, fields = form_of(html)
        fields.update(overrides)
        return self.client.post(_path(action), data=fields)

    def to_dev_eid(self, sp: TestSp, **kwargs):
        response = self.get(sp.login_url(**kwargs))
        assert response.status_code == 302, response.data[:500]
        page = self.get(_path(response.headers["Location"]))
        assert page.status_code == 200, page.data[:500]
        return page

    def upstream_sign_in(self, sp: TestSp, rrn: str, method: str = "eid", outcome: str = "ok", **kw):
        """From the application's request to the bridge's ACS answer (a redirect or a page)."""
        page = self.to_dev_eid(sp, **kw)
        autopost = self.submit(page.data, rrn=rrn, method=method, outcome=outcome)
        assert autopost.status_code == 200, autopost.data[:500]
        return self.submit(autopost.data)

    def choose(self, capacity: str):
        page = self.get("/idp/capacity")
        assert page.status_code == 200, page.data[:800]
        response = self.submit(page.data, capacity=capacity)
        assert response.status_code == 303, response.data[:800]
        if response.headers["Location"] != "/idp/capacity":
            return response  # answered at once (OIDC: the code on the redirect_uri)
        return self.get("/idp/capacity")

    def sign_in(self, sp: TestSp, rrn: str, capacity: str, method: str = "eid"):
        """The whole journey; returns the page POSTing the assertion to the application."""
        acs_answer = self.upstream_sign_in(sp, rrn, method)
        assert acs_answer.status_code == 303, acs_answer.data[:800]
        return self.choose(capacity)

    def sign_out_everywhere(self):
        """The bridge's own "Afmelden": the confirmation page, then its form (the first hop)."""
        page = self.get("/idp/slo")
        assert page.status_code == 200 and "Afmelden bij alle toepassingen?" in page.get_data(
            as_text=True), page.data[:800]
        return self.submit(page.data)

    def session_cookie(self) -> str | None:
        cookie = self.client.get_cookie("idbeheer_bridge")
        return cookie.value if cookie else None


def answer_logout(sp: TestSp, location: str) -> str:
    """The application's side of one logout hop: pysaml2 checks the HTTP-Redirect signature
    of the bridge's LogoutRequest with the key in the bridge's metadata, reads and answers it;
    returns the answer's URL."""
    from urllib.parse import parse_qs

    from saml2.sigver import verify_redirect_signature

    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert "Signature" in query and "SigAlg" in query, "the bridge signs its LogoutRequests"
    certs = sp.client.metadata.certs(sp.idp_entity_id, "idpsso", "signing")
    assert any(verify_redirect_signature(query, sp.client.sec.sec_backend, cert=cert)
               for _, cert in certs), "the LogoutRequest's signature does not verify"
    request = sp.client.parse_logout_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)
    assert request.message.issuer.text == sp.idp_entity_id
    info = sp.client.handle_logout_request(query["SAMLRequest"], request.message.name_id,
                                           BINDING_HTTP_REDIRECT, sign=True, sign_alg=SIG_RSA_SHA256,
                                           relay_state=query.get("RelayState"))
    return dict(info["headers"])["Location"]


def assert_refused(bridge, browser, response, reason: str):
    """The ACS refused: a 4xx page that says what to do, no session, a trail row with `reason`."""
    assert 400 <= response.status_code < 500, response.data[:600]
    assert "Wat nu?" in response.get_data(as_text=True)
    assert browser.session_cookie() is None
    assert browser.get("/idp/capacity").status_code == 403
    refused = [e for e in bridge.events() if e.outcome == "refused"]
    assert refused and refused[-1].reason == reason, [(e.reason, e.detail) for e in refused]


def saml_response_of(html) -> str:
    action, fields = form_of(html)
    return fields["SAMLResponse"]


def attributes_of(pysaml_response) -> dict[str, list[str]]:
    return {k.rsplit(":", 1)[-1]: v for k, v in pysaml_response.ava.items()}


def sign_in_over_http(browser, base: str, sp: TestSp, rrn: str, capacity: str,
                      method: str = "eid"):
    """The whole journey against a running server (`browser` a requests.Session): the
    application's request, the upstream IdP's sign-in form (dev_eid or any IdP with the same
    form), the bridge's ACS and capacity page. Returns pysaml2's verified response."""
    to_upstream = browser.get(base + sp.login_url(), allow_redirects=False)
    assert to_upstream.status_code == 302, to_upstream.text[:500]
    page = browser.get(to_upstream.headers["Location"])
    assert page.status_code == 200, page.text[:500]
    action, fields = form_of(page.content)
    autopost = browser.post(urljoin(page.url, action), data={**fields, "rrn": rrn, "method": method})
    assert autopost.status_code == 200, autopost.text[:500]
    action, fields = form_of(autopost.content)
    acs = browser.post(action, data=fields, allow_redirects=False)
    assert acs.status_code == 303, acs.text[:500]
    choice = browser.get(base + "/idp/capacity")
    action, fields = form_of(choice.content)
    chosen = browser.post(base + "/idp/capacity", data={**fields, "capacity": capacity},
                          allow_redirects=False)
    assert chosen.status_code == 303, chosen.text[:500]
    answer = browser.get(base + "/idp/capacity")
    assert answer.status_code == 200, answer.text[:500]
    return sp.consume(saml_response_of(answer.content))


class BridgeHarness:
    def __init__(self, tmp: Path, engine, keys, *, store=None, config_overrides=None,
                 session_backend=None) -> None:
        self.tmp = tmp
        self.metadata_dir = tmp / "metadata"
        self.clock = Clock()
        self.store = store or MemoryStore()
        self.db = session_factory(engine)
        settings = dict(base_url=BASE, dev_eid=True, secret_key="test-secret",
                        name_id_secret=hashlib.sha256(b"test").digest())
        settings.update(config_overrides or {})
        self.config = BridgeConfig(**settings)
        self.deps = BridgeDeps(
            config=self.config, db=self.db,
            keys=BridgeKeys(idp=keys["idp"], sp=keys["sp"], dev_eid=keys["dev-eid"],
                            sp_encryption=keys.get("sp-encryption"), oidc=keys.get("oidc")),
            sp_registry=SpRegistry(self.metadata_dir, check_interval=0), store=self.store,
            register=FileRegister(), metadata_dir=self.metadata_dir,
            session_backend=session_backend or ("cachelib", FileSystemCache(str(tmp / "sessions"))),
            clock=self.clock)
        self.app = create_bridge_app(self.deps, [dev_eid_for(self.deps)] if self.config.dev_eid else [])
        self.app.testing = True
        self.keys = keys
        self._first_event = self._max_event_id()

    def sp(self, app_code: str = "demo-app", keypair: KeyPair | None = None) -> TestSp:
        idp_metadata = self.app.test_client().get("/idp/metadata").data
        return TestSp(app_code, self.metadata_dir, keypair or self.keys["testsp"], idp_metadata,
                      self.tmp)

    def browser(self) -> Browser:
        return Browser(self.app.test_client())

    def _max_event_id(self) -> int:
        with self.db() as s:
            return s.scalar(select(func.max(SignInEvent.id))) or 0

    def events(self) -> list[SignInEvent]:
        """Sign-in trail rows written since this harness was made."""
        with self.db() as s:
            return list(s.scalars(select(SignInEvent).where(SignInEvent.id > self._first_event)
                                  .order_by(SignInEvent.id)))


SAML_RESPONSE_FIELD = re.compile(r'name="SAMLResponse" value="([^"]+)"')


ACS = BASE + "/sp/acs"
SP_ENTITY = BASE + "/sp/metadata"
DEV_EID = BASE + "/dev-eid/metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"


def request_id_of(redirect_location: str) -> str:
    """The ID of the AuthnRequest in an HTTP-Redirect URL."""
    import base64
    import zlib
    from urllib.parse import parse_qs

    query = parse_qs(urlsplit(redirect_location).query)
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15)
    return lxml.etree.fromstring(xml).get("ID")


class Forger:
    """Writes upstream Responses as the eID IdP would, with one thing wrong at a time."""

    def __init__(self, keypair: KeyPair, clock) -> None:
        self.keypair = keypair
        self.clock = clock

    def response(self, request_id: str | None, *, rrn: str = "90021411412", destination=ACS,
                 recipient=ACS, audience=SP_ENTITY, issuer=DEV_EID, in_response_to="same",
                 not_before=None, not_on_or_after=None, assertion_id=None, response_id=None,
                 class_ref="urn:be:fedict:iam:fas:citizen:eid", sign_response=True,
                 sign_assertion=True, weak=False, encrypt_to=None, key_transport="rsa-oaep-mgf1p",
                 cipher="aes256-gcm"):
        """`encrypt_to` (a certificate): the Assertion, signed first, goes in encrypted."""
        from samlkit.samlxml import instant, new_id

        now = self.clock()
        irt = request_id if in_response_to == "same" else in_response_to
        nb = instant(not_before or now - dt.timedelta(seconds=30))
        noa = instant(not_on_or_after or now + dt.timedelta(minutes=5))
        irt_attr = f'InResponseTo="{irt}"' if irt else ""
        xml = f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
    xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{response_id or new_id()}" Version="2.0"
    IssueInstant="{instant(now)}" Destination="{destination}" {irt_attr}>
  <saml:Issuer>{issuer}</saml:Issuer>
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
  <saml:Assertion ID="{assertion_id or new_id()}" Version="2.0" IssueInstant="{instant(now)}">
    <saml:Issuer>{issuer}</saml:Issuer>
    <saml:Subject>
      <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">{new_id()}</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="{noa}" Recipient="{recipient}" {irt_attr}/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="{nb}" NotOnOrAfter="{noa}">
      <saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AuthnStatement AuthnInstant="{instant(now)}" SessionIndex="{new_id()}">
      <saml:AuthnContext><saml:AuthnContextClassRef>{class_ref}</saml:AuthnContextClassRef></saml:AuthnContext>
    </saml:AuthnStatement>
    <saml:AttributeStatement>
      <saml:Attribute Name="egovNRN"><saml:AttributeValue>{rrn}</saml:AttributeValue></saml:Attribute>
      <saml:Attribute Name="surname"><saml:AttributeValue>Claes</saml:AttributeValue></saml:Attribute>
      <saml:Attribute Name="givenName"><saml:AttributeValue>Bart</saml:AttributeValue></saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>"""
        root = lxml.etree.fromstring(xml.encode())
        assertion = root.find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion")
        if sign_assertion:
            (sign_weak if weak else sign)(assertion, self.keypair)
        if encrypt_to is not None:
            from samlkit.encryption import encrypt_assertion

            root.replace(assertion, encrypt_assertion(assertion, encrypt_to, cipher=cipher,
                                                      key_transport=key_transport))
        if sign_response:
            sign(root, self.keypair)
        return root


def sign_weak(element, keypair: KeyPair) -> None:
    """An enveloped RSA-SHA1 signature, as old stacks still make."""
    import xmlsec

    signature = xmlsec.template.create(element, xmlsec.constants.TransformExclC14N,
                                       xmlsec.constants.TransformRsaSha1, ns="ds")
    element.insert(1, signature)
    ref = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha1,
                                        uri="#" + element.get("ID"))
    xmlsec.template.add_transform(ref, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(ref, xmlsec.constants.TransformExclC14N)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    ctx = xmlsec.SignatureContext()
    ctx.register_id(element, "ID")
    ctx.key = keypair.xmlsec_key
    ctx.sign(signature)


def encode(root) -> str:
    import base64

    return base64.b64encode(lxml.etree.tostring(root)).decode()
