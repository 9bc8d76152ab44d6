"""UpstreamPeer follows metadata/upstream/ without a restart through samlkit.watched (a key
rollover at the federal service is a metadata change)."""
from __future__ import annotations

import datetime as dt
import os

import pytest

from idp_bridge.dev_eid.idp import DevEid
from idp_bridge.upstream.peer import UpstreamPeer, UpstreamUnavailable
from samlkit.keys import ensure_dev_keypair
from samlkit.replay import MemoryStore


def _metadata(tmp_path, base: str, key: str, now: dt.datetime | None = None) -> bytes:
    keypair = ensure_dev_keypair(tmp_path / "keys", key, key)
    return DevEid(base, keypair, MemoryStore(), lambda _entity: None,
                  lambda: dt.datetime.now(dt.timezone.utc)).metadata(now)


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
    with pytest.raises(UpstreamUnavailable, match="set the upstream entityID"):
        UpstreamPeer(folder).current()  # two IdPs and no choice: a 503 page, not a 500
    chosen = UpstreamPeer(folder, "https://b.example/dev-eid/metadata").current()
    assert chosen.entity_id == "https://b.example/dev-eid/metadata"


def test_expired_metadata_is_refused_with_a_log_line_until_a_current_copy_arrives(tmp_path, caplog):
    folder = tmp_path / "upstream"
    folder.mkdir()
    now = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
    clock = [now]
    # validUntil = a week after the moment it was published
    (folder / "federal.xml").write_bytes(
        _metadata(tmp_path, "https://idp.example", "k", now - dt.timedelta(days=6)))
    peer = UpstreamPeer(folder, clock=lambda: clock[0])
    assert peer.current().valid_until == now + dt.timedelta(days=1)
    clock[0] = now + dt.timedelta(days=1)
    with caplog.at_level("ERROR", logger="idp_bridge.upstream.peer"):
        with pytest.raises(UpstreamUnavailable) as refused:
            peer.current()
    assert refused.value.status == 503 and refused.value.reason == "metadata_expired"
    assert "expired at 2026-12-02T00:00:00Z" in caplog.text
    (folder / "federal.xml").write_bytes(_metadata(tmp_path, "https://idp.example", "k", clock[0]))
    os.utime(folder / "federal.xml", ns=(2, 2))
    assert peer.current().entity_id == "https://idp.example/dev-eid/metadata"


def test_a_broken_file_is_named_in_the_log(tmp_path, caplog):
    folder = tmp_path / "upstream"
    folder.mkdir()
    (folder / "federal.xml").write_bytes(b"<md:EntityDescriptor")
    with caplog.at_level("ERROR", logger="idp_bridge.upstream.peer"):
        with pytest.raises(UpstreamUnavailable) as refused:
            UpstreamPeer(folder).current()
    assert refused.value.status == 503
    assert "federal.xml not usable: malformed" in caplog.text
