"""The attribute authority's key pairs, as files in the certs folder.

    aa.key / aa.crt                          signs every answer
    aa-next.key / aa-next.crt                optional: published beside it during a rollover
    aa-encryption.key / aa-encryption.crt    the key peers encrypt NameIDs to
    aa-encryption-next.key / .crt            optional: published and tried as well

A signing rollover: put the new pair in aa-next, wait until every peer has fetched the
metadata, then swap the two names and restart. Demo mode generates aa and aa-encryption on
first run; production never generates and refuses development keys.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..saml.errors import KeyMaterialRefused
from ..saml.keys import KeyPair, ensure_dev_keypair, load_keypair


@dataclass(frozen=True)
class AaKeys:
    """Signing pairs (the first signs, all are published) and encryption pairs (all
    published, all tried when decrypting)."""

    signing: tuple[KeyPair, ...]
    encryption: tuple[KeyPair, ...]

    def __post_init__(self) -> None:
        if not self.signing or not self.encryption:
            raise ValueError("the attribute authority needs a signing and an encryption key")

    @property
    def signer(self) -> KeyPair:
        return self.signing[0]


def load_aa_keys(certs_dir: str | os.PathLike[str], *, generate_dev: bool) -> AaKeys:
    """Read the AA's pairs; with `generate_dev` (demo mode) create missing development pairs,
    without it refuse development keys, as production must."""
    certs = Path(certs_dir)

    def main(name: str, label: str) -> KeyPair:
        if generate_dev:
            return ensure_dev_keypair(certs, name, f"lb-idbeheer attribute authority {label}")
        pair = load_keypair(certs / f"{name}.key", certs / f"{name}.crt")
        if pair.is_dev:
            raise KeyMaterialRefused("dev_key", f"{name}.crt is a development key")
        return pair

    def optional(name: str) -> tuple[KeyPair, ...]:
        if not (certs / f"{name}.key").exists() and not (certs / f"{name}.crt").exists():
            return ()
        return (load_keypair(certs / f"{name}.key", certs / f"{name}.crt"),)

    return AaKeys(
        signing=(main("aa", "signing"), *optional("aa-next")),
        encryption=(main("aa-encryption", "encryption"), *optional("aa-encryption-next")),
    )
