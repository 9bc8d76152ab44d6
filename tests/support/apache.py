"""Debian's Apache as a peer of the bridge, run from a temporary folder by the test: its whole
configuration written there (nothing in /etc is read but mime.types, nothing written),
`apache2 -f CONF -DFOREGROUND` on a free 127.0.0.1 port, prefork with mod_cgi (the peers'
pages are /bin/sh CGI scripts that print what the module set), stopped by pid.

The relying-party modules (mod_auth_openidc, mod_shib, mod_auth_mellon) add their own
directives; see support.apache_oidc, support.shibboleth and support.mellon."""
from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from support import free_port
from support.processes import stop, tail, wait_for

APACHE = Path("/usr/sbin/apache2")
MODULES = Path("/usr/lib/apache2/modules")
BASE_MODULES = ("mpm_prefork", "authz_core", "authz_user", "authn_core", "alias", "cgi", "mime", "env")


def require(path: Path, packages: str) -> Path:
    """A file a peer needs; a loud failure (never a skip) naming the Debian packages otherwise."""
    assert path.exists(), f"{path} is missing; this interop test needs: apt-get install {packages}"
    return path


def module(name: str, file: str | None = None) -> tuple[str, Path]:
    """`LoadModule` arguments: ("auth_mellon") -> ("auth_mellon_module", …/mod_auth_mellon.so)."""
    return f"{name}_module", MODULES / (file or f"mod_{name}.so")


def server_user() -> tuple[str, str]:
    """(user, group) Apache's children (and daemons beside them) run as: www-data when the test
    runs as root (Apache refuses root children), else the test's own user and group."""
    if os.geteuid() == 0:
        return "www-data", "www-data"
    me = pwd.getpwuid(os.geteuid())
    return me.pw_name, grp.getgrgid(me.pw_gid).gr_name


class Apache:
    """One Apache instance in its own temporary folder (`root`), at `base`."""

    def __init__(self, name: str) -> None:
        require(APACHE, "apache2")
        # Not under pytest's tmp folder: Apache's children (www-data) cannot enter root's.
        self.root = Path(tempfile.mkdtemp(prefix=f"idbeheer-apache-{name}-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.user, self.group = server_user()
        self.log = self.root / "error.log"
        self.proc: subprocess.Popen | None = None
        self.write("ready.html", "<!doctype html><p>ready</p>\n")

    def write(self, name: str, text: str | bytes, mode: int = 0o644) -> Path:
        """A file in the folder, readable by the server's user (test keys included: throwaway)."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        path.chmod(mode)
        return path

    def cgi(self, name: str, script: str) -> Path:
        return self.write(name, script, 0o755)

    def writable(self, name: str) -> Path:
        """A folder the server's user may write to."""
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        shutil.chown(path, self.user, self.group)
        return path

    def start(self, config: Sequence[str], modules: Sequence[tuple[str, Path]] = (),
              log_level: str = "warn") -> Apache:
        """Write apache2.conf (the common part, then `config`) and start; returns when it answers."""
        run = self.writable("run")
        conf = self.write("apache2.conf", "\n".join([
            f"ServerRoot {self.root}", f"DefaultRuntimeDir {run}", f"PidFile {self.root / 'apache2.pid'}",
            f"Mutex file:{run} default",
            f"Listen 127.0.0.1:{self.port}", "ServerName 127.0.0.1",
            f"User {self.user}", f"Group {self.group}",
            f"ErrorLog {self.log}", f"LogLevel {log_level}",
            "StartServers 1", "MinSpareServers 1", "MaxSpareServers 2", "MaxRequestWorkers 8",
            *[f"LoadModule {name}_module {MODULES / f'mod_{name}.so'}" for name in BASE_MODULES],
            *[f"LoadModule {name} {require(path, 'the Apache module ' + path.name)}"
              for name, path in modules],
            "TypesConfig /etc/mime.types", f"DocumentRoot {self.root}",
            f'<Directory "{self.root}">', "  Require all granted", "</Directory>",
            *config, ""]))
        self.proc = subprocess.Popen([str(APACHE), "-f", str(conf), "-DFOREGROUND"],
                                     stdout=(self.root / "stdout.log").open("ab"), stderr=subprocess.STDOUT,
                                     env={"PATH": "/usr/sbin:/usr/bin:/bin", "LANG": "C"},
                                     # Apache signals its whole process group when it stops:
                                     # a group of its own, or it would stop pytest too.
                                     start_new_session=True)
        try:
            wait_for(self.base + "/ready.html", self.proc, self.root / "stdout.log")
        except RuntimeError as failed:
            raise RuntimeError(f"{failed}\n{self.errors()}") from None
        return self

    def as_server_user(self) -> dict:
        """Popen arguments that run a daemon beside Apache as its children's user (so that
        they share a socket): a switch only when the test runs as root."""
        return {"user": self.user, "group": self.group} if os.geteuid() == 0 else {}

    def stop(self) -> None:
        stop(self.proc)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def errors(self) -> str:
        return tail(self.log)


ENV_CGI = """#!/bin/sh
printf 'Content-Type: text/plain; charset=utf-8\\r\\n\\r\\n'
env | sort
"""


def env_of(text: str) -> dict[str, str]:
    """What ENV_CGI printed, as a dict (multi-line values keep their first line)."""
    env = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.replace("_", "").replace("-", "").isalnum():
            env.setdefault(name, value)
    return env
