"""Real relying parties of the OpenID Provider, started by the test and stopped by pid:

- `IdbeheerServer`: `idbeheer run` on a free loopback port, on the test's database (the
  server under test uses the test DB URL, SQLite or PostgreSQL), with `cli(...)` running the
  `idbeheer` command against the same database while it serves (registration as an operator
  does it);
- `ApacheOidc`: Debian's Apache with `mod_auth_openidc` (libapache2-mod-auth-openidc), its
  configuration written into a temporary folder, `apache2 -f CONF -DFOREGROUND` on a free port,
  `private_key_jwt` with a key of its own, a CGI script that prints the `OIDC_CLAIM_*`
  variables the module sets.

(SAML peers have their own harness; this one is for OIDC only.)"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from joserfc.jwk import RSAKey

from samlkit.keys import ensure_dev_keypair
from support import free_port

APACHE = Path("/usr/sbin/apache2")
MODULES = Path("/usr/lib/apache2/modules")
OIDC_MODULE = MODULES / "mod_auth_openidc.so"
IDBEHEER = Path(sys.executable).parent / "idbeheer"


def _wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited {proc.returncode}:\n{_tail(log)}")
        try:
            requests.get(url, timeout=2, allow_redirects=False)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {seconds} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(5)


class IdbeheerServer:
    """`idbeheer run` (demo mode: dev_eid, generated keys) at http://127.0.0.1:PORT."""

    def __init__(self, root: Path, database_url: str) -> None:
        self.root = root
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "IDBEHEER_HOME": str(root / "var"), "IDBEHEER_DATABASE_URL": database_url,
                    "IDBEHEER_BASE_URL": self.base, "IDBEHEER_CERTS_DIR": str(root / "certs"),
                    "IDBEHEER_METADATA_DIR": str(root / "metadata"),
                    "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                                   os.environ.get("PYTHONPATH", "")])}
        self.log = root / "idbeheer.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> IdbeheerServer:
        self.proc = subprocess.Popen([str(IDBEHEER), "run", "--host", "127.0.0.1", "--port", str(self.port)],
                                     env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        _wait_for(self.base + "/healthz", self.proc, self.log)
        return self

    def stop(self) -> None:
        _stop(self.proc)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """The `idbeheer` command on the server's database, while it serves."""
        done = subprocess.run([str(IDBEHEER), *args], env=self.env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done


_CLAIMS_CGI = """#!/bin/sh
printf 'Content-Type: text/plain; charset=utf-8\\r\\n\\r\\n'
printf 'REMOTE_USER=%s\\n' "$REMOTE_USER"
env | grep '^OIDC_' | sort
"""


class ApacheOidc:
    """Apache with mod_auth_openidc protecting /protected/ (a CGI shows the claims)."""

    def __init__(self, provider_base: str, client_id: str = "apache-rp") -> None:
        assert APACHE.exists() and OIDC_MODULE.exists(), \
            "Apache with mod_auth_openidc is missing: apt-get install apache2 libapache2-mod-auth-openidc"
        # Not under pytest's tmp folder: Apache's children (www-data) cannot enter root's.
        self.root = Path(tempfile.mkdtemp(prefix="idbeheer-apache-oidc-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.provider_base, self.client_id = provider_base, client_id
        self.redirect_uri = self.base + "/protected/redirect_uri"
        self.logged_out = self.base + "/logged-out.html"
        self.log = self.root / "error.log"
        self.proc: subprocess.Popen | None = None
        keypair = ensure_dev_keypair(self.root, "apache-rp", "mod_auth_openidc test RP")
        key = RSAKey.import_key(keypair.key_pem)
        self.kid = key.thumbprint()
        self.jwks_file = self.root / "jwks.json"
        self.jwks_file.write_text(json.dumps({"keys": [
            RSAKey.import_key(keypair.key_pem, {"kid": self.kid, "use": "sig", "alg": "RS256"})
            .as_dict(private=False)]}))
        for name in ("apache-rp.key", "apache-rp.crt"):
            (self.root / name).chmod(0o644)  # a throwaway test key, read by www-data

    def registration_args(self) -> list[str]:
        """`idbeheer app oidc …` for this RP (its public JWKS, exact URIs)."""
        return ["app", "oidc", self.client_id, "--name", "Apache mod_auth_openidc",
                "--redirect-uri", self.redirect_uri, "--jwks", str(self.jwks_file),
                "--post-logout-redirect-uri", self.logged_out,
                "--backchannel-logout-uri", self.redirect_uri + "?logout=backchannel",
                "--scope", "openid", "--scope", "profile", "--scope", "capacity", "--scope", "rights"]

    def write_config(self) -> Path:
        root = self.root
        cgi = root / "claims.cgi"
        cgi.write_text(_CLAIMS_CGI)
        cgi.chmod(0o755)
        (root / "logged-out.html").write_text("<!doctype html><p>logged out of apache-rp</p>\n")
        (root / "logged-out.html").chmod(0o644)
        (root / "run").mkdir(exist_ok=True)
        shutil.chown(root / "run", "www-data", "www-data")
        modules = ["mpm_prefork", "authz_core", "authz_user", "authn_core", "alias", "cgi", "mime"]
        conf = root / "apache2.conf"
        conf.write_text("\n".join([
            f"ServerRoot {root}", f"DefaultRuntimeDir {root / 'run'}", f"PidFile {root / 'apache2.pid'}",
            f"Mutex file:{root / 'run'} default",
            f"Listen 127.0.0.1:{self.port}", "ServerName 127.0.0.1", "User www-data", "Group www-data",
            f"ErrorLog {self.log}", "LogLevel warn auth_openidc:info",
            "StartServers 1", "MinSpareServers 1", "MaxSpareServers 2", "MaxRequestWorkers 8",
            *[f"LoadModule {m}_module {MODULES / f'mod_{m}.so'}" for m in modules],
            f"LoadModule auth_openidc_module {OIDC_MODULE}",
            "TypesConfig /etc/mime.types", f"DocumentRoot {root}",
            f'<Directory "{root}">', "  Require all granted", "</Directory>",
            f"ScriptAlias /protected/claims {cgi}",
            f"OIDCProviderMetadataURL {self.provider_base}/oidc/.well-known/openid-configuration",
            f"OIDCClientID {self.client_id}",
            f"OIDCPrivateKeyFiles {self.kid}#{root / 'apache-rp.key'}",
            f"OIDCPublicKeyFiles {self.kid}#{root / 'apache-rp.crt'}",
            # after the keys: the module accepts private_key_jwt only once it has a key
            "OIDCProviderTokenEndpointAuth private_key_jwt",
            f"OIDCRedirectURI {self.redirect_uri}",
            f"OIDCCryptoPassphrase {secrets.token_hex(16)}",
            'OIDCScope "openid profile capacity rights"',
            "OIDCPKCEMethod S256",
            "OIDCPassClaimsAs environment",
            "OIDCRemoteUserClaim sub",
            "OIDCSessionType server-cache",
            "OIDCCacheType shm",
            f"OIDCDefaultLoggedOutURL {self.logged_out}",
            "<Location /protected>", "  AuthType openid-connect", "  Require valid-user", "</Location>",
            ""]))
        return conf

    def start(self) -> ApacheOidc:
        conf = self.write_config()
        self.proc = subprocess.Popen([str(APACHE), "-f", str(conf), "-DFOREGROUND"],
                                     stdout=(self.root / "stdout.log").open("ab"), stderr=subprocess.STDOUT,
                                     env={"PATH": "/usr/sbin:/usr/bin:/bin", "LANG": "C"},
                                     # Apache signals its whole process group when it stops:
                                     # a group of its own, or it would stop pytest too.
                                     start_new_session=True)
        try:
            _wait_for(self.base + "/logged-out.html", self.proc, self.root / "stdout.log")
        except RuntimeError as failed:
            raise RuntimeError(f"{failed}\n{self.errors()}") from None
        return self

    def stop(self) -> None:
        _stop(self.proc)
        shutil.rmtree(self.root, ignore_errors=True)

    def errors(self) -> str:
        return _tail(self.log)


def claims_of(text: str) -> dict[str, str]:
    """What the CGI printed: {"sub": …, "given_name": …} from the OIDC_CLAIM_* lines."""
    claims = {}
    for line in text.splitlines():
        name, _, value = line.partition("=")
        if name.startswith("OIDC_CLAIM_"):
            claims[name.removeprefix("OIDC_CLAIM_")] = value
    return claims


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
