"""The one "reload on change" look at a folder of metadata files: names, mtimes and sizes, no
reading. A registry keeps the fingerprint it loaded and loads again when a new look differs
(samlkit.spmetadata for the applications, the bridge's upstream peer for the IdP)."""
from __future__ import annotations

from pathlib import Path

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(folder: Path, pattern: str = "*.xml") -> Fingerprint:
    """(name, mtime_ns, size) of each file in `folder` matching `pattern`, by name; a file
    removed while we look is left out, and an unreadable folder is empty."""
    try:
        files = sorted(folder.glob(pattern))
    except OSError:
        return ()
    stamps = []
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue  # removed while we looked
        stamps.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)
