"""The bridge SP's metadata, published at /sp/metadata (entityID = that URL)."""
from __future__ import annotations

import datetime as dt

from samlkit.bindings import BINDING_HTTP_REDIRECT
from samlkit.keys import KeyPair
from samlkit.samlxml import NAMEID_TRANSIENT
from samlkit.sp_client import SAML2
from samlkit.sp_client import sp_metadata as _sp_metadata

__all__ = ["SAML2", "sp_metadata"]


def sp_metadata(entity_id: str, acs_url: str, slo_url: str, keypairs: list[KeyPair],
                encryption_keypairs: list[KeyPair] | None = None, *,
                now: dt.datetime | None = None) -> bytes:
    """Every signing key is published for signing; the first one signs (the others are
    staged). The encryption keys (current, staged) are published with use="encryption", so the
    upstream IdP may encrypt its assertions to the bridge; each one is tried when decrypting."""
    return _sp_metadata(entity_id, acs_url, keypairs, slo_url=slo_url,
                        slo_binding=BINDING_HTTP_REDIRECT, name_id_format=NAMEID_TRANSIENT,
                        encryption_keypairs=encryption_keypairs or [], now=now)
