"""Key material: one key pair per role (bridge IdP, bridge SP, attribute authority, dev_eid).

Keys are read from PEM files once and kept parsed. In the embedded default a self-signed
development pair is generated on first run; it carries a recognisable subject OU so that
production mode can refuse to start with it.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from .errors import KeyMaterialRefused

__all__ = [
    "DEV_KEY_MARKER",
    "KeyPair",
    "load_keypair",
    "ensure_dev_keypair",
    "cert_der_b64",
    "certificate_from_b64",
    "is_dev_certificate",
    "same_public_key",
    "self_signed_keypair",
]

DEV_KEY_MARKER = "lb-idbeheer development key"
_DEV_VALIDITY_DAYS = 3652  # ten years: a demo install should not expire under its users

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True, eq=False)
class KeyPair:
    """A private key with its certificate, as PEM bytes and parsed once.

    Parsed forms (including the xmlsec handle that signing and decryption use) are cached on
    the instance: keep one `KeyPair` per role for the process lifetime.
    """

    key_pem: bytes = field(repr=False)
    cert_pem: bytes
    key_path: Path | None = None
    cert_path: Path | None = None

    @cached_property
    def private_key(self) -> PrivateKey:
        key = serialization.load_pem_private_key(self.key_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise KeyMaterialRefused("unreadable", "only RSA and EC keys are supported")
        return key

    @cached_property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)

    @cached_property
    def xmlsec_key(self) -> xmlsec.Key:
        return xmlsec.Key.from_memory(self.key_pem, xmlsec.constants.KeyDataFormatPem)

    @property
    def is_dev(self) -> bool:
        return is_dev_certificate(self.certificate)


def load_keypair(key_path: str | os.PathLike[str], cert_path: str | os.PathLike[str]) -> KeyPair:
    """Read and check a PEM key and certificate; the certificate must belong to the key."""
    key_path, cert_path = Path(key_path), Path(cert_path)
    try:
        key_pem, cert_pem = key_path.read_bytes(), cert_path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyMaterialRefused("missing", f"key material not found: {exc.filename}") from None
    except OSError as exc:
        raise KeyMaterialRefused("unreadable", f"cannot read key material: {exc}") from None
    pair = KeyPair(key_pem=key_pem, cert_pem=cert_pem, key_path=key_path, cert_path=cert_path)
    try:
        private_key, certificate = pair.private_key, pair.certificate
    except (ValueError, TypeError) as exc:
        raise KeyMaterialRefused("unreadable", f"{key_path} / {cert_path}: {exc}") from None
    if _public_der(private_key.public_key()) != _public_der(certificate.public_key()):
        raise KeyMaterialRefused("mismatch", f"{cert_path} does not belong to {key_path}")
    return pair


def ensure_dev_keypair(certs_dir: str | os.PathLike[str], name: str, common_name: str) -> KeyPair:
    """Load `<certs_dir>/<name>.key|.crt`, generating a development pair if both are absent.

    A lock file serialises first runs of several workers. One file without the other is an
    error rather than a reason to overwrite: it may be a half-provisioned production key.
    """
    certs_dir = Path(certs_dir)
    certs_dir.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = certs_dir / f"{name}.key", certs_dir / f"{name}.crt"
    with open(certs_dir / f".{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        have_key, have_cert = key_path.exists(), cert_path.exists()
        if have_key != have_cert:
            raise KeyMaterialRefused(
                "incomplete", f"only one of {key_path.name} and {cert_path.name} exists"
            )
        if not have_key:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pair = self_signed_keypair(key, common_name, days=_DEV_VALIDITY_DAYS, dev=True)
            _write_new(key_path, pair.key_pem, 0o600)
            _write_new(cert_path, pair.cert_pem, 0o644)
    return load_keypair(key_path, cert_path)


def cert_der_b64(cert: x509.Certificate) -> str:
    """The certificate as base64 DER on one line, for ds:X509Certificate in metadata."""
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def certificate_from_b64(text: str) -> x509.Certificate:
    """Parse the content of a ds:X509Certificate element (base64 DER, any white space)."""
    der = base64.b64decode("".join(text.split()), validate=True)
    return x509.load_der_x509_certificate(der)


def is_dev_certificate(cert: x509.Certificate) -> bool:
    """True for certificates made by `ensure_dev_keypair` (production refuses them)."""
    units = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    return any(unit.value == DEV_KEY_MARKER for unit in units)


def same_public_key(a: x509.Certificate, b: x509.Certificate) -> bool:
    """True when both certificates carry the same public key (re-issued certificates do)."""
    return _public_der(a.public_key()) == _public_der(b.public_key())


def _public_der(public_key: Any) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def self_signed_keypair(
    private_key: PrivateKey, common_name: str, *, days: int, dev: bool = False
) -> KeyPair:
    """Wrap a private key in a self-signed certificate (SAML trusts keys, not CAs).

    `dev=True` adds the subject OU that marks a development key.
    """
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if dev:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEV_KEY_MARKER))
    subject = x509.Name(attributes)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(private_key, hashes.SHA256())
    )
    key_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return KeyPair(key_pem=key_pem, cert_pem=cert.public_bytes(serialization.Encoding.PEM))


def _write_new(path: Path, data: bytes, mode: int) -> None:
    # Created with its final mode (never briefly world-readable) and renamed into place, so
    # a reader sees either no file or the whole file.
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def role_keys(certs_dir: str | os.PathLike[str], name: str, common_name: str, *,
              generate_dev: bool) -> tuple[KeyPair, ...]:
    """The pairs of one role: `<name>` signs (or decrypts first), a staged `<name>-next` pair
    beside it is published for key rollover. With `generate_dev` (demo mode) a missing current
    pair is generated; without it (production) the pair must exist and no development key is
    accepted."""
    certs_dir = Path(certs_dir)
    if generate_dev:
        current = ensure_dev_keypair(certs_dir, name, common_name)
    else:
        key, cert = certs_dir / f"{name}.key", certs_dir / f"{name}.crt"
        if not key.exists() or not cert.exists():
            raise KeyMaterialRefused("missing", f"{key} and {cert} are required in production")
        current = load_keypair(key, cert)
    pairs = [current]
    staged_key, staged_cert = certs_dir / f"{name}-next.key", certs_dir / f"{name}-next.crt"
    if staged_key.exists() or staged_cert.exists():
        pairs.append(load_keypair(staged_key, staged_cert))
    if not generate_dev and any(pair.is_dev for pair in pairs):
        raise KeyMaterialRefused("dev_key", f"the {name} key is a development key")
    return tuple(pairs)
