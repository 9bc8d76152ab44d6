"""mod_auth_mellon (Debian's libapache2-mod-auth-mellon, on Lasso) as a target application of
the bridge: an Apache of support.apache with the module, its key, the bridge's /idp/metadata as
a file, the SP metadata the module generates itself at /mellon/metadata; /secure/env (a CGI
printing the environment) needs a session; /mellon/logout?ReturnTo=… starts single logout."""
from __future__ import annotations

import requests

from samlkit.keys import ensure_dev_keypair
from support.apache import ENV_CGI, Apache, module, require

MELLON_MODULE = module("auth_mellon")
PACKAGES = "apache2 libapache2-mod-auth-mellon"
P = "urn:lb-idbeheer:attribute:"
ATTRIBUTES = ("rrn", "surname", "givenName", "authnMethod", "capacity", "government", "right")

# What differs from the module's defaults, and why: the closing note of issue #11 quotes it.
CHANGES = {
    "MellonSetEnvNoPrefix NAME urn:lb-idbeheer:attribute:NAME": "short names for the URI attributes",
    "MellonMergeEnvVars On ;": "the multi-valued right in one variable, as Shibboleth does",
    "MellonUser urn:lb-idbeheer:attribute:rrn": "REMOTE_USER (default: the NameID)",
}


SMARTCARD_PKI = "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI"


class MellonSp:
    def __init__(self, bridge_base: str) -> None:
        require(MELLON_MODULE[1], PACKAGES)
        self.apache = Apache("mellon")
        self.base = self.apache.base
        self.bridge_base = bridge_base
        self.entity_id = self.metadata_url = self.base + "/mellon/metadata"
        self.logged_out = self.base + "/logged-out.html"
        ensure_dev_keypair(self.apache.root, "mellon", "mod_auth_mellon interop SP")
        for suffix in ("key", "crt"):
            (self.apache.root / f"mellon.{suffix}").chmod(0o644)  # a throwaway test key

    def config(self) -> list[str]:
        root = self.apache.root
        idp = requests.get(self.bridge_base + "/idp/metadata", timeout=15)
        assert idp.status_code == 200, idp.text[:500]
        idp_file = self.apache.write("bridge-idp.xml", idp.content)
        cgi = self.apache.cgi("env.cgi", ENV_CGI)
        self.apache.write("logged-out.html", "<!doctype html><p>logged out of mellon</p>\n")
        return [
            f"ScriptAlias /secure/env {cgi}",
            "<Location />",
            "  MellonEnable info",
            "  MellonEndpointPath /mellon",
            f"  MellonSPentityId {self.entity_id}",
            f"  MellonSPPrivateKeyFile {root / 'mellon.key'}",
            f"  MellonSPCertFile {root / 'mellon.crt'}",
            f"  MellonIdPMetadataFile {idp_file}",
            f"  MellonUser {P}rrn",
            *[f"  MellonSetEnvNoPrefix {name} {P}{name}" for name in ATTRIBUTES],
            '  MellonMergeEnvVars On ";"',
            # the eID card only: a RequestedAuthnContext in the AuthnRequest (read where the
            # endpoint is, not per protected Location), and the assertion must name it
            f"  MellonAuthnContextClassRef {SMARTCARD_PKI}",
            "</Location>",
            "<Location /secure>", "  AuthType Mellon", "  MellonEnable auth", "  Require valid-user",
            "</Location>",
        ]

    def start(self) -> MellonSp:
        self.apache.start(self.config(), [MELLON_MODULE], log_level="warn auth_mellon:debug")
        return self

    def stop(self) -> None:
        self.apache.stop()

    def remove(self) -> None:
        self.apache.remove()

    def errors(self) -> str:
        return self.apache.errors()
