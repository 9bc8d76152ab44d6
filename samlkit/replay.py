"""One-time-use memory for message IDs (replay protection) and short-lived protocol state
(outstanding AuthnRequest IDs). Redis in production, so every worker sees the same memory;
an in-process store for the single-process embedded default and for tests of that mode."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol

from prometheus_client import Counter

log = logging.getLogger(__name__)

REPLAY_FALLBACK = Counter("idbeheer_replay_fallback_total",
                          "Replay checks made in process memory (Redis unreachable)")


class StoreUnavailable(RuntimeError):
    """The shared store cannot be reached (Redis down or too slow); the caller decides
    whether to fall back (the AA's replay check) or to tell the person to retry (sign-in)."""


class OneTimeStore(Protocol):
    def first_use(self, key: str, ttl_seconds: int) -> bool:
        """Atomically remember `key` for ttl seconds; True only for the first caller."""

    def put(self, key: str, value: str, ttl_seconds: int) -> None:
        """Keep a value for a while (e.g. an outstanding request's relay state)."""

    def take(self, key: str) -> str | None:
        """Return and delete a value, atomically: a second take gets None."""

    def get(self, key: str) -> str | None:
        """Read a value without using it up (e.g. whether a token is still live)."""

    def swap(self, key: str, value: str, ttl_seconds: int) -> str | None:
        """Atomically replace the value of an existing key (new ttl) and return the old one;
        None, and nothing written, when there is none (e.g. a code used up and marked)."""

    def put_many(self, items: Iterable[tuple[str, str, int]]) -> None:
        """`put` of each (key, value, ttl), in one round trip."""

    def get_many(self, keys: list[str]) -> list[str | None]:
        """`get` of each key, in one round trip."""


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

    def get(self, key: str) -> str | None:
        with self._lock:
            item = self._live(key, self._clock())
            return item[1] if item else None

    def swap(self, key: str, value: str, ttl_seconds: int) -> str | None:
        with self._lock:
            now = self._clock()
            item = self._live(key, now)
            if item is None:
                return None
            self._items[key] = (now + ttl_seconds, value)
            return item[1]

    def put_many(self, items: Iterable[tuple[str, str, int]]) -> None:
        for key, value, ttl in items:
            self.put(key, value, ttl)

    def get_many(self, keys: list[str]) -> list[str | None]:
        return [self.get(key) for key in keys]


class RedisStore:
    """Shared store on Redis: SET NX EX for first use, GETDEL for take. A connection error or
    timeout is raised as `StoreUnavailable`."""

    def __init__(self, client, prefix: str = "idbeheer:") -> None:
        self._redis = client
        self._prefix = prefix

    def first_use(self, key: str, ttl_seconds: int) -> bool:
        with _unavailable_on_redis_errors():
            return bool(self._redis.set(self._prefix + key, b"1", nx=True, ex=ttl_seconds))

    def put(self, key: str, value: str, ttl_seconds: int) -> None:
        with _unavailable_on_redis_errors():
            self._redis.set(self._prefix + key, value.encode(), ex=ttl_seconds)

    def take(self, key: str) -> str | None:
        with _unavailable_on_redis_errors():
            raw = self._redis.getdel(self._prefix + key)
        return raw.decode() if raw is not None else None

    def get(self, key: str) -> str | None:
        with _unavailable_on_redis_errors():
            raw = self._redis.get(self._prefix + key)
        return raw.decode() if raw is not None else None

    def swap(self, key: str, value: str, ttl_seconds: int) -> str | None:
        with _unavailable_on_redis_errors():  # SET XX GET: one atomic step (Redis 7)
            raw = self._redis.set(self._prefix + key, value.encode(), ex=ttl_seconds, xx=True, get=True)
        return raw.decode() if raw is not None else None

    def put_many(self, items: Iterable[tuple[str, str, int]]) -> None:
        with _unavailable_on_redis_errors():
            pipe = self._redis.pipeline(transaction=False)
            for key, value, ttl in items:
                pipe.set(self._prefix + key, value.encode(), ex=ttl)
            pipe.execute()

    def get_many(self, keys: list[str]) -> list[str | None]:
        with _unavailable_on_redis_errors():
            raws = self._redis.mget([self._prefix + key for key in keys])
        return [raw.decode() if raw is not None else None for raw in raws]


@contextmanager
def _unavailable_on_redis_errors() -> Iterator[None]:
    import redis

    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise StoreUnavailable(f"redis: {type(exc).__name__}") from exc


class FallbackStore:
    """The attribute authority's replay memory: the shared store, and while that is
    unreachable this process's memory, so that the AA keeps answering when Redis is down.

    What is given up during the outage: a query replayed to *another* worker is not caught.
    The exposure is bounded: a query is accepted only within the IssueInstant skew window
    (a few minutes), its answer goes back to the same querying application only (it is
    signed, audience-restricted, and the query itself had to be signed by that application),
    and each worker still refuses replays it has seen. Refusing every query instead would
    make Redis a hard dependency of the AA.

    After a failure the shared store is left alone for `retry_after` seconds (no request
    waits for a timeout in the meantime); then the next call tries it again, so recovery needs
    no restart. Only `first_use` falls back: `put`/`take` carry protocol state that must be
    shared by every worker, and raise `StoreUnavailable`.
    """

    def __init__(self, shared: OneTimeStore, local: OneTimeStore | None = None, *,
                 retry_after: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._shared = shared
        self._local = local or MemoryStore(clock)
        self._retry_after = retry_after
        self._clock = clock
        self._down_until: float | None = None
        self._local_live_until = float("-inf")  # IDs kept in memory during an outage live until
        self._lock = threading.Lock()

    @property
    def degraded(self) -> bool:
        return self._down_until is not None

    def first_use(self, key: str, ttl_seconds: int) -> bool:
        now = self._clock()
        down_until = self._down_until
        if down_until is None or now >= down_until:
            try:
                first = self._shared.first_use(key, ttl_seconds)
            except StoreUnavailable as exc:
                self._went_down(exc, now)
            else:
                self._came_back()
                if first and now < self._local_live_until:
                    # Seen in this process during the outage: a replay all the same.
                    return self._local.first_use(key, ttl_seconds)
                return first
        REPLAY_FALLBACK.inc()
        self._local_live_until = max(self._local_live_until, now + ttl_seconds)
        return self._local.first_use(key, ttl_seconds)

    def put(self, key: str, value: str, ttl_seconds: int) -> None:
        self._shared.put(key, value, ttl_seconds)

    def take(self, key: str) -> str | None:
        return self._shared.take(key)

    def get(self, key: str) -> str | None:
        return self._shared.get(key)

    def swap(self, key: str, value: str, ttl_seconds: int) -> str | None:
        return self._shared.swap(key, value, ttl_seconds)

    def put_many(self, items: Iterable[tuple[str, str, int]]) -> None:
        self._shared.put_many(items)

    def get_many(self, keys: list[str]) -> list[str | None]:
        return self._shared.get_many(keys)

    def _went_down(self, exc: Exception, now: float) -> None:
        with self._lock:
            first = self._down_until is None
            self._down_until = now + self._retry_after
        if first:
            log.warning("replay store unavailable (%s): replay IDs are kept per process until "
                        "it is back", exc, extra={"event": "replay.fallback", "reason": "unavailable"})

    def _came_back(self) -> None:
        if self._down_until is None:
            return
        with self._lock:
            was_down, self._down_until = self._down_until is not None, None
        if was_down:  # one line per outage, whichever thread saw the recovery first
            log.warning("replay store available again: replay IDs are shared again",
                        extra={"event": "replay.fallback", "reason": "recovered"})
