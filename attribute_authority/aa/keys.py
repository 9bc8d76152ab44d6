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

from samlkit.keys import KeyPair, role_keys


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
    def role(name: str, label: str) -> tuple[KeyPair, ...]:
        return role_keys(certs_dir, name, f"lb-idbeheer attribute authority {label}",
                         generate_dev=generate_dev)

    return AaKeys(signing=role("aa", "signing"), encryption=role("aa-encryption", "encryption"))
