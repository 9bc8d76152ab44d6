"""What the admin UI is told by the composition root; nothing is read from the environment here."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from samlkit.keys import KeyPair
from samlkit.replay import OneTimeStore


@dataclass(frozen=True)
class AdminConfig:
    base_url: str
    """BASE of DESIGN.md; the admin UI's SP entityID is BASE/admin/metadata."""
    keypairs: tuple[KeyPair, ...] = ()
    """The SP's signing key first, then a staged next key (published in the metadata only)."""
    idp_metadata: Callable[[], bytes] | None = None
    """The bridge's IdP metadata (BASE/idp/metadata), read on the first sign-in."""
    replay: OneTimeStore | None = None
    """Where used assertion IDs are remembered; shared by all workers in production."""
    session_backend: tuple[str, Any] | None = None
    """Where admin sessions are kept (session_store.py): ("redis", client) or ("cachelib",
    cache); None: this process's memory."""
    idle_timeout: timedelta = timedelta(minutes=30)
    absolute_lifetime: timedelta = timedelta(hours=8)
    default_language: str = "nl"
    metadata_dir: Path | None = None
    """IDBEHEER_METADATA_DIR: where a registered application's metadata/sp/<code>.xml goes."""

    @property
    def entity_id(self) -> str:
        return f"{self.base_url}/admin/metadata"

    @property
    def acs_url(self) -> str:
        return f"{self.base_url}/admin/acs"

    @property
    def slo_url(self) -> str:
        return f"{self.base_url}/admin/slo"

    @property
    def sign_in_configured(self) -> bool:
        return bool(self.keypairs) and self.idp_metadata is not None
