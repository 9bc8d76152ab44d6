"""What the admin UI is told by the composition root; nothing is read from the environment here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class AdminConfig:
    base_url: str
    """BASE of DESIGN.md; the admin UI's SP entityID is BASE/admin/metadata."""
    idle_timeout: timedelta = timedelta(minutes=30)
    absolute_lifetime: timedelta = timedelta(hours=8)
    default_language: str = "nl"
    dev_sign_in: bool = False
    """Offer the stand-in sign-in page (demo and test mode only) until the bridge's SAML
    sign-in plugs into auth.start_sign_in."""

    @property
    def entity_id(self) -> str:
        return f"{self.base_url}/admin/metadata"
