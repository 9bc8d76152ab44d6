"""samlkit.watched: the one "reload on change" helper (issue 10 point 2)."""
from __future__ import annotations

import os

import pytest

from samlkit.watched import Reloading, WatchedFiles


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_fingerprint_follows_new_changed_and_removed_files(tmp_path):
    files = WatchedFiles(tmp_path / "sp")
    assert files.fingerprint() == ()  # a missing folder is an empty one
    (tmp_path / "sp").mkdir()
    (tmp_path / "sp" / "a.xml").write_text("a")
    (tmp_path / "sp" / "notes.txt").write_text("not watched")
    first = files.fingerprint()
    assert [name for name, _, _ in first] == ["a.xml"]
    (tmp_path / "sp" / "a.xml").write_text("aa")  # same name, new size
    assert files.fingerprint() != first
    os.utime(tmp_path / "sp" / "a.xml", ns=(1, 1))  # same size, other mtime
    second = files.fingerprint()
    assert second[0][1] == 1
    (tmp_path / "sp" / "a.xml").unlink()
    assert files.fingerprint() == ()
    assert files.paths(second) == [tmp_path / "sp" / "a.xml"]


def test_reloading_rebuilds_only_when_the_stamp_moves_and_looks_at_most_every_interval():
    clock, stamp, looks, built = Clock(), [1], [], []

    def read_stamp():
        looks.append(clock.now)
        return stamp[0]

    value = Reloading(lambda s: built.append(s) or f"v{s}", read_stamp, every=1.0, clock=clock)
    assert value.get() == "v1" and value.builds == 1
    stamp[0] = 2
    clock.now = 0.5
    assert value.get() == "v1" and looks == [0.0]  # within the interval: no look
    clock.now = 1.0
    assert value.get() == "v2" and built == [1, 2]
    clock.now = 2.5
    assert value.get() == "v2" and value.builds == 2  # looked, unchanged: nothing built
    assert value.check(2) == "v2" and value.is_current(2) and not value.is_current(3)
    value.forget()
    assert value.get() == "v2" and value.builds == 3


def test_a_failing_build_keeps_the_old_value_and_is_tried_again():
    clock, stamp = Clock(), [1]
    fail = [False]

    def build(s):
        if fail[0]:
            raise ValueError("broken file")
        return s

    value = Reloading(build, lambda: stamp[0], every=0, clock=clock)
    assert value.get() == 1
    stamp[0], fail[0] = 2, True
    with pytest.raises(ValueError):
        value.get()
    fail[0] = False
    assert value.get() == 2
