"""Development keys are generated once, privately, recognisably; real keys load as given."""

import datetime as dt
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from samlkit.errors import KeyMaterialRefused
from samlkit.keys import (
    cert_der_b64,
    certificate_from_b64,
    ensure_dev_keypair,
    is_dev_certificate,
    load_keypair,
    self_signed_keypair,
)


def test_generates_private_dev_pair(tmp_path):
    pair = ensure_dev_keypair(tmp_path / "certs", "idp", "lb-idbeheer bridge IdP")
    key_file = tmp_path / "certs" / "idp.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert (tmp_path / "certs" / "idp.crt").exists()
    assert pair.is_dev and is_dev_certificate(pair.certificate)
    assert pair.private_key.key_size == 2048
    cert = pair.certificate
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime > dt.timedelta(days=3650)
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn == "lb-idbeheer bridge IdP"


def test_second_call_loads_the_same_pair(tmp_path):
    first = ensure_dev_keypair(tmp_path, "aa", "aa")
    second = ensure_dev_keypair(tmp_path, "aa", "aa")
    assert first.cert_pem == second.cert_pem


def test_half_a_pair_is_not_overwritten(tmp_path):
    (tmp_path / "aa.crt").write_text("a production certificate, say")
    with pytest.raises(KeyMaterialRefused) as info:
        ensure_dev_keypair(tmp_path, "aa", "aa")
    assert info.value.reason == "incomplete"
    assert (tmp_path / "aa.crt").read_text() == "a production certificate, say"


def test_mismatched_pair_is_refused(tmp_path):
    ensure_dev_keypair(tmp_path, "a", "a")
    ensure_dev_keypair(tmp_path, "b", "b")
    with pytest.raises(KeyMaterialRefused) as info:
        load_keypair(tmp_path / "a.key", tmp_path / "b.crt")
    assert info.value.reason == "mismatch"


def test_missing_files(tmp_path):
    with pytest.raises(KeyMaterialRefused) as info:
        load_keypair(tmp_path / "none.key", tmp_path / "none.crt")
    assert info.value.reason == "missing"


def test_production_certificate_is_not_dev(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pair = self_signed_keypair(key, "aa.example.be", days=365)
    (tmp_path / "p.key").write_bytes(pair.key_pem)
    (tmp_path / "p.crt").write_bytes(pair.cert_pem)
    assert not load_keypair(tmp_path / "p.key", tmp_path / "p.crt").is_dev


def test_metadata_base64_roundtrip(keypair):
    text = cert_der_b64(keypair.certificate)
    assert "\n" not in text
    wrapped = "\n   ".join(text[i : i + 64] for i in range(0, len(text), 64))
    assert certificate_from_b64(wrapped) == keypair.certificate
