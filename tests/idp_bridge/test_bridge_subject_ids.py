"""Issue 11.4: SAML V2.0 Subject Identifier Attributes. pairwise-id always; subject-id only for
an application whose metadata asks for it (RequestedAttribute, or the subject-id:req entity
attribute); both scoped with the scope /idp/metadata publishes (shibmd:Scope)."""
import re

import pytest
from lxml import etree
from support import BART, CHRIS, MERELBEKE
from support.bridge import saml_response_of

from samlkit.mdprofile import SHIBMD
from samlkit.spmetadata import PAIRWISE_ID, SUBJECT_ID, SUBJECT_ID_REQ

MDATTR = "urn:oasis:names:tc:SAML:metadata:attribute"
# uniqueID@scope: 1-127 of [a-zA-Z0-9=-], the first alphanumeric (profile, section 3.3.1/3.4.1)
VALUE = re.compile(r"[a-z0-9][a-z0-9=-]{0,126}@([a-z0-9][a-z0-9.-]{0,126})")


def _ids(bridge, sp, rrn=BART, government=MERELBEKE):
    """The subject identifiers of a sign-in, as the assertion verified by pysaml2 carries them
    (by Name: pysaml2's `ava` maps only the attributes of its own maps)."""
    answer = bridge.browser().sign_in(sp, rrn, government)
    assertion = sp.consume(saml_response_of(answer.data)).assertion
    return {a.name: [v.text for v in a.attribute_value]
            for statement in assertion.attribute_statement for a in statement.attribute
            if a.name in (PAIRWISE_ID, SUBJECT_ID)}


def _scope(bridge) -> str:
    root = etree.fromstring(bridge.app.test_client().get("/idp/metadata").data)
    return root.find(f".//{{{SHIBMD}}}Scope").text


def test_pairwise_id_always_scoped_stable_and_per_application(bridge):
    demo, other = bridge.sp("demo-app"), bridge.sp("idbeheer")
    first = _ids(bridge, demo)
    assert set(first) == {PAIRWISE_ID}  # no subject-id unless asked for
    (value,) = first[PAIRWISE_ID]
    match = VALUE.fullmatch(value)
    assert match and match.group(1) == _scope(bridge) == "localhost"
    assert _ids(bridge, demo)[PAIRWISE_ID] == [value]  # the same at every sign-in
    assert _ids(bridge, other)[PAIRWISE_ID] != [value]  # unlinkable across applications
    assert _ids(bridge, demo, CHRIS)[PAIRWISE_ID] != [value]  # never another person's


@pytest.mark.parametrize("how", ["requested_attribute", "entity_attribute"])
def test_subject_id_when_the_metadata_asks_for_it(bridge, how):
    demo, other = bridge.sp("demo-app"), bridge.sp("idbeheer")
    if how == "requested_attribute":
        ask = {"requested": f'<md:RequestedAttribute Name="{SUBJECT_ID}" isRequired="true"/>'}
    else:
        ask = {"extensions": f'<mdattr:EntityAttributes xmlns:mdattr="{MDATTR}" '
                             'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">'
                             f'<saml:Attribute Name="{SUBJECT_ID_REQ}"><saml:AttributeValue>'
                             'subject-id</saml:AttributeValue></saml:Attribute>'
                             '</mdattr:EntityAttributes>'}
    demo.publish(**ask)
    other.publish(**ask)
    ids = _ids(bridge, demo)
    (subject_id,) = ids[SUBJECT_ID]
    assert VALUE.fullmatch(subject_id) and subject_id.endswith("@localhost")
    assert subject_id != ids[PAIRWISE_ID][0] and BART not in subject_id
    assert _ids(bridge, other)[SUBJECT_ID] == [subject_id]  # one value for every application


def test_pairwise_req_alone_releases_no_subject_id(bridge):
    demo = bridge.sp("demo-app")
    demo.publish(extensions=f'<mdattr:EntityAttributes xmlns:mdattr="{MDATTR}" '
                            'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">'
                            f'<saml:Attribute Name="{SUBJECT_ID_REQ}"><saml:AttributeValue>'
                            'pairwise-id</saml:AttributeValue></saml:Attribute>'
                            '</mdattr:EntityAttributes>')
    assert set(_ids(bridge, demo)) == {PAIRWISE_ID}
