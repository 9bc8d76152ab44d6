"""The accessibility check's copy of axe-core (tests/support/axe.py) is what the npm registry
published: a cached tarball whose SHA-512 differs from the pinned integrity is refused and
removed, never injected into a page."""
import pytest
from support import axe


def test_the_integrity_is_npm_s_sha512_in_base64():
    assert axe.integrity_of(b"") == ("sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXy"
                                     "sP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==")


def test_a_tampered_cache_is_refused_and_removed(tmp_path):
    cached = tmp_path / f"axe-core-{axe.VERSION}.tgz"
    cached.write_bytes(b"not the published package")
    with pytest.raises(axe.AxeUnavailable, match="not sha512-"):
        axe.source(tmp_path)
    assert not cached.exists()
