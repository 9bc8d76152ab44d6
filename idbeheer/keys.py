"""The service's key pairs: generated development keys in demo mode, provided keys in
production. Key rollover: a `<name>-next.key`/`.crt` pair beside the current one is published
in metadata (so peers learn it) while the current key keeps signing; see deploy/README.md."""
from __future__ import annotations

from attribute_authority.saml.keys import KeyPair, ensure_dev_keypair, load_keypair

from .settings import ConfigurationRefused, Settings


def service_keys(settings: Settings, name: str, common_name: str) -> list[KeyPair]:
    """[signing key, next key if staged]. Production refuses missing or development keys."""
    folder = settings.certs_dir
    if settings.production:
        key, cert = folder / f"{name}.key", folder / f"{name}.crt"
        if not key.exists() or not cert.exists():
            raise ConfigurationRefused(f"refusing to start: {key} and {cert} are required in production")
        current = load_keypair(key, cert)
    else:
        current = ensure_dev_keypair(folder, name, common_name)
    keys = [current]
    staged_key, staged_cert = folder / f"{name}-next.key", folder / f"{name}-next.crt"
    if staged_key.exists() and staged_cert.exists():
        keys.append(load_keypair(staged_key, staged_cert))
    if settings.production and any(k.is_dev for k in keys):
        raise ConfigurationRefused(f"refusing to start: the {name} key is a development key")
    return keys
