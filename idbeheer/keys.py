"""The service's key pairs: generated development keys in demo mode, provided keys in
production, a staged `<name>-next` pair published for rollover (deploy/README.md). The rule
itself is `samlkit.keys.role_keys`; here a refusal stops the start."""
from __future__ import annotations

from samlkit.errors import KeyMaterialRefused
from samlkit.keys import KeyPair, role_keys

from .settings import ConfigurationRefused, Settings


def service_keys(settings: Settings, name: str, common_name: str) -> list[KeyPair]:
    """[signing key, next key if staged]. Production refuses missing or development keys."""
    try:
        return list(role_keys(settings.certs_dir, name, common_name,
                              generate_dev=not settings.production))
    except KeyMaterialRefused as refused:
        raise ConfigurationRefused(f"refusing to start: {refused.message}") from None
