"""UpstreamPeer follows metadata/upstream/ without a restart through samlkit.watched (a key
rollover at the federal service is a metadata change)."""
from __future__ import annotations

import datetime as dt
import os

import pytest

from idp_bridge.dev_eid.idp import DevEid
from idp_bridge.upstream.peer import UpstreamPeer, UpstreamUnavailable
from samlkit.errors import MetadataRefused
from samlkit.keys import ensure_dev_keypair
from samlkit.replay import MemoryStore


def _metadata(tmp_path, base: str, key: str) -> bytes:
    keypair = ensure_dev_keypair(tmp_path / "keys", key, key)
    return DevEid(base, keypair, MemoryStore(), lambda _entity: None,
                  lambda: dt.datetime.now(dt.timezone.utc)).metadata()


def test_the_peer_follows_its_folder(tmp_path):
    folder = tmp_path / "upstream"
    peer = UpstreamPeer(folder)
    with pytest.raises(UpstreamUnavailable):  # no folder yet: a 503 page, not a 500
        peer.current()
    folder.mkdir()
    (folder / "federal.xml").write_bytes(_metadata(tmp_path, "https://idp.example", "first"))
    first = peer.current()
    assert first.entity_id == "https://idp.example/dev-eid/metadata"
    assert peer.current() is first  # unchanged files: not parsed again
    (folder / "federal.xml").write_bytes(_metadata(tmp_path, "https://idp.example", "rolled"))
    os.utime(folder / "federal.xml", ns=(1, 1))  # a different stamp even within one tick
    assert peer.current().signing_certs != first.signing_certs
    (folder / "federal.xml").unlink()
    with pytest.raises(UpstreamUnavailable):
        peer.current()


def test_broken_files_are_skipped_and_two_idps_need_the_entity_id(tmp_path):
    folder = tmp_path / "upstream"
    folder.mkdir()
    (folder / "0-broken.xml").write_bytes(b"<md:EntityDescriptor")
    (folder / "a.xml").write_bytes(_metadata(tmp_path, "https://a.example", "a"))
    assert UpstreamPeer(folder).current().entity_id == "https://a.example/dev-eid/metadata"
    (folder / "b.xml").write_bytes(_metadata(tmp_path, "https://b.example", "b"))
    with pytest.raises(MetadataRefused):
        UpstreamPeer(folder).current()
    chosen = UpstreamPeer(folder, "https://b.example/dev-eid/metadata").current()
    assert chosen.entity_id == "https://b.example/dev-eid/metadata"
