"""The application's NameIDPolicy is honoured (SAML core 3.4.1.1): persistent pairwise NameIDs
by default, a fresh transient one when asked (SimpleSAMLphp's default), InvalidNameIDPolicy
for a Format the bridge does not issue; SLO names the NameID in the Format it was issued in."""
import base64
from urllib.parse import parse_qs, urlsplit

from lxml import etree
from saml2 import BINDING_HTTP_REDIRECT
from saml2.samlp import NameIDPolicy
from support import BART, MERELBEKE
from support.bridge import attributes_of, saml_response_of

TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"


def _sign_in(bridge, sp, policy):
    """One full sign-in in a new browser; returns it and the application's pysaml2 response."""
    browser = bridge.browser()
    acs_answer = browser.upstream_sign_in(sp, BART, "eid", name_id_policy=policy)
    assert acs_answer.status_code == 303, acs_answer.data[:800]
    answer = browser.choose(MERELBEKE)
    return browser, sp.consume(saml_response_of(answer.data))


def _path(url):
    parts = urlsplit(url)
    return parts.path + "?" + parts.query


def test_transient_is_fresh_at_each_sign_in_and_resolvable(bridge):
    sp = bridge.sp("demo-app")
    _, first = _sign_in(bridge, sp, NameIDPolicy(format=TRANSIENT, allow_create="true"))
    _, second = _sign_in(bridge, sp, NameIDPolicy(format=TRANSIENT, allow_create="true"))
    ids = [r.assertion.subject.name_id for r in (first, second)]
    assert [i.format for i in ids] == [TRANSIENT, TRANSIENT]
    assert ids[0].text != ids[1].text and BART not in ids[0].text
    assert attributes_of(first)["rrn"] == [BART]
    resolver = bridge.app.extensions["idp_bridge"].name_ids
    assert resolver.rrn_for("demo-app", ids[0].text) == BART == resolver.rrn_for("demo-app", ids[1].text)
    assert resolver.rrn_for("other-app", ids[0].text) is None
    assert ids[0].text != resolver.name_id("demo-app", BART)


def test_unspecified_and_persistent_get_the_pairwise_persistent_name_id(bridge):
    sp = bridge.sp("demo-app")
    resolver = bridge.app.extensions["idp_bridge"].name_ids
    for policy in (NameIDPolicy(format=UNSPECIFIED), NameIDPolicy(format=PERSISTENT)):
        _, response = _sign_in(bridge, sp, policy)
        name_id = response.assertion.subject.name_id
        assert name_id.format == PERSISTENT and name_id.text == resolver.name_id("demo-app", BART)


def _refused_status(bridge, policy):
    sp = bridge.sp("demo-app")
    answer = bridge.browser().get(sp.login_url(name_id_policy=policy))
    assert answer.status_code == 200  # the error goes back to the application's ACS
    root = etree.fromstring(base64.b64decode(saml_response_of(answer.data)))
    codes = [c.get("Value") for c in root.iter("{urn:oasis:names:tc:SAML:2.0:protocol}StatusCode")]
    assert root.find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion") is None
    return codes


def test_a_format_the_bridge_does_not_issue_is_an_invalid_name_id_policy(bridge):
    codes = _refused_status(bridge, NameIDPolicy(format=EMAIL, allow_create="true"))
    assert codes == ["urn:oasis:names:tc:SAML:2.0:status:Requester",
                     "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"]
    assert bridge.events()[-1].reason == "invalid_name_id_policy"


def test_an_affiliation_qualifier_is_an_invalid_name_id_policy(bridge):
    codes = _refused_status(bridge, NameIDPolicy(format=PERSISTENT,
                                                 sp_name_qualifier="https://affiliation.example.test"))
    assert codes[-1] == "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"


def test_idp_metadata_lists_both_formats(bridge):
    xml = etree.fromstring(bridge.app.test_client().get("/idp/metadata").data)
    formats = [e.text for e in xml.iter("{urn:oasis:names:tc:SAML:2.0:metadata}NameIDFormat")]
    assert formats == [PERSISTENT, TRANSIENT]


def test_logout_names_the_transient_name_id_as_issued(bridge):
    demo = bridge.sp("demo-app")
    browser, response = _sign_in(bridge, demo, NameIDPolicy(format=TRANSIENT, allow_create="true"))
    hop = browser.sign_out_everywhere()
    assert hop.status_code == 302 and hop.headers["Location"].startswith(demo.slo)
    query = parse_qs(urlsplit(hop.headers["Location"]).query)
    request = demo.client.parse_logout_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
    assert request.message.name_id.format == TRANSIENT
    assert request.message.name_id.text == response.assertion.subject.name_id.text
