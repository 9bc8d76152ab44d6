"""Reload on change: the one helper behind every "re-read it when it changed, without a
restart" of the service (the upstream IdP's metadata files, the SP registry, the import of
metadata/sp/*.xml into the database).

- `WatchedFiles` fingerprints a folder's matching files by name, mtime and size (a listing and a
  stat per file; contents are not read).
- `Reloading` holds a value built from something and rebuilds it when a cheap stamp of that
  something changes (a `WatchedFiles` fingerprint, a version counter in a database), looking
  at the stamp at most every `every` seconds.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

__all__ = ["Fingerprint", "Reloading", "WatchedFiles"]

T = TypeVar("T")
Fingerprint = tuple[tuple[str, int, int], ...]
_UNSET = object()


class WatchedFiles:
    """The files matching `pattern` in `folder`, as (name, mtime_ns, size) sorted by name."""

    def __init__(self, folder: str | Path, pattern: str = "*.xml") -> None:
        self.folder = Path(folder)
        self.pattern = pattern

    def fingerprint(self) -> Fingerprint:
        """A missing folder, or a file removed while we look, is simply not there."""
        try:
            paths = sorted(self.folder.glob(self.pattern))
        except OSError:
            return ()
        stamps = []
        for path in paths:
            try:
                stat = path.stat()
            except OSError:
                continue
            stamps.append((path.name, stat.st_mtime_ns, stat.st_size))
        return tuple(stamps)

    def paths(self, fingerprint: Fingerprint) -> list[Path]:
        return [self.folder / name for name, _, _ in fingerprint]


class Reloading(Generic[T]):
    """`get()` returns `build(stamp)`, rebuilt whenever `stamp()` returns something new.

    The stamp is looked at on the first call and then at most every `every` seconds (0: on
    every call); `check()` looks now. A failing build raises to the caller and is tried again at
    the next look; the value built before stays in place. Rebuilds are serialized by a lock,
    stamps are read without it.
    """

    def __init__(self, build: Callable[[Hashable], T], stamp: Callable[[], Hashable], *,
                 every: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._build, self._stamp, self.every, self._clock = build, stamp, every, clock
        self._lock = threading.Lock()
        self._seen: object = _UNSET
        self._value: T | None = None
        self._looked_at = float("-inf")
        self.builds = 0  # how often the value was built (tests and metrics read it)

    def get(self) -> T:
        if self._seen is _UNSET or self._clock() - self._looked_at >= self.every:
            return self.check()
        return self._value  # type: ignore[return-value]

    def check(self, stamp: Hashable | None = None) -> T:
        """Look at the stamp now (or take the one the caller just read) and rebuild if it is
        new."""
        self._looked_at = self._clock()
        stamp = self._stamp() if stamp is None else stamp
        if stamp != self._seen:
            with self._lock:
                if stamp != self._seen:
                    self._value = self._build(stamp)
                    self.builds += 1
                    self._seen = stamp
        return self._value  # type: ignore[return-value]

    def is_current(self, stamp: Hashable) -> bool:
        return stamp == self._seen

    def forget(self) -> None:
        """Build again at the next `get()`, whatever the stamp says (an explicit reload)."""
        self._seen = _UNSET
