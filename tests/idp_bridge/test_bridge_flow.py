"""The whole journey without a browser: application -> bridge -> dev_eid -> bridge -> capacity
-> application, with the assertion verified by pysaml2 as the application would."""
import pytest
from support import BART, CHRIS, EMIL, MERELBEKE, NAZARETH
from support.bridge import attributes_of, saml_response_of

P = "urn:lb-idbeheer:attribute:"


@pytest.mark.parametrize("method", ["eid", "token"])
def test_employee_signs_in_to_the_application(bridge, method):
    sp = bridge.sp("demo-app")
    browser = bridge.browser()
    answer = browser.sign_in(sp, BART, MERELBEKE, method=method)
    assert answer.status_code == 200
    response = sp.consume(saml_response_of(answer.data))
    attributes = attributes_of(response)
    assert attributes["rrn"] == [BART]
    assert attributes["surname"] == ["Claes"] and attributes["givenName"] == ["Bart"]
    assert attributes["authnMethod"] == [method]
    assert attributes["capacity"] == ["employee"] and attributes["government"] == [MERELBEKE]
    assert attributes["right"] == [f"demo-app-reader@{MERELBEKE}"]
    assertion = response.assertion
    assert assertion.conditions.audience_restriction[0].audience[0].text == sp.entity_id
    confirmation = assertion.subject.subject_confirmation[0].subject_confirmation_data
    assert confirmation.recipient == sp.acs and confirmation.in_response_to in sp.outstanding
    assert assertion.subject.name_id.format.endswith(":persistent")
    outcomes = [(e.outcome, e.reason, e.method) for e in bridge.events()]
    assert outcomes == [("success", "upstream_signed_in", method),
                        ("success", "assertion_issued", method)]
    assert bridge.events()[-1].capacity == MERELBEKE and bridge.events()[-1].application == "demo-app"


def test_rights_are_those_of_the_chosen_government_only(bridge):
    sp = bridge.sp("demo-app")
    answer = bridge.browser().sign_in(sp, CHRIS, NAZARETH)
    attributes = attributes_of(sp.consume(saml_response_of(answer.data)))
    assert attributes["government"] == [NAZARETH] and attributes.get("right", []) == []


def test_citizen_carries_no_government_and_no_rights(bridge):
    sp = bridge.sp("demo-app")
    with bridge.db() as s, s.begin():
        from sqlalchemy import select

        from attribute_authority.models import Application
        app = s.scalars(select(Application).where(Application.code == "demo-app")).one()
        app.capacity = "any"
    try:
        answer = bridge.browser().sign_in(sp, EMIL, "citizen")
        attributes = attributes_of(sp.consume(saml_response_of(answer.data)))
    finally:
        with bridge.db() as s, s.begin():
            s.scalars(select(Application).where(Application.code == "demo-app")).one().capacity = "employee"
    assert attributes["capacity"] == ["citizen"] and "government" not in attributes
    assert attributes["rrn"] == [EMIL]


def test_pairwise_name_id_is_stable_per_application_and_resolvable(bridge):
    demo = bridge.sp("demo-app")
    browser = bridge.browser()
    first = demo.consume(saml_response_of(browser.sign_in(demo, BART, MERELBEKE).data))
    again = bridge.browser().sign_in(demo, BART, MERELBEKE)
    second = demo.consume(saml_response_of(again.data))
    assert first.assertion.subject.name_id.text == second.assertion.subject.name_id.text
    name_id = first.assertion.subject.name_id.text
    assert BART not in name_id
    resolver = bridge.app.extensions["idp_bridge"].name_ids
    assert resolver.rrn_for("demo-app", name_id) == BART
    assert resolver.rrn_for("other-app", name_id) is None
    assert resolver.name_id("other-app", BART) != name_id


def test_single_sign_on_to_a_second_application_needs_no_new_sign_in(bridge):
    demo, other = bridge.sp("demo-app"), bridge.sp("other-app")
    browser = bridge.browser()
    browser.sign_in(demo, BART, MERELBEKE)
    answer = browser.get(other.login_url())
    assert answer.status_code == 200
    attributes = attributes_of(other.consume(saml_response_of(answer.data)))
    assert attributes["government"] == [MERELBEKE] and attributes.get("right", []) == []
