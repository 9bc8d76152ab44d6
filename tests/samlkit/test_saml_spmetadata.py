"""Target applications by metadata file: real shapes accepted, changes seen, breakage contained."""

import os
import shutil
from pathlib import Path

import pytest

from samlkit.errors import MetadataRefused
from samlkit.keys import cert_der_b64
from samlkit.spmetadata import (
    BINDING_HTTP_POST,
    BINDING_HTTP_REDIRECT,
    BINDING_SOAP,
    SpRegistry,
    parse_sp_metadata,
    read_idp_metadata,
)

SAMPLES = Path(__file__).parent / "metadata"
SIMPLESAMLPHP_ID = (
    "https://loket.gemeente.example.be/simplesaml/module.php/saml/sp/metadata.php/default-sp"
)
SHIBBOLETH_ID = "https://personeel.ocmw.example.be/shibboleth"
SIMPLESIGN = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST-SimpleSign"
ARTIFACT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sample(keypair, other_keypair):
    def render(name: str) -> bytes:
        cert, cert2 = cert_der_b64(keypair.certificate), cert_der_b64(other_keypair.certificate)
        wrapped = "\n".join(cert[i : i + 64] for i in range(0, len(cert), 64))
        text = (SAMPLES / name).read_text()
        text = text.replace("{CERT_WRAPPED}", wrapped).replace("{CERT2}", cert2)
        return text.replace("{CERT3}", cert2).replace("{CERT}", cert).encode()

    return render


@pytest.fixture
def metadata_dir(tmp_path, sample):
    sp_dir = tmp_path / "sp"
    sp_dir.mkdir()
    (sp_dir / "e-loket.xml").write_bytes(sample("simplesamlphp-sp.xml"))
    (sp_dir / "personeel.xml").write_bytes(sample("shibboleth-sp.xml"))
    return tmp_path


def test_simplesamlphp_sp(sample, keypair):
    sp = parse_sp_metadata(sample("simplesamlphp-sp.xml"), "e-loket")
    assert sp.entity_id == SIMPLESAMLPHP_ID
    # A KeyDescriptor without `use` serves both purposes.
    assert sp.signing_certs == sp.encryption_certs == (keypair.certificate,)
    assert len(sp.assertion_consumer_services) == 4
    assert sp.acs().location.endswith("/saml2-acs.php/default-sp")
    assert sp.acs().index == 0
    assert sp.slo([BINDING_HTTP_REDIRECT]).location.endswith("/saml2-logout.php/default-sp")
    assert not sp.authn_requests_signed and not sp.want_assertions_signed
    assert sp.name_id_formats == ("urn:oasis:names:tc:SAML:2.0:nameid-format:transient",)


def test_shibboleth_sp(sample, keypair, other_keypair):
    sp = parse_sp_metadata(sample("shibboleth-sp.xml"), "personeel")
    assert sp.entity_id == SHIBBOLETH_ID
    assert sp.signing_certs == (keypair.certificate,)
    assert sp.encryption_certs == (other_keypair.certificate,)
    assert sp.authn_requests_signed and sp.want_assertions_signed
    bindings = {e.binding for e in sp.assertion_consumer_services}
    assert {
        BINDING_HTTP_POST,
        SIMPLESIGN,
        ARTIFACT,
        "urn:oasis:names:tc:SAML:2.0:bindings:PAOS",
    } <= bindings
    default = sp.acs()
    assert default.index == 2 and default.is_default
    assert sp.acs([SIMPLESIGN]).location.endswith("/POST-SimpleSign")
    assert sp.acs(index=1) is None  # index 1 is Artifact, which the caller does not speak
    assert sp.acs([ARTIFACT], index=1).location.endswith("/SAML2/Artifact")
    assert sp.acs(url="https://personeel.ocmw.example.be/Shibboleth.sso/SAML2/POST").index == 2
    assert sp.acs(url="https://evil.example/acs") is None
    assert sp.slo([BINDING_SOAP]).location.endswith("/SLO/SOAP")
    assert sp.slo(["urn:unknown"]) is None


def test_registry_lookups(metadata_dir):
    registry = SpRegistry(metadata_dir)
    assert [sp.app_code for sp in registry.all()] == ["e-loket", "personeel"]
    assert registry.by_app_code("personeel").entity_id == SHIBBOLETH_ID
    assert registry.by_entity_id(SIMPLESAMLPHP_ID).app_code == "e-loket"
    assert registry.by_entity_id("https://unknown") is None
    assert registry.by_app_code("unknown") is None
    assert registry.errors == {}


def test_broken_files_are_listed_and_skipped(metadata_dir, sample):
    sp_dir = metadata_dir / "sp"
    (sp_dir / "broken.xml").write_text("<md:EntityDescriptor")
    (sp_dir / "dtd.xml").write_text('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    (sp_dir / "Bad_Name.xml").write_bytes(sample("simplesamlphp-sp.xml"))
    (sp_dir / "idp.xml").write_bytes(
        sample("upstream-idp.xml")
        .replace(b"https://other.example.be/sp", b"x")
        .replace(b"SPSSODescriptor", b"AttributeAuthorityDescriptor")
    )
    (sp_dir / "garbled-cert.xml").write_bytes(
        sample("shibboleth-sp.xml")
        .replace(b"<ds:X509Certificate>", b"<ds:X509Certificate>!!")
        .replace(SHIBBOLETH_ID.encode(), b"https://garbled")
    )
    (sp_dir / "notes.txt").write_text("not metadata, not looked at")
    registry = SpRegistry(metadata_dir)
    # A copy claiming an entityID that is already served cannot take it over.
    (sp_dir / "copy-of-loket.xml").write_bytes(sample("simplesamlphp-sp.xml"))
    registry.reload()
    assert [sp.app_code for sp in registry.all()] == ["e-loket", "personeel"]
    errors = registry.errors
    assert set(errors) == {
        "broken.xml",
        "dtd.xml",
        "Bad_Name.xml",
        "copy-of-loket.xml",
        "idp.xml",
        "garbled-cert.xml",
    }
    assert errors["broken.xml"].startswith("malformed")
    assert errors["dtd.xml"].startswith("doctype")
    assert errors["Bad_Name.xml"].startswith("bad_name")
    assert errors["idp.xml"].startswith("not_sp")
    assert errors["garbled-cert.xml"].startswith("bad_certificate")
    assert errors["copy-of-loket.xml"].startswith("duplicate_entity_id")
    assert registry.by_entity_id(SIMPLESAMLPHP_ID).app_code == "e-loket"


def test_duplicate_entity_id_from_the_start_refuses_both(metadata_dir, sample):
    (metadata_dir / "sp" / "a-copy.xml").write_bytes(sample("simplesamlphp-sp.xml"))
    registry = SpRegistry(metadata_dir)
    assert registry.by_entity_id(SIMPLESAMLPHP_ID) is None
    assert {"a-copy.xml", "e-loket.xml"} <= set(registry.errors)


def test_changes_are_picked_up_after_the_interval(metadata_dir, sample):
    clock = Clock()
    registry = SpRegistry(metadata_dir, check_interval=5, clock=clock)
    sp_dir = metadata_dir / "sp"
    shutil.copy(sp_dir / "personeel.xml", sp_dir / "new-app.xml")
    (sp_dir / "new-app.xml").write_bytes(
        sample("shibboleth-sp.xml").replace(SHIBBOLETH_ID.encode(), b"https://new.example.be/sp")
    )
    (sp_dir / "e-loket.xml").unlink()
    clock.now += 4
    assert registry.by_app_code("new-app") is None  # not looked at yet: cheap
    assert registry.by_app_code("e-loket") is not None
    clock.now += 1
    assert registry.by_app_code("new-app").entity_id == "https://new.example.be/sp"
    assert registry.by_app_code("e-loket") is None


def test_changed_content_is_reread(metadata_dir, sample):
    clock = Clock()
    registry = SpRegistry(metadata_dir, check_interval=5, clock=clock)
    path = metadata_dir / "sp" / "e-loket.xml"
    path.write_bytes(sample("simplesamlphp-sp.xml").replace(b'index="0"', b'index="7"'))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    clock.now += 10
    assert registry.by_app_code("e-loket").acs().index == 7


def test_explicit_reload(metadata_dir):
    registry = SpRegistry(metadata_dir, check_interval=3600)
    (metadata_dir / "sp" / "personeel.xml").unlink()
    assert registry.by_app_code("personeel") is not None
    registry.reload()
    assert registry.by_app_code("personeel") is None


def test_missing_directory_is_empty(tmp_path):
    registry = SpRegistry(tmp_path / "nowhere")
    assert registry.all() == [] and registry.errors == {}


def test_upstream_idp_metadata(tmp_path, sample, keypair, other_keypair):
    path = tmp_path / "idp.xml"
    path.write_bytes(sample("upstream-idp.xml"))
    idp = read_idp_metadata(path)
    assert idp.entity_id == "https://idp.eid.example.be/fas"
    assert idp.single_sign_on_services[BINDING_HTTP_REDIRECT].location.endswith("/sso/redirect")
    assert idp.single_sign_on_services[BINDING_HTTP_POST].location.endswith("/sso/post")
    slo = idp.single_logout_services[BINDING_HTTP_REDIRECT]
    assert slo.response_location.endswith("/logout/response")
    # Two signing keys during a rollover; the encryption-only key is not one of them.
    assert idp.signing_certs == (keypair.certificate, other_keypair.certificate)
    assert idp.want_authn_requests_signed
    assert read_idp_metadata(path, "https://idp.eid.example.be/fas").entity_id == idp.entity_id
    with pytest.raises(MetadataRefused) as info:
        read_idp_metadata(path, "https://other.example.be/sp")
    assert info.value.reason == "not_idp"


class CountingSource:
    """A registry source as the database is one: documents and a version counter."""

    def __init__(self) -> None:
        self.docs: dict[str, bytes] = {}
        self.counter = 0
        self.versions = self.polls = 0
        self.down = False

    def version(self):
        self.versions += 1
        if self.down:
            raise ConnectionError("database down")
        return self.counter

    def poll(self):
        self.polls += 1
        return self.version()

    def documents(self):
        if self.down:
            raise ConnectionError("database down")
        return [(f"{code} (database)", code, data, None) for code, data in self.docs.items()]


def test_an_unknown_entity_costs_one_version_read_and_a_reload_only_when_it_moved(sample):
    clock, source = Clock(), CountingSource()
    registry = SpRegistry(source, check_interval=1.0, clock=clock)
    assert registry.by_entity_id(SHIBBOLETH_ID) is None and registry.loads == 1
    reads = source.versions
    for i in range(20):
        assert registry.by_entity_id(f"https://junk{i}.example") is None
    assert registry.loads == 1 and source.versions == reads + 20 and source.polls == 1
    source.docs["personeel"] = sample("shibboleth-sp.xml")
    source.counter += 1  # a registration: the next request sees it, no interval to wait
    assert registry.by_entity_id(SHIBBOLETH_ID).app_code == "personeel" and registry.loads == 2
    reads = source.versions
    for _ in range(20):  # a known entity: from memory, the version polled once per interval
        assert registry.by_entity_id(SHIBBOLETH_ID) is not None
    assert source.versions == reads
    clock.now += 1.0
    registry.by_entity_id(SHIBBOLETH_ID)
    assert source.polls == 2 and registry.loads == 2


def test_a_source_that_is_down_leaves_the_known_applications_served(sample):
    clock, source = Clock(), CountingSource()
    source.docs["personeel"] = sample("shibboleth-sp.xml")
    registry = SpRegistry(source, clock=clock)
    assert registry.by_entity_id(SHIBBOLETH_ID) is not None
    source.down = True
    clock.now += 5
    assert registry.by_entity_id(SHIBBOLETH_ID) is not None
    assert registry.by_entity_id("https://new.example") is None
    source.down = False
    source.counter += 1
    source.docs.clear()
    assert registry.by_entity_id("https://new.example") is None and registry.loads == 2
    assert registry.by_app_code("personeel") is None
