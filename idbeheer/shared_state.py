"""The Redis client of the service: short timeouts and one quick retry, so that a request
fails within about two seconds when Redis is down instead of hanging (the AA then falls back
for its replay check, sign-in shows a "try again later" page, /readyz reports it)."""
from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

CONNECT_TIMEOUT = 1.0
SOCKET_TIMEOUT = 1.5


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT,
                                socket_timeout=SOCKET_TIMEOUT, retry=Retry(NoBackoff(), 1))
