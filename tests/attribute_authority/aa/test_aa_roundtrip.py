"""Round trips with pysaml2's client side as the target application, over real HTTP: pysaml2
builds and signs the query (RSA-SHA256), sends it, and verifies and reads our answer."""
import pytest
from support import AN, BART, CHRIS, DINA, EMIL, GEERT, HANNE, MERELBEKE, NAZARETH
from support.aa import envelope, query, read, signed
from support.aa_pysaml2 import ask, rights


@pytest.mark.parametrize(("rrn", "expected"), [
    (BART, ["demo-app-reader@44088"]),
    (CHRIS, ["demo-app-admin@44088"]),
    (GEERT, ["demo-app-reader@44086"]),
])
def test_rights_of_the_demo_people(aa_server, demo_sp, rrn, expected):
    assert rights(ask(demo_sp, aa_server.soap_url, rrn)) == expected


def test_scope_by_one_government(aa_server, demo_sp):
    assert rights(ask(demo_sp, aa_server.soap_url, CHRIS, government=MERELBEKE)) == [
        "demo-app-admin@44088"]
    assert rights(ask(demo_sp, aa_server.soap_url, CHRIS, government=NAZARETH)) == []


@pytest.mark.parametrize(("rrn", "governments", "expected"), [
    (GEERT, [MERELBEKE, NAZARETH], ["demo-app-reader@44086"]),
    (CHRIS, [NAZARETH, MERELBEKE], ["demo-app-admin@44088"]),
    (BART, [NAZARETH, "11002"], []),
    (BART, [], ["demo-app-reader@44088"]),  # the attribute without values: no limit
])
def test_scope_by_several_governments(aa_server, rrn, governments, expected):
    q = signed(query(aa_server.demo.entity_id, rrn, governments=governments),
               aa_server.demo.keypair)
    answer = read(aa_server.post(envelope(q)).content)
    assert answer.statuses == ["Success"] and answer.rights == expected


@pytest.mark.parametrize("rrn", [AN, DINA])
def test_no_rights_of_this_application_is_success_without_values(aa_server, demo_sp, rrn):
    """An and Dina hold rights of idbeheer only: demo-app hears Success and no value."""
    parsed = ask(demo_sp, aa_server.soap_url, rrn)
    assert parsed.response.status.status_code.value.endswith(":Success")
    assert rights(parsed) == []


@pytest.mark.parametrize("rrn", [HANNE, EMIL, "12345678901", "not-a-number"])
def test_unknown_person_is_unknown_principal(aa_server, rrn):
    """In the register but never added (Hanne, Emil), an invalid number, or no number."""
    q = signed(query(aa_server.demo.entity_id, rrn), aa_server.demo.keypair)
    answer = read(aa_server.post(envelope(q)).content)
    assert answer.statuses == ["Requester", "UnknownPrincipal"]
    assert answer.rights is None


def test_pairwise_name_id_without_the_bridge_is_unknown_principal(aa_server):
    q = signed(query(aa_server.demo.entity_id, "a1b2c3d4e5f6",
                     name_format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"),
               aa_server.demo.keypair)
    assert read(aa_server.post(envelope(q)).content).statuses == ["Requester", "UnknownPrincipal"]


def test_encrypted_id_is_answered_like_the_plain_name_id(aa_server):
    encryption_key = aa_server.keys.encryption[0]
    q = signed(query(aa_server.demo.entity_id, BART, encrypt_to=encryption_key),
               aa_server.demo.keypair)
    answer = read(aa_server.post(envelope(q)).content)
    assert answer.statuses == ["Success"]
    assert answer.rights == ["demo-app-reader@44088"]
    # The Subject echoes the EncryptedID: the RRN never travels back in clear.
    assert BART.encode() not in aa_server.post(envelope(signed(query(
        aa_server.demo.entity_id, BART, encrypt_to=encryption_key),
        aa_server.demo.keypair))).content


def test_encrypted_id_to_another_key_is_unknown_principal(aa_server, tmp_path):
    from samlkit.keys import ensure_dev_keypair

    stranger = ensure_dev_keypair(tmp_path, "stranger", "not the AA")
    q = signed(query(aa_server.demo.entity_id, BART, encrypt_to=stranger), aa_server.demo.keypair)
    answer = read(aa_server.post(envelope(q)).content)
    assert answer.statuses == ["Requester", "UnknownPrincipal"] and answer.rights is None
