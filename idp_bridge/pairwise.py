"""Persistent pairwise NameIDs: one stable, opaque identifier per person per application.

The NameID is the RRN sealed with AES-SIV under a key derived for the application (HKDF of a
bridge secret and the application code). SIV is deterministic, so the same person gets the
same NameID at every sign-in and after restarts, different applications get unlinkable values,
and the bridge can map a NameID back to the RRN without storing anything (`rrn_for`, the
`NameIdResolver` port the attribute authority uses for AttributeQueries by NameID). The key is
bound to the application *code*, not its entityID, so an application that changes entityID
keeps its users.

An application that asks for a transient NameID (NameIDPolicy Format `…:transient`, the
default of SimpleSAMLphp and other stacks) gets a fresh value at every assertion: the RRN
sealed under the same key with a random nonce as associated data, nonce in front. Two
transient values of one person cannot be linked by the application, yet the attribute
authority still resolves each of them (`rrn_for`) for the application it was issued to.
"""
from __future__ import annotations

import base64
import binascii
import functools
import secrets
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE = 16
_SEALED_RRN = 16 + 11  # SIV tag + the 11 digits


# Not an application code ([a-z0-9-]+): subject-id's key is no application's.
_SUBJECT_ID_KEY = "@subject-id"


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


class NameIdResolver(Protocol):
    def rrn_for(self, app_code: str, name_id: str) -> str | None:
        """The RRN behind a NameID the bridge issued to this application, or None."""


class PairwiseNameIds:
    """Issues and resolves pairwise NameIDs; implements `NameIdResolver`."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the NameID secret needs at least 32 bytes")
        self._secret = secret

    def name_id(self, app_code: str, rrn: str) -> str:
        sealed = self._cipher(app_code).encrypt(rrn.encode("ascii"), [b"nameid"])
        return _b64(sealed)

    def transient_name_id(self, app_code: str, rrn: str) -> str:
        """A new, unlinkable NameID for one assertion, resolvable by `rrn_for`."""
        nonce = secrets.token_bytes(_NONCE)
        sealed = self._cipher(app_code).encrypt(rrn.encode("ascii"), [b"transient", nonce])
        return _b64(nonce + sealed)

    def pairwise_id(self, app_code: str, rrn: str, scope: str) -> str:
        """`urn:oasis:names:tc:SAML:attribute:pairwise-id`: the persistent NameID's sealed RRN
        in lower-case base32 (the profile's uniqueID allows letters, digits, '=' and '-' and is
        compared without case), '@' and our scope. Stable, never reassigned (an RRN is one
        person's), unlinkable across applications."""
        sealed = self._cipher(app_code).encrypt(rrn.encode("ascii"), [b"pairwise-id"])
        return f"{_b32(sealed)}@{scope}"

    def subject_id(self, rrn: str, scope: str) -> str:
        """`urn:oasis:names:tc:SAML:attribute:subject-id`: the same value for every application
        (for those that ask for it), still not the RRN itself."""
        sealed = self._cipher(_SUBJECT_ID_KEY).encrypt(rrn.encode("ascii"), [b"subject-id"])
        return f"{_b32(sealed)}@{scope}"

    def rrn_for(self, app_code: str, name_id: str) -> str | None:
        try:
            raw = base64.urlsafe_b64decode(name_id + "=" * (-len(name_id) % 4))
            if len(raw) == _SEALED_RRN:
                plain = self._cipher(app_code).decrypt(raw, [b"nameid"])
            elif len(raw) == _NONCE + _SEALED_RRN:
                plain = self._cipher(app_code).decrypt(raw[_NONCE:], [b"transient", raw[:_NONCE]])
            else:
                return None
            rrn = plain.decode("ascii")
        except (binascii.Error, ValueError, InvalidTag, UnicodeDecodeError):
            return None
        return rrn if rrn.isdigit() and len(rrn) == 11 else None

    @functools.lru_cache(maxsize=512)  # noqa: B019 - one instance per process, few applications
    def _cipher(self, app_code: str) -> AESSIV:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"lb-idbeheer pairwise NameID",
                   info=app_code.encode("utf-8")).derive(self._secret)
        return AESSIV(key)
