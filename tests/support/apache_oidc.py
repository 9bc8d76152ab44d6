"""Apache with `mod_auth_openidc` (libapache2-mod-auth-openidc) as a relying party of the
OpenID Provider: an Apache of support.apache, `private_key_jwt` with a key of its own, a CGI
script that prints the environment (the `OIDC_CLAIM_*` variables the module sets).

The bridge it signs in through is support.interop's `IdbeheerServer`."""
from __future__ import annotations

import json
import secrets

from joserfc.jwk import RSAKey

from samlkit.keys import ensure_dev_keypair
from support.apache import ENV_CGI, Apache, module, require

OIDC_MODULE = module("auth_openidc")


class ApacheOidc:
    """Apache with mod_auth_openidc protecting /protected/ (a CGI shows the claims)."""

    def __init__(self, provider_base: str, client_id: str = "apache-rp") -> None:
        require(OIDC_MODULE[1], "apache2 libapache2-mod-auth-openidc")
        self.apache = Apache("oidc")
        self.base = self.apache.base
        self.provider_base, self.client_id = provider_base, client_id
        self.redirect_uri = self.base + "/protected/redirect_uri"
        self.logged_out = self.base + "/logged-out.html"
        keypair = ensure_dev_keypair(self.apache.root, "apache-rp", "mod_auth_openidc test RP")
        key = RSAKey.import_key(keypair.key_pem)
        self.kid = key.thumbprint()
        self.jwks_file = self.apache.write("jwks.json", json.dumps({"keys": [
            RSAKey.import_key(keypair.key_pem, {"kid": self.kid, "use": "sig", "alg": "RS256"})
            .as_dict(private=False)]}))
        for name in ("apache-rp.key", "apache-rp.crt"):
            (self.apache.root / name).chmod(0o644)  # a throwaway test key, read by www-data

    def registration_args(self) -> list[str]:
        """`idbeheer app oidc …` for this RP (its public JWKS, exact URIs)."""
        return ["app", "oidc", self.client_id, "--name", "Apache mod_auth_openidc",
                "--redirect-uri", self.redirect_uri, "--jwks", str(self.jwks_file),
                "--post-logout-redirect-uri", self.logged_out,
                "--backchannel-logout-uri", self.redirect_uri + "?logout=backchannel",
                "--scope", "openid", "--scope", "profile", "--scope", "capacity", "--scope", "rights"]

    def config(self) -> list[str]:
        root = self.apache.root
        cgi = self.apache.cgi("claims.cgi", ENV_CGI)
        self.apache.write("logged-out.html", "<!doctype html><p>logged out of apache-rp</p>\n")
        return [
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
        ]

    def start(self) -> ApacheOidc:
        self.apache.start(self.config(), [OIDC_MODULE], log_level="warn auth_openidc:info")
        return self

    def stop(self) -> None:
        self.apache.stop()
        self.apache.remove()

    def errors(self) -> str:
        return self.apache.errors()


def claims_of(text: str) -> dict[str, str]:
    """What the CGI printed: {"sub": …, "given_name": …} from the OIDC_CLAIM_* lines."""
    claims = {}
    for line in text.splitlines():
        name, _, value = line.partition("=")
        if name.startswith("OIDC_CLAIM_"):
            claims[name.removeprefix("OIDC_CLAIM_")] = value
    return claims
