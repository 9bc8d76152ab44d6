"""Wiring of the IdP bridge from the settings: keys, stores, session backend, metadata."""
from __future__ import annotations

import datetime as dt
import hashlib

from attribute_authority.national_register import FileRegister
from attribute_authority.saml.keys import ensure_dev_keypair, load_keypair
from attribute_authority.saml.replay import MemoryStore, RedisStore
from attribute_authority.saml.spmetadata import SpRegistry
from idp_bridge.config import BridgeConfig, BridgeDeps, BridgeKeys

from .settings import Settings


def bridge_deps(settings: Settings, db) -> BridgeDeps:
    production = settings.production
    if production:
        # Provided keys only; a missing file is a refusal to start, never a generated key.
        keys = BridgeKeys(*(load_keypair(settings.certs_dir / f"{n}.key", settings.certs_dir / f"{n}.crt")
                            for n in ("idp", "sp")))
    else:
        keys = BridgeKeys(
            idp=ensure_dev_keypair(settings.certs_dir, "idp", "lb-idbeheer bridge IdP (dev)"),
            sp=ensure_dev_keypair(settings.certs_dir, "sp", "lb-idbeheer bridge SP (dev)"),
            dev_eid=ensure_dev_keypair(settings.certs_dir, "dev-eid", "lb-idbeheer dev eID IdP"),
        )
    if settings.redis_url:
        import redis

        client = redis.Redis.from_url(settings.redis_url)
        store, backend = RedisStore(client), ("redis", client)
    else:
        from cachelib import FileSystemCache

        store = MemoryStore()
        backend = ("cachelib", FileSystemCache(str(settings.home / "sessions"), threshold=10_000))
    config = BridgeConfig(
        base_url=settings.base_url, mode=settings.mode, dev_eid=not production,
        idle_timeout=dt.timedelta(minutes=settings.session_idle_minutes),
        lifetime=dt.timedelta(minutes=settings.session_lifetime_minutes),
        secret_key=settings.secret_key,
        name_id_secret=hashlib.sha256(b"pairwise-nameid:" + settings.secret_key.encode()).digest(),
    )
    return BridgeDeps(config=config, db=db, keys=keys, sp_registry=SpRegistry(settings.metadata_dir),
                      store=store, register=FileRegister(), metadata_dir=settings.metadata_dir,
                      session_backend=backend)
