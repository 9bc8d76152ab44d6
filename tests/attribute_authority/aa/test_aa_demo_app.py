"""demo-app, mounted at /demo-app in demo mode, asks the AA over real HTTP and shows rights:
only for the person signed in to it, about themselves; and its client (aa_client.py, the code
application owners copy) trusts only what the AA signed (issue 10.15)."""
import copy
from urllib.parse import urljoin

import pytest
import requests
from lxml import etree
from support import BART, CHRIS, MERELBEKE, NAZARETH
from support.aa import envelope, query, signed
from support.bridge import form_of

from examples.demo_app import ensure_demo_app
from examples.demo_app.aa_client import read_aa_metadata, read_answer

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def _signed_in(base: str, rrn: str, government: str) -> requests.Session:
    """A browser signed in to demo-app through the bridge and dev_eid, over HTTP."""
    browser = requests.Session()
    page = browser.get(f"{base}/demo-app/login", timeout=10)  # ends on dev_eid's form
    action, fields = form_of(page.content)
    autopost = browser.post(urljoin(page.url, action), timeout=10,
                            data={**fields, "rrn": rrn, "method": "eid"})
    action, fields = form_of(autopost.content)
    capacity = browser.post(action, data=fields, timeout=10)  # the bridge's /sp/acs
    action, fields = form_of(capacity.content)
    answer = browser.post(urljoin(capacity.url, action), timeout=10,
                          data={**fields, "capacity": government})
    action, fields = form_of(answer.content)
    me = browser.post(action, data=fields, timeout=10)  # demo-app's /acs, then /me
    assert me.url == f"{base}/demo-app/me" and "U bent aangemeld" in me.text, me.text[:500]
    return browser


def test_anonymous_visitors_get_no_lookup(aa_server):
    page = f"{aa_server.base_url}/demo-app/"
    shown = requests.get(page, timeout=10)
    assert shown.status_code == 200 and "Meld u eerst aan" in shown.text and 'name="rrn"' not in shown.text
    asked = requests.post(page, data={"rrn": BART}, timeout=10)
    assert asked.status_code == 401 and "demo-app-reader" not in asked.text


def test_the_signed_in_person_sees_their_own_rights_only(aa_server):
    browser = _signed_in(aa_server.base_url, BART, MERELBEKE)
    page = f"{aa_server.base_url}/demo-app/"
    shown = browser.post(page, data={"rrn": CHRIS}, timeout=10).text  # rrn is not a field
    assert "demo-app-reader@44088" in shown and "demo-app-admin" not in shown
    scoped = browser.post(page, data={"government": NAZARETH}, timeout=10).text
    assert "geen rechten" in scoped and "demo-app-reader" not in scoped


def _answer(server, rrn: str = BART):
    q = signed(query(server.demo.entity_id, rrn), server.demo.keypair)
    return q.get("ID"), server.post(envelope(q)).content


def _authority(server):
    return read_aa_metadata(requests.get(f"{server.base_url}/aa/metadata", timeout=10).content)


@pytest.mark.parametrize("mode", ["aa_server", "aa_server_one_signature"])
def test_the_client_reads_a_real_answer(request, mode):
    server = request.getfixturevalue(mode)
    query_id, data = _answer(server)
    got = read_answer(data, query_id, server.demo.entity_id, _authority(server))
    assert got.status == "Success" and got.rights == ["demo-app-reader@44088"]


def test_an_answer_to_another_query_is_refused_though_its_unsigned_response_says_ours(
        aa_server_one_signature):
    """The Response around the signed Assertion is unsigned in this mode: an attacker who
    holds an answer to query A (about Bart) relabels it as the answer to our query B (about
    Chris). Only the signed SubjectConfirmationData tells which query it answers."""
    server = aa_server_one_signature
    answer_a, data = _answer(server, BART)
    query_b, _ = _answer(server, CHRIS)
    root = etree.fromstring(data)
    response = root.find(f".//{{{SAMLP}}}Response")
    assert response.get("InResponseTo") == answer_a
    response.set("InResponseTo", query_b)
    with pytest.raises(ValueError, match="in_response_to_mismatch"):
        read_answer(etree.tostring(root), query_b, server.demo.entity_id, _authority(server))


def test_an_answer_meant_for_another_application_is_refused(aa_server):
    query_id, data = _answer(aa_server)
    with pytest.raises(ValueError, match="wrong_recipient|wrong_audience"):
        read_answer(data, query_id, f"{aa_server.base_url}/other-app/metadata", _authority(aa_server))


def test_an_answer_signed_by_another_key_is_refused(aa_server, aa_server_one_signature):
    """The second server has keys of its own: its answers do not verify with the first's."""
    query_id, data = _answer(aa_server_one_signature)
    trusted = _authority(aa_server)
    with pytest.raises(ValueError, match="bad_signature|untrusted_key"):
        read_answer(data, query_id, aa_server_one_signature.demo.entity_id,
                    trusted.__class__(_authority(aa_server_one_signature).entity_id, trusted.signing_certs))


def _changed(data: bytes, change) -> bytes:
    root = etree.fromstring(data)
    change(root, root.find(f"{{{SOAP}}}Body/{{{SAMLP}}}Response/{{{SAML}}}Assertion"))
    return etree.tostring(root)


def _duplicate_id(root, assertion):
    """A second element with the signed Assertion's ID, in the SOAP Header: wrapping."""
    header = etree.Element(f"{{{SOAP}}}Header")
    header.append(copy.deepcopy(assertion))
    root.insert(0, header)


def _sha1(root, assertion):
    method = assertion.find(f"{{{DS}}}Signature/{{{DS}}}SignedInfo/{{{DS}}}SignatureMethod")
    method.set("Algorithm", "http://www.w3.org/2000/09/xmldsig#rsa-sha1")


def _more_rights(root, assertion):
    value = assertion.find(f".//{{{SAML}}}AttributeValue")
    value.text = "demo-app-admin@44088"


@pytest.mark.parametrize("change, reason", [(_duplicate_id, "wrapping"), (_sha1, "weak_algorithm"),
                                            (_more_rights, "bad_signature")])
def test_the_client_checks_as_the_product_does(aa_server, change, reason):
    """aa_client verifies with the product's xmlsig: document-unique IDs, the algorithm
    allow-lists, and a signature over exactly what it reads (#10.15)."""
    query_id, data = _answer(aa_server)
    assert read_answer(data, query_id, aa_server.demo.entity_id, _authority(aa_server)).rights
    with pytest.raises(ValueError, match=reason):
        read_answer(_changed(data, change), query_id, aa_server.demo.entity_id, _authority(aa_server))


def test_demo_app_metadata_is_its_registration(aa_server):
    served = requests.get(f"{aa_server.base_url}/demo-app/metadata", timeout=10).content
    # The served copy adds validUntil and cacheDuration (SAML2Int); the rest is the same bytes.
    published = etree.fromstring(served)
    assert published.get("validUntil") and published.get("cacheDuration") == "PT6H"
    del published.attrib["validUntil"], published.attrib["cacheDuration"]
    assert etree.tostring(published) == (aa_server.sp_dir / "demo-app.xml").read_bytes()
    assert f'entityID="{aa_server.base_url}/demo-app/metadata"'.encode() in served
    assert f'Location="{aa_server.base_url}/demo-app/acs"'.encode() in served
    assert f'Location="{aa_server.base_url}/demo-app/slo"'.encode() in served


def test_ensure_demo_app_writes_once(tmp_path):
    ensure_demo_app(tmp_path / "metadata", tmp_path / "certs", "http://localhost:8000")
    target = tmp_path / "metadata" / "sp" / "demo-app.xml"
    stamp = target.stat().st_mtime_ns
    ensure_demo_app(tmp_path / "metadata", tmp_path / "certs", "http://localhost:8000")
    assert target.stat().st_mtime_ns == stamp
    assert (tmp_path / "certs" / "demo-app.key").exists()
    ensure_demo_app(tmp_path / "metadata", tmp_path / "certs", "http://127.0.0.1:9000")
    assert b"http://127.0.0.1:9000/demo-app/acs" in target.read_bytes()


def test_demo_apps_no_access_page_links_to_the_request_page_and_a_grant_opens_it(aa_server):
    """demo-app's own administration asks the AA live (R8); without demo-app-admin the page is
    the "no access" page with lb-idbeheer's request link (DESIGN.md: /account/request)."""
    from support import AN
    from support.aa import grant, revoke

    page = f"{aa_server.base_url}/demo-app/beheer"
    assert requests.get(page, timeout=10).status_code == 401
    browser = _signed_in(aa_server.base_url, BART, MERELBEKE)
    refused = browser.get(page, timeout=10)
    assert refused.status_code == 403 and "Geen toegang" in refused.text
    link = (f'href="{aa_server.base_url}/account/request?app=demo-app&amp;'
            f'right=demo-app-admin&amp;government={MERELBEKE}"')
    assert link in refused.text
    granted = grant(aa_server, BART, MERELBEKE, "demo-app-admin", by=AN)
    try:
        opened = browser.get(page, timeout=10)
        assert opened.status_code == 200 and "welkom in het beheer van demo-app" in opened.text
    finally:
        revoke(aa_server, granted, by=AN)
    assert browser.get(page, timeout=10).status_code == 403
