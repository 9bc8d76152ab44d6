"""Wiring of the attribute authority: its keys, the SP registry, the replay store."""
from __future__ import annotations

import logging

from sqlalchemy import Engine

from attribute_authority.aa.keys import load_aa_keys
from attribute_authority.aa.nameids import NameIdResolver
from attribute_authority.aa.web import FrontDoor, create_front_door
from samlkit.errors import KeyMaterialRefused
from samlkit.replay import FallbackStore, MemoryStore, OneTimeStore, RedisStore
from samlkit.spmetadata import SpRegistry

from .settings import ConfigurationRefused, Settings

log = logging.getLogger(__name__)


def one_time_store(settings: Settings, shared_redis=None) -> OneTimeStore:
    """Redis when configured (shared by every worker); otherwise this process's memory."""
    if settings.redis_url:
        from .shared_state import redis_client

        return RedisStore(shared_redis or redis_client(settings.redis_url))
    if settings.production:
        log.warning("no IDBEHEER_REDIS_URL: replay protection is per worker process")
    return MemoryStore()


def replay_store(store: OneTimeStore) -> OneTimeStore:
    """The AA's replay memory on top of the shared store: while Redis is unreachable the AA
    keeps answering with per-process replay IDs (see `FallbackStore`) rather than refusing."""
    return FallbackStore(store) if isinstance(store, RedisStore) else store


def aa_front_door(settings: Settings, db: Engine, registry: SpRegistry, *,
                  store: OneTimeStore | None = None,
                  resolver: NameIdResolver | None = None) -> FrontDoor:
    """The /aa blueprint and SOAP endpoint; `db` is the AA's own read engine
    (`db.query_engine`). `resolver` is the bridge's pairwise-NameID lookup; without it the AA
    answers for RRNs only (see attribute_authority.aa.nameids)."""
    try:
        keys = load_aa_keys(settings.certs_dir, generate_dev=not settings.production)
    except KeyMaterialRefused as refused:
        raise ConfigurationRefused(f"refusing to start: {refused.message}") from None
    return create_front_door(db, keys, registry, replay_store(store or one_time_store(settings)),
                             base_url=settings.base_url, https_only=settings.production,
                             resolver=resolver, sign_response=settings.aa_sign_response)
