"""Published metadata (schema-valid, endpoints, keys) and the production start-up refusals."""
import dataclasses
from importlib.resources import files

import pytest
from lxml import etree
from saml2.xml import schema
from support import BART, MERELBEKE
from support.bridge import BASE, BridgeHarness, saml_response_of

from idp_bridge.web import BridgeMisconfigured, create_bridge_app
from samlkit.keys import self_signed_keypair
from samlkit.spmetadata import read_idp_metadata

MD = "urn:oasis:names:tc:SAML:2.0:metadata"


@pytest.fixture(scope="module")
def metadata_schema():
    return schema._create_xml_schema_validator(
        str(files("saml2.data.schemas").joinpath("saml-schema-metadata-2.0.xsd")))


@pytest.mark.parametrize("path", ["/idp/metadata", "/sp/metadata", "/dev-eid/metadata"])
def test_metadata_is_schema_valid(bridge, metadata_schema, path):
    xml = bridge.app.test_client().get(path).data
    schema.validate(xml.decode(), metadata_schema)
    assert etree.fromstring(xml).get("entityID") == BASE + path


def test_idp_metadata_has_both_sso_bindings_slo_and_a_signing_key(bridge, tmp_path):
    (tmp_path / "idp.xml").write_bytes(bridge.app.test_client().get("/idp/metadata").data)
    idp = read_idp_metadata(tmp_path / "idp.xml")
    assert set(idp.single_sign_on_services) == {
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"}
    assert idp.single_logout_services and idp.want_authn_requests_signed
    assert idp.signing_certs[0] == bridge.keys["idp"].certificate


def test_want_authn_requests_signed_follows_the_configuration(tmp_path, bridge_engine, bridge_keys):
    harness = BridgeHarness(tmp_path, bridge_engine, bridge_keys,
                            config_overrides={"want_authn_requests_signed": False})
    xml = harness.app.test_client().get("/idp/metadata").data
    assert b'WantAuthnRequestsSigned="false"' in xml


def test_response_is_schema_valid(bridge):
    sp = bridge.sp("demo-app")
    answer = bridge.browser().sign_in(sp, BART, MERELBEKE)
    import base64
    schema.validate(base64.b64decode(saml_response_of(answer.data)).decode())


def test_dev_eid_metadata_is_written_for_the_bridge_sp(bridge):
    written = bridge.metadata_dir / "upstream" / "dev-eid.xml"
    assert read_idp_metadata(written).entity_id == BASE + "/dev-eid/metadata"


def _production(bridge, **changes):
    config = dataclasses.replace(bridge.config, mode="production", base_url="https://idbeheer.example",
                                 **changes)
    return dataclasses.replace(bridge.deps, config=config)


def test_production_refuses_dev_eid(bridge):
    with pytest.raises(BridgeMisconfigured, match="dev_eid"):
        create_bridge_app(_production(bridge, dev_eid=True))


def test_production_refuses_dev_keys(bridge):
    with pytest.raises(BridgeMisconfigured, match="development"):
        create_bridge_app(_production(bridge, dev_eid=False))


def test_production_refuses_plain_http(bridge):
    from cryptography.hazmat.primitives.asymmetric import rsa
    real = self_signed_keypair(rsa.generate_private_key(public_exponent=65537, key_size=2048),
                               "real", days=30)
    deps = _production(bridge, dev_eid=False)
    deps = dataclasses.replace(deps, keys=dataclasses.replace(deps.keys, idp=real, sp=real,
                                                              sp_encryption=real),
                               config=dataclasses.replace(deps.config, base_url="http://x"))
    with pytest.raises(BridgeMisconfigured, match="https"):
        create_bridge_app(deps)
    ok = dataclasses.replace(deps, config=dataclasses.replace(deps.config, base_url="https://x"))
    assert create_bridge_app(ok).test_client().get("/dev-eid/metadata").status_code == 404


def test_production_refuses_a_development_encryption_key(bridge):
    from cryptography.hazmat.primitives.asymmetric import rsa
    real = self_signed_keypair(rsa.generate_private_key(public_exponent=65537, key_size=2048),
                               "real", days=30)
    deps = _production(bridge, dev_eid=False)
    deps = dataclasses.replace(deps, keys=dataclasses.replace(deps.keys, idp=real, sp=real))
    with pytest.raises(BridgeMisconfigured, match="sp-encryption"):
        create_bridge_app(deps)
