"""Persistent pairwise NameIDs: one stable, opaque identifier per person per application.

The NameID is the RRN sealed with AES-SIV under a key derived for the application (HKDF of a
bridge secret and the application code). SIV is deterministic, so the same person gets the
same NameID at every sign-in and after restarts, different applications get unlinkable values,
and the bridge can map a NameID back to the RRN without storing anything (`rrn_for`, the
`NameIdResolver` port the attribute authority uses for AttributeQueries by NameID). The key is
bound to the application *code*, not its entityID, so an application that changes entityID
keeps its users.
"""
from __future__ import annotations

import base64
import binascii
import functools
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


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
        return base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")

    def rrn_for(self, app_code: str, name_id: str) -> str | None:
        try:
            sealed = base64.urlsafe_b64decode(name_id + "=" * (-len(name_id) % 4))
            rrn = self._cipher(app_code).decrypt(sealed, [b"nameid"]).decode("ascii")
        except (binascii.Error, ValueError, InvalidTag, UnicodeDecodeError):
            return None
        return rrn if rrn.isdigit() and len(rrn) == 11 else None

    @functools.lru_cache(maxsize=512)  # noqa: B019 - one instance per process, few applications
    def _cipher(self, app_code: str) -> AESSIV:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"lb-idbeheer pairwise NameID",
                   info=app_code.encode("utf-8")).derive(self._secret)
        return AESSIV(key)
