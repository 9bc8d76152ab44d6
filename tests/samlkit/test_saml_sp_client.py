"""The SP client: a signed AuthnRequest out, only a verified Assertion for us, now, in answer to
us, used once, back in."""
import base64
import datetime as dt

import pytest
from lxml import etree
from support.sp import P, StubIdp, employee

from samlkit.encryption import encrypt_assertion
from samlkit.errors import AssertionRefused, SignatureRefused
from samlkit.keys import ensure_dev_keypair
from samlkit.replay import MemoryStore
from samlkit.samlxml import REQUESTER, SAML
from samlkit.sp_client import (
    ServiceProvider,
    SessionRequests,
    SignInDeclined,
    StoreRequests,
    accept_response,
    authn_request,
    sp_metadata,
)
from samlkit.spmetadata import parse_sp_metadata
from samlkit.xmlsig import sign

ENTITY, ACS = "http://localhost/admin/metadata", "http://localhost/admin/acs"


@pytest.fixture
def sp(other_keypair):
    return ServiceProvider(ENTITY, ACS, other_keypair)


@pytest.fixture
def idp(keypair):
    return StubIdp(keypair)


@pytest.fixture
def session():
    return {}


def start(sp, idp, session, **kw):
    return authn_request(sp, idp.sso_url, SessionRequests(session), now=dt.datetime.now(dt.UTC), **kw)


def accept(form, sp, idp, session, store=None, **kw):
    return accept_response(form, sp, idp.metadata(), SessionRequests(session), store or MemoryStore(),
                           now=kw.pop("now", dt.datetime.now(dt.UTC)), **kw)


def test_the_request_is_signed_with_rsa_sha256_and_names_us(sp, idp, session):
    url = start(sp, idp, session, relay_state="/admin/people")
    assert url.startswith(idp.sso_url + "?SAMLRequest=")
    assert "SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256" in url
    request = idp.request_of(url, [sp.keypair.certificate])  # the signature verifies
    assert request.get("Destination") == idp.sso_url
    assert request.get("AssertionConsumerServiceURL") == ACS
    assert request.findtext(f"{{{SAML}}}Issuer") == ENTITY
    assert [item[0] for item in session["saml_outstanding"]] == [request.get("ID")]


def test_a_verified_assertion_gives_its_attributes_and_the_state_once(sp, idp, session):
    url = authn_request(sp, idp.sso_url, SessionRequests(session), now=dt.datetime.now(dt.UTC),
                        state="/admin/people")
    form = idp.answer(url, employee("85073003328", "44088", "a@44088", "b@44088"))
    signed_in = accept(form, sp, idp, session)
    assert signed_in.state == "/admin/people"
    assert signed_in.first(P + "government") == "44088"
    assert signed_in.attributes[P + "right"] == ["a@44088", "b@44088"]
    assert signed_in.name_id == "nameid-1" and signed_in.issuer == idp.entity_id
    assert session["saml_outstanding"] == []


@pytest.mark.parametrize("change, reason", [
    ({"audience": "http://localhost/demo-app/metadata"}, "wrong_audience"),
    ({"recipient": "http://localhost/demo-app/acs"}, "wrong_recipient"),
    ({"destination": "http://localhost/demo-app/acs"}, "wrong_destination"),
    ({"in_response_to": "_someone-elses"}, "unknown_in_response_to"),
    ({"now": dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)}, "expired"),
])
def test_an_assertion_not_for_us_now_is_refused(sp, idp, session, change, reason):
    url = start(sp, idp, session)
    with pytest.raises(AssertionRefused) as refused:
        accept(idp.answer(url, employee("85073003328", "44088"), **change), sp, idp, session)
    assert refused.value.reason == reason


def test_unsigned_or_foreign_signatures_are_refused(sp, idp, session, other_keypair):
    url = start(sp, idp, session)
    with pytest.raises(SignatureRefused):
        accept(idp.answer(url, employee("85073003328", "44088"), sign_assertion=False), sp, idp, session)
    with pytest.raises(SignatureRefused):
        accept(idp.answer(url, employee("85073003328", "44088"), signer=other_keypair), sp, idp, session)


def test_a_second_unsigned_assertion_beside_the_signed_one_is_refused(sp, idp, session):
    url = start(sp, idp, session)
    form = idp.answer(url, employee("85073003328", "44088"))
    root = etree.fromstring(base64.b64decode(form["SAMLResponse"]))
    forged = etree.fromstring(etree.tostring(root.find(f"{{{SAML}}}Assertion")))
    forged.set("ID", "_forged")
    root.append(forged)
    with pytest.raises(SignatureRefused) as refused:
        accept({"SAMLResponse": base64.b64encode(etree.tostring(root)).decode()}, sp, idp, session)
    assert refused.value.reason == "wrapping"


def test_replay_and_unsolicited_answers_are_refused(sp, idp, session):
    store = MemoryStore()
    url = start(sp, idp, session)
    form = idp.answer(url, employee("85073003328", "44088"))
    accept(form, sp, idp, session, store)
    with pytest.raises(AssertionRefused) as replayed:
        accept(form, sp, idp, session, store)
    assert replayed.value.reason == "replayed"
    with pytest.raises(AssertionRefused) as unsolicited:  # same answer, other browser
        accept(form, sp, idp, {}, MemoryStore())
    assert unsolicited.value.reason == "unknown_in_response_to"


def test_an_error_status_is_a_declined_sign_in_with_its_state(sp, idp, session):
    url = authn_request(sp, idp.sso_url, SessionRequests(session), now=dt.datetime.now(dt.UTC),
                        state="back")
    with pytest.raises(SignInDeclined) as declined:
        accept(idp.answer(url, code=REQUESTER), sp, idp, session)
    assert declined.value.code == REQUESTER and declined.value.state == "back"
    with pytest.raises(AssertionRefused):  # the request is used up
        accept(idp.answer(url, code=REQUESTER), sp, idp, session)


def test_session_requests_expire_and_keep_a_few():
    state, now = {}, [1000.0]
    requests = SessionRequests(state, ttl=60, keep=2, clock=lambda: now[0])
    for rid in ("_a", "_b", "_c"):
        requests.remember(rid, rid.upper())
    assert requests.take("_a") is None  # pushed out by the newer ones
    now[0] += 61
    assert requests.take("_c") is None  # expired
    requests.remember("_d", "")
    assert requests.take("_d") == "" and requests.take("_d") is None


def test_store_requests_work_without_a_cookie():
    store = MemoryStore()
    StoreRequests(store, "x:").remember("_a", "")
    assert StoreRequests(store, "x:").take("_a") == ""
    assert StoreRequests(store, "x:").take("_a") is None and StoreRequests(store, "x:").take(None) is None


def test_metadata_reads_back_as_a_signing_sp(sp):
    metadata = parse_sp_metadata(sp_metadata(ENTITY, ACS, [sp.keypair]), "idbeheer")
    assert metadata.entity_id == ENTITY and metadata.authn_requests_signed
    assert metadata.acs().location == ACS and metadata.signing_certs == (sp.keypair.certificate,)


def _encrypted(form, idp, recipient) -> dict[str, str]:
    """The answer with its (signed) Assertion encrypted to `recipient`, the Response signed."""
    root = etree.fromstring(base64.b64decode(form["SAMLResponse"]))
    assertion = root.find(f"{{{SAML}}}Assertion")
    root.replace(assertion, encrypt_assertion(assertion, recipient.certificate))
    sign(root, idp.keypair)
    return {"SAMLResponse": base64.b64encode(etree.tostring(root)).decode()}


def test_an_encrypted_assertion_needs_decryption_keys(sp, idp, session, certs_dir):
    encryption = ensure_dev_keypair(certs_dir, "sp-encryption", "test SP encryption")
    url = start(sp, idp, session, state="/x")
    form = _encrypted(idp.answer(url, employee("85073003328", "44088")), idp, encryption)
    with pytest.raises(AssertionRefused) as refused:  # the admin UI and demo-app publish none
        accept(form, sp, idp, session)
    assert refused.value.reason == "encrypted_assertion"
    url = start(sp, idp, session, state="/x")
    form = _encrypted(idp.answer(url, employee("85073003328", "44088")), idp, encryption)
    signed_in = accept(form, sp, idp, session, decryption_keys=[encryption])
    assert signed_in.first(P + "government") == "44088" and signed_in.state == "/x"


def test_metadata_publishes_encryption_keys_with_their_use(sp, certs_dir):
    encryption = ensure_dev_keypair(certs_dir, "sp-encryption", "test SP encryption")
    root = etree.fromstring(sp_metadata(ENTITY, ACS, [sp.keypair], encryption_keypairs=[encryption]))
    uses = [d.get("use") for d in root.iter("{urn:oasis:names:tc:SAML:2.0:metadata}KeyDescriptor")]
    assert uses == ["signing", "encryption"]
