"""Wiring of the IdP bridge from the settings: keys, stores, session backend, metadata."""
from __future__ import annotations

import datetime as dt
import hashlib

from attribute_authority.national_register import FileRegister
from idp_bridge.config import BridgeConfig, BridgeDeps, BridgeKeys
from samlkit.keys import KeyPair, ensure_dev_keypair
from samlkit.replay import OneTimeStore
from samlkit.spmetadata import SpRegistry

from .keys import service_keys
from .settings import Settings


def bridge_deps(settings: Settings, db, registry: SpRegistry, store: OneTimeStore,
                shared_redis=None) -> BridgeDeps:
    """The bridge's collaborators; the SP registry and one-time store are the app's own, shared
    with the attribute authority; `shared_redis` is the app's client when Redis is configured."""
    production = settings.production
    # Provided keys in production (refused when missing or development keys), generated ones
    # in demo mode; the bridge signs with the current key of each role.
    idp_keys = service_keys(settings, "idp", "lb-idbeheer bridge IdP (dev)")
    sp_keys = service_keys(settings, "sp", "lb-idbeheer bridge SP (dev)")
    sp_encryption_keys = service_keys(settings, "sp-encryption", "lb-idbeheer bridge SP encryption (dev)")
    oidc_keys = service_keys(settings, "oidc", "lb-idbeheer bridge OIDC provider (dev)")
    keys = BridgeKeys(
        idp=idp_keys[0], idp_next=_staged(idp_keys),
        sp=sp_keys[0], sp_next=_staged(sp_keys),
        sp_encryption=sp_encryption_keys[0], sp_encryption_next=_staged(sp_encryption_keys),
        oidc=oidc_keys[0], oidc_next=_staged(oidc_keys),
        dev_eid=None if production else ensure_dev_keypair(settings.certs_dir, "dev-eid",
                                                           "lb-idbeheer dev eID IdP"),
    )
    if settings.redis_url:
        from .shared_state import redis_client

        backend = ("redis", shared_redis or redis_client(settings.redis_url))
    else:
        from cachelib import FileSystemCache

        backend = ("cachelib", FileSystemCache(str(settings.home / "sessions"), threshold=10_000))
    config = BridgeConfig(
        base_url=settings.base_url, mode=settings.mode, dev_eid=not production,
        idle_timeout=dt.timedelta(minutes=settings.session_idle_minutes),
        lifetime=dt.timedelta(minutes=settings.session_lifetime_minutes),
        secret_key=settings.secret_key, scope=settings.scope,
        name_id_secret=hashlib.sha256(b"pairwise-nameid:" + settings.secret_key.encode()).digest(),
    )
    return BridgeDeps(config=config, db=db, keys=keys, sp_registry=registry,
                      store=store, register=FileRegister(), metadata_dir=settings.metadata_dir,
                      session_backend=backend)


def _staged(pairs: list[KeyPair]) -> KeyPair | None:
    """The staged next key of a role (the second in its list), if any."""
    return pairs[1] if len(pairs) > 1 else None
