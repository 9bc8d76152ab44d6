"""One-time-use memory for message IDs (replay protection) and short-lived protocol state
(outstanding AuthnRequest IDs). Redis in production, so every worker sees the same memory;
an in-process store for the single-process embedded default and for tests of that mode."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class OneTimeStore(Protocol):
    def first_use(self, key: str, ttl_seconds: int) -> bool:
        """Atomically remember `key` for ttl seconds; True only for the first caller."""

    def put(self, key: str, value: str, ttl_seconds: int) -> None:
        """Keep a value for a while (e.g. an outstanding request's relay state)."""

    def take(self, key: str) -> str | None:
        """Return and delete a value, atomically: a second take gets None."""


class MemoryStore:
    """Process-local store with expiry; for one-process deployments only."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_items: int = 200_000) -> None:
        self._clock = clock
        self._max = max_items
        self._items: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def _sweep(self, now: float) -> None:
        if len(self._items) >= self._max:
            for key in [k for k, (exp, _) in self._items.items() if exp <= now]:
                del self._items[key]

    def _live(self, key: str, now: float) -> tuple[float, str] | None:
        item = self._items.get(key)
        return item if item and item[0] > now else None

    def first_use(self, key: str, ttl_seconds: int) -> bool:
        with self._lock:
            now = self._clock()
            if self._live(key, now):
                return False
            self._sweep(now)
            self._items[key] = (now + ttl_seconds, "1")
            return True

    def put(self, key: str, value: str, ttl_seconds: int) -> None:
        with self._lock:
            now = self._clock()
            self._sweep(now)
            self._items[key] = (now + ttl_seconds, value)

    def take(self, key: str) -> str | None:
        with self._lock:
            item = self._live(key, self._clock())
            self._items.pop(key, None)
            return item[1] if item else None


class RedisStore:
    """Shared store on Redis: SET NX EX for first use, GETDEL for take."""

    def __init__(self, client, prefix: str = "idbeheer:") -> None:
        self._redis = client
        self._prefix = prefix

    def first_use(self, key: str, ttl_seconds: int) -> bool:
        return bool(self._redis.set(self._prefix + key, b"1", nx=True, ex=ttl_seconds))

    def put(self, key: str, value: str, ttl_seconds: int) -> None:
        self._redis.set(self._prefix + key, value.encode(), ex=ttl_seconds)

    def take(self, key: str) -> str | None:
        raw = self._redis.getdel(self._prefix + key)
        return raw.decode() if raw is not None else None
