"""Servers a test starts as subprocesses: wait until they answer, read their log, stop them by
pid (never by name)."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import requests


def wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    """Until `url` answers anything over HTTP; a clear failure with the log if `proc` exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited {proc.returncode}:\n{tail(log)}")
        try:
            requests.get(url, timeout=2, allow_redirects=False)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {seconds} s:\n{tail(log)}")


def wait_for_path(path: Path, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    """Until `path` exists (a socket, a pid file)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited {proc.returncode}:\n{tail(log)}")
        if path.exists():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{path} did not appear in {seconds} s:\n{tail(log)}")


def tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else f"(no {log.name})"


def stop(proc: subprocess.Popen | None) -> None:
    """SIGTERM to the pid, SIGKILL after 15 s."""
    if proc is None or proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(5)
