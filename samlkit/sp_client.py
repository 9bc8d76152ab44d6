"""The service-provider side of SAML Web SSO, for applications that sign in through the bridge
(the admin UI, demo-app) and for the bridge itself towards the upstream IdP.

Plain functions, no web framework:

- `authn_request` writes a signed HTTP-Redirect AuthnRequest (RSA-SHA256) and remembers its ID
  among the outstanding requests;
- `accept_response` takes the POSTed SAMLResponse, verifies the Assertion's signature with the
  IdP's certificates, then Destination, Recipient, Audience, InResponseTo and the validity
  window, uses the assertion ID once, and returns what the *verified* Assertion says. Given
  decryption keys, it also takes one EncryptedAssertion in a signed Response: the Response's
  signature first, then decryption, then the decrypted Assertion's own signature;
- `check_subject` and `check_conditions` are the bearer-assertion checks themselves;
- `sp_metadata` is the SPSSODescriptor an SP registers with the IdP.

Outstanding request IDs live where the SP chooses: `SessionRequests` keeps them in a mapping
of the SP's own per-browser state (its session cookie), `StoreRequests` in a shared
`OneTimeStore`. The session works when the IdP's POST to the ACS carries the SP's cookie, i.e.
when the IdP's page and the ACS are same-site (the admin UI and demo-app live under the
bridge's own BASE) or the cookie is SameSite=None; Secure. An SP on another site than its IdP
should use the store: it needs no cookie at all.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from lxml import etree

from . import xmlsig
from .bindings import BINDING_HTTP_POST, decode_post, redirect_url
from .encryption import decrypt_encrypted_assertion
from .errors import AssertionRefused, SignatureRefused
from .keys import KeyPair
from .logout import NameId, name_id_of
from .mdprofile import entity_descriptor, key_descriptor
from .replay import OneTimeStore
from .samlxml import (
    BEARER,
    IDB,
    SAML,
    SAMLP,
    SUCCESS,
    el,
    instant,
    issuer_of,
    new_id,
    parse_instant,
    read_status,
    to_bytes,
)
from .spmetadata import IdpMetadata

__all__ = [
    "CAPACITY_EXTENSION",
    "capacity_extension",
    "OutstandingRequests",
    "ServiceProvider",
    "SessionRequests",
    "SignInDeclined",
    "SignedIn",
    "StoreRequests",
    "accept_response",
    "authn_request",
    "check_conditions",
    "check_subject",
    "sp_metadata",
]

REQUEST_VALIDITY = dt.timedelta(minutes=10)
# The bridge's own AuthnRequest extension (samlp:Extensions): the capacity an application asks
# for, a government code or `citizen`; the bridge offers its switch when the session holds
# another one (R13). The SAML standard has no element for this.
CAPACITY_EXTENSION = f"{{{IDB}}}Capacity"
_REPLAY_TTL = 24 * 3600
SAML2 = SAMLP


@dataclass(frozen=True)
class ServiceProvider:
    """Who we are towards the IdP: entityID (the metadata URL), ACS URL and signing key; the
    single-logout endpoint when we have one (see sp_logout)."""

    entity_id: str
    acs_url: str
    keypair: KeyPair
    slo_url: str | None = None


@dataclass(frozen=True)
class SignedIn:
    """What one verified Assertion says."""

    assertion_id: str
    state: str  # what the starter remembered with the request
    issuer: str
    name_id: str
    session_index: str | None
    authn_context: str | None
    authn_instant: dt.datetime | None
    attributes: Mapping[str, list[str]] = field(default_factory=dict)
    # The rest of the NameID as issued: a LogoutRequest must repeat all of it.
    name_id_format: str | None = None
    name_qualifier: str | None = None
    sp_name_qualifier: str | None = None

    @property
    def subject(self) -> NameId:
        """The NameID as the IdP issued it, for a LogoutRequest."""
        return NameId(self.name_id, self.name_id_format, self.name_qualifier,
                      self.sp_name_qualifier)

    def first(self, name: str, default: str = "") -> str:
        return (self.attributes.get(name) or [default])[0]


class SignInDeclined(Exception):
    """The IdP answered a request of ours, with an error status (cancelled, refused, …)."""

    def __init__(self, code: str | None, sub_code: str | None, message: str | None,
                 state: str) -> None:
        super().__init__(f"{code} {sub_code or ''}: {message or ''}")
        self.code, self.sub_code, self.message, self.state = code, sub_code, message, state


# -- outstanding requests ---------------------------------------------------------------------


class OutstandingRequests(Protocol):
    def remember(self, request_id: str, state: str = "") -> None:
        """Note a request we sent, with what its starter wants back; it expires after a while."""

    def take(self, request_id: str | None) -> str | None:
        """The state of a request we sent that has not expired, once; else None."""


class SessionRequests:
    """Outstanding requests in the SP's own per-browser state (e.g. a Flask session).

    A few are kept (several tabs may sign in at once), each for `ttl` seconds. The value is
    reassigned on every change, so session objects that track assignment notice it.
    """

    def __init__(self, state: MutableMapping, *, key: str = "saml_outstanding",
                 ttl: float = REQUEST_VALIDITY.total_seconds(), keep: int = 5,
                 clock: Callable[[], float] = time.time) -> None:
        self._state, self._key, self._ttl, self._keep, self._clock = state, key, ttl, keep, clock

    def _live(self) -> list[list]:
        now = self._clock()
        return [item for item in self._state.get(self._key, []) if item[1] > now]

    def remember(self, request_id: str, state: str = "") -> None:
        item = [request_id, self._clock() + self._ttl, state]
        self._state[self._key] = (self._live() + [item])[-self._keep:]

    def take(self, request_id: str | None) -> str | None:
        live = self._live()
        found = next((item for item in live if item[0] == request_id), None) if request_id else None
        self._state[self._key] = [item for item in live if item is not found]
        return found[2] if found else None


class StoreRequests:
    """Outstanding requests in a shared one-time store, keyed by request ID: the ACS needs no
    cookie to find them, and any worker can finish the flow."""

    def __init__(self, store: OneTimeStore, prefix: str,
                 ttl: float = REQUEST_VALIDITY.total_seconds()) -> None:
        self._store, self._prefix, self._ttl = store, prefix, int(ttl)

    def remember(self, request_id: str, state: str = "") -> None:
        # Stored with a marker, so that an empty state is still found.
        self._store.put(self._prefix + request_id, "=" + state, self._ttl)

    def take(self, request_id: str | None) -> str | None:
        if not request_id:
            return None
        value = self._store.take(self._prefix + request_id)
        return value[1:] if value else None


# -- request ---------------------------------------------------------------------------------


def authn_request(sp: ServiceProvider, sso_url: str, outstanding: OutstandingRequests, *,
                  now: dt.datetime, state: str = "", relay_state: str | None = None,
                  force_authn: bool = False, name_id_format: str | None = None,
                  extensions: Iterable[etree._Element] = (),
                  authn_contexts: Sequence[str] = ()) -> str:
    """The URL that sends the browser to the IdP with a signed HTTP-Redirect AuthnRequest;
    `state` is remembered with the request and comes back with the answer. `authn_contexts`:
    the AuthnContextClassRefs that will do (RequestedAuthnContext, Comparison exact: any of
    them), none: the IdP's choice."""
    request_id = new_id()
    root = el(None, "samlp:AuthnRequest", ID=request_id, Version="2.0", IssueInstant=instant(now),
              Destination=sso_url, AssertionConsumerServiceURL=sp.acs_url,
              ProtocolBinding=BINDING_HTTP_POST, ForceAuthn="true" if force_authn else None)
    el(root, "saml:Issuer", sp.entity_id)
    extensions = list(extensions)
    if extensions:
        el(root, "samlp:Extensions").extend(extensions)
    if name_id_format:
        el(root, "samlp:NameIDPolicy", Format=name_id_format, AllowCreate="true")
    if authn_contexts:
        requested = el(root, "samlp:RequestedAuthnContext", Comparison="exact")
        for class_ref in authn_contexts:
            el(requested, "saml:AuthnContextClassRef", class_ref)
    outstanding.remember(request_id, state)
    return redirect_url(sso_url, "SAMLRequest", to_bytes(root), relay_state, sp.keypair)


def capacity_extension(code: str) -> etree._Element:
    """The extension element asking the bridge for capacity `code`."""
    element = etree.Element(CAPACITY_EXTENSION, nsmap={"idb": IDB})
    element.text = code
    return element


# -- response --------------------------------------------------------------------------------


def accept_response(form: Mapping[str, str], sp: ServiceProvider, idp: IdpMetadata,
                    outstanding: OutstandingRequests, replay: OneTimeStore, *, now: dt.datetime,
                    skew: dt.timedelta = dt.timedelta(seconds=60),
                    max_bytes: int = 1 << 20,
                    decryption_keys: Sequence[KeyPair] = (),
                    signed_errors_only: bool = False) -> SignedIn:
    """Accept one POSTed SAMLResponse; raise `SamlSecurityError` (an `AssertionRefused`, a
    `SignatureRefused`, an `XmlRefused`, a `DecryptionRefused`) or `SignInDeclined` for a
    well-formed error status. Without `decryption_keys` an EncryptedAssertion is refused.

    `signed_errors_only`: an error status is acted on (the outstanding request taken, its
    status and message passed on) only from a signed Response; an unsigned one is refused as
    `unsigned_error_status` and leaves the request outstanding: anyone who saw a request ID
    (it is in a URL) could otherwise cancel a sign-in and put words in the IdP's mouth."""
    root = decode_post(form, "SAMLResponse", max_bytes).root
    if root.tag != f"{{{SAMLP}}}Response":
        raise AssertionRefused("not_a_response", f"{root.tag} is not a samlp:Response")
    issuer = issuer_of(root)
    if issuer is not None and issuer != idp.entity_id:
        raise AssertionRefused("wrong_issuer", f"Response issuer {issuer!r}")
    signed = root.find(f"{{{xmlsig.DS}}}Signature") is not None
    if signed:
        xmlsig.verify(root, root, idp.signing_certs)
    if root.get("Destination") != sp.acs_url:
        raise AssertionRefused("wrong_destination", f"Destination {root.get('Destination')!r}")
    in_response_to = root.get("InResponseTo")

    code, sub_code, message = read_status(root)
    if code != SUCCESS:
        if signed_errors_only and not signed:
            raise AssertionRefused("unsigned_error_status", "an unsigned Response with an error status")
        state = outstanding.take(in_response_to)
        if state is None:
            raise AssertionRefused("unknown_in_response_to", f"error status for {in_response_to!r}")
        raise SignInDeclined(code, sub_code, message, state)

    assertion = _verified_assertion(root, idp, decryption_keys)
    # From here on only `assertion` is read: it is the element whose signature verified.
    if issuer_of(assertion) != idp.entity_id:
        raise AssertionRefused("wrong_issuer", f"Assertion issuer {issuer_of(assertion)!r}")
    name_id = check_subject(assertion, sp.acs_url, in_response_to, now=now, skew=skew)
    check_conditions(assertion, sp.entity_id, now=now, skew=skew)
    statements = assertion.findall(f"{{{SAML}}}AuthnStatement")
    if len(statements) != 1:
        raise AssertionRefused("no_authn_statement", f"{len(statements)} AuthnStatements")
    statement = statements[0]

    assertion_id = assertion.get("ID", "")
    if not replay.first_use(f"sp:{sp.entity_id}:assertion:{idp.entity_id}:{assertion_id}",
                            _REPLAY_TTL):
        raise AssertionRefused("replayed", f"assertion {assertion_id} was used before")
    state = outstanding.take(in_response_to)
    if state is None:
        raise AssertionRefused("unknown_in_response_to", f"no outstanding request {in_response_to!r}")
    issued = name_id_of(assertion.find(f"{{{SAML}}}Subject"))
    return SignedIn(
        assertion_id=assertion_id, state=state, issuer=idp.entity_id, name_id=name_id,
        session_index=statement.get("SessionIndex"),
        authn_context=_text(statement, f"{{{SAML}}}AuthnContext/{{{SAML}}}AuthnContextClassRef"),
        authn_instant=parse_instant(statement.get("AuthnInstant")),
        attributes=attributes_of(assertion),
        name_id_format=issued.format if issued else None,
        name_qualifier=issued.name_qualifier if issued else None,
        sp_name_qualifier=issued.sp_name_qualifier if issued else None)


def _verified_assertion(root: etree._Element, idp: IdpMetadata,
                        decryption_keys: Sequence[KeyPair]) -> etree._Element:
    """The Response's one Assertion, signed by the IdP: as it came, or decrypted.

    An EncryptedAssertion is decrypted only inside a Response whose signature has verified
    (tampered ciphertext never reaches the decryption, see `encryption`), and what it holds
    must carry its own signature: the Response's signature does not cover the plaintext.
    One assertion per Response, plain or encrypted; more is refused as wrapping."""
    encrypted = root.findall(f"{{{SAML}}}EncryptedAssertion")
    if not encrypted:
        return xmlsig.verify(root, "/samlp:Response/saml:Assertion", idp.signing_certs)
    if not decryption_keys:
        raise AssertionRefused("encrypted_assertion", "encrypted assertions are not configured")
    plain = root.findall(f"{{{SAML}}}Assertion")
    if len(encrypted) > 1 or plain:
        raise SignatureRefused("wrapping", f"{len(encrypted)} EncryptedAssertion and "
                                           f"{len(plain)} Assertion elements in one Response")
    if root.find(f"{{{xmlsig.DS}}}Signature") is None:
        raise SignatureRefused("unsigned", "an EncryptedAssertion needs a signed Response")
    decrypted = decrypt_encrypted_assertion(encrypted[0], decryption_keys)
    return xmlsig.verify(decrypted, decrypted, idp.signing_certs)


def check_subject(assertion: etree._Element, acs_url: str, in_response_to: str | None, *,
                  now: dt.datetime, skew: dt.timedelta) -> str:
    """The NameID of a bearer assertion addressed to `acs_url` in answer to `in_response_to`."""
    subject = assertion.find(f"{{{SAML}}}Subject")
    name_id = subject.findtext(f"{{{SAML}}}NameID") if subject is not None else None
    if not name_id:
        raise AssertionRefused("no_subject", "assertion without Subject/NameID")
    for confirmation in subject.findall(f"{{{SAML}}}SubjectConfirmation"):
        if confirmation.get("Method") != BEARER:
            continue
        data = confirmation.find(f"{{{SAML}}}SubjectConfirmationData")
        if data is None:
            continue
        if data.get("Recipient") != acs_url:
            raise AssertionRefused("wrong_recipient", f"Recipient {data.get('Recipient')!r}")
        not_on_or_after = parse_instant(data.get("NotOnOrAfter"))
        if not_on_or_after is None or now >= not_on_or_after + skew:
            raise AssertionRefused("expired", "SubjectConfirmationData has expired")
        if data.get("NotBefore"):
            raise AssertionRefused("bad_confirmation", "bearer confirmation with NotBefore")
        if data.get("InResponseTo") != in_response_to or not in_response_to:
            raise AssertionRefused("in_response_to_mismatch",
                                   f"{data.get('InResponseTo')!r} vs {in_response_to!r}")
        return name_id.strip()
    raise AssertionRefused("no_bearer_confirmation", "no bearer SubjectConfirmationData")


def check_conditions(assertion: etree._Element, audience: str, *, now: dt.datetime,
                     skew: dt.timedelta) -> None:
    """Valid now, and every AudienceRestriction admits `audience` (SAML core 2.5.1.4)."""
    conditions = assertion.find(f"{{{SAML}}}Conditions")
    if conditions is None:
        raise AssertionRefused("no_conditions", "assertion without Conditions")
    not_before = parse_instant(conditions.get("NotBefore"))
    if conditions.get("NotBefore") and (not_before is None or now + skew < not_before):
        raise AssertionRefused("not_yet_valid", f"NotBefore {conditions.get('NotBefore')}")
    not_on_or_after = parse_instant(conditions.get("NotOnOrAfter"))
    if conditions.get("NotOnOrAfter") and (not_on_or_after is None or now >= not_on_or_after + skew):
        raise AssertionRefused("expired", f"NotOnOrAfter {conditions.get('NotOnOrAfter')}")
    restrictions = conditions.findall(f"{{{SAML}}}AudienceRestriction")
    if not restrictions:
        raise AssertionRefused("wrong_audience", "no AudienceRestriction")
    for restriction in restrictions:
        audiences = [(a.text or "").strip() for a in restriction.findall(f"{{{SAML}}}Audience")]
        if audience not in audiences:
            raise AssertionRefused("wrong_audience", f"Audience {audiences}")


def attributes_of(assertion: etree._Element) -> dict[str, list[str]]:
    """Every Attribute of the assertion's AttributeStatements: Name -> values."""
    found: dict[str, list[str]] = {}
    for attribute in assertion.iterfind(f"{{{SAML}}}AttributeStatement/{{{SAML}}}Attribute"):
        values = [(v.text or "").strip() for v in attribute.findall(f"{{{SAML}}}AttributeValue")]
        found.setdefault(attribute.get("Name", ""), []).extend(values)
    return found


def _text(node: etree._Element, path: str) -> str | None:
    text = node.findtext(path)
    return text.strip() if text else None


# -- metadata --------------------------------------------------------------------------------


def sp_metadata(entity_id: str, acs_url: str, keypairs: Sequence[KeyPair], *,
                slo_url: str | None = None, slo_binding: str | None = None,
                name_id_format: str | None = None,
                encryption_keypairs: Sequence[KeyPair] = (),
                now: dt.datetime | None = None) -> bytes:
    """An SPSSODescriptor: signed AuthnRequests, signed assertions wanted, one HTTP-POST ACS,
    per SAML2Int (samlkit.mdprofile; `now` for a copy served at its entityID).

    Several key pairs publish a rollover (the next key before it signs). `encryption_keypairs`
    are published with use="encryption": an IdP may then encrypt assertions to them."""
    root = entity_descriptor(entity_id, now)
    sp = el(root, "md:SPSSODescriptor", AuthnRequestsSigned="true", WantAssertionsSigned="true",
            protocolSupportEnumeration=SAML2)
    for keypair in keypairs:
        key_descriptor(sp, keypair, "signing")
    for keypair in encryption_keypairs:
        key_descriptor(sp, keypair, "encryption")
    if slo_url:
        el(sp, "md:SingleLogoutService", Binding=slo_binding, Location=slo_url)
    if name_id_format:
        el(sp, "md:NameIDFormat", name_id_format)
    el(sp, "md:AssertionConsumerService", Binding=BINDING_HTTP_POST, Location=acs_url,
       index="0", isDefault="true")
    return to_bytes(root)
