"""What the bridge needs from its host: settings values and the collaborators it talks to.

Everything comes in through `BridgeDeps`; nothing is read from the environment here, so tests
build a bridge with their own clock, stores, keys and metadata folder.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker

from attribute_authority.national_register import NationalRegister
from samlkit.keys import KeyPair
from samlkit.replay import OneTimeStore
from samlkit.spmetadata import SpRegistry

Clock = Callable[[], dt.datetime]

# How the upstream IdP names the means of authentication. The federal service speaks of the
# citizen eID/token classes and also of assurance levels; both map to our two methods.
DEFAULT_AUTHN_CONTEXTS: Mapping[str, str] = {
    "urn:be:fedict:iam:fas:citizen:eid": "eid",
    "urn:be:fedict:iam:fas:citizen:token": "token",
    "urn:be:fedict:iam:fas:Level500": "eid",
    "urn:be:fedict:iam:fas:Level450": "token",
    "urn:be:fedict:iam:fas:Level400": "token",
}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class BridgeConfig:
    base_url: str
    mode: str = "demo"  # "demo" or "production"
    idle_timeout: dt.timedelta = dt.timedelta(minutes=30)
    lifetime: dt.timedelta = dt.timedelta(hours=8)
    want_authn_requests_signed: bool = True
    authn_contexts: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_AUTHN_CONTEXTS))
    clock_skew: dt.timedelta = dt.timedelta(seconds=90)
    assertion_validity: dt.timedelta = dt.timedelta(minutes=5)
    # How long a person may spend at the upstream IdP before the outstanding request lapses.
    request_validity: dt.timedelta = dt.timedelta(minutes=15)
    max_message_bytes: int = 256 * 1024
    dev_eid: bool = False
    # dev_eid encrypts its assertions to the bridge SP's encryption key, as an IdP may.
    dev_eid_encrypts: bool = False
    # Where dev_eid writes its metadata for the bridge SP to read (demo mode only).
    upstream_entity_id: str | None = None
    session_cookie: str = "idbeheer_bridge"
    secret_key: str = field(default="", repr=False)
    # A dedicated secret for pairwise NameIDs: changing it changes every NameID.
    name_id_secret: bytes = field(default=b"", repr=False)
    # The scope of pairwise-id and subject-id (shibmd:Scope in /idp/metadata): a DNS domain
    # of ours; IDBEHEER_SCOPE, default the base URL's host. Changing it changes every value.
    scope: str = ""

    @property
    def subject_scope(self) -> str:
        return (self.scope or urlsplit(self.base_url).hostname or "localhost").lower()

    @property
    def production(self) -> bool:
        return self.mode == "production"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


@dataclass(frozen=True)
class BridgeKeys:
    idp: KeyPair
    sp: KeyPair
    dev_eid: KeyPair | None = None
    # Staged keys of a rollover: published in metadata, not yet signing (deploy/README.md).
    idp_next: KeyPair | None = None
    sp_next: KeyPair | None = None
    # The key the upstream IdP may encrypt assertions to (its own pair, as the AA's), and its
    # staged successor; without one, encrypted assertions are refused.
    sp_encryption: KeyPair | None = None
    sp_encryption_next: KeyPair | None = None
    # The OpenID Provider's ID-token key (RS256) and its staged successor; without one the
    # bridge speaks SAML only.
    oidc: KeyPair | None = None
    oidc_next: KeyPair | None = None

    @property
    def sp_decryption(self) -> tuple[KeyPair, ...]:
        return tuple(k for k in (self.sp_encryption, self.sp_encryption_next) if k)


@dataclass(frozen=True)
class BridgeDeps:
    """The bridge's collaborators, made by the composition root (or a test)."""

    config: BridgeConfig
    db: sessionmaker[Session]
    keys: BridgeKeys
    sp_registry: SpRegistry
    store: OneTimeStore
    register: NationalRegister
    metadata_dir: Path
    # flask-session backend: ("redis", redis client) or ("cachelib", cachelib cache)
    session_backend: tuple[str, Any]
    clock: Clock = utc_now
