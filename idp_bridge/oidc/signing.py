"""The OP's signing key (RS256) and its published JWKS, with the staged `-next` key beside it
for rollover, as for the SAML keys (`samlkit.keys.role_keys`): `certs/oidc.key` signs,
`certs/oidc-next.key` is published until it takes over."""
from __future__ import annotations

from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from samlkit.keys import KeyPair

ALGORITHM = "RS256"


def _jwk(keypair: KeyPair) -> RSAKey:
    key = RSAKey.import_key(keypair.key_pem)
    return RSAKey.import_key(keypair.key_pem, {"kid": key.thumbprint(), "use": "sig", "alg": ALGORITHM})


class SigningKeys:
    def __init__(self, current: KeyPair, staged: KeyPair | None = None) -> None:
        self._current = _jwk(current)
        self._published = [self._current] + ([_jwk(staged)] if staged else [])
        self._verifying = KeySet(list[Any](self._published))

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.as_dict(private=False) for k in self._published]}

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        return jwt.encode({"alg": ALGORITHM, "kid": self._current.kid}, claims, self._current,
                          algorithms=[ALGORITHM], default_type=typ)

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a JWT we signed (an `id_token_hint`), or None; expiry not judged."""
        try:
            return jwt.decode(token, self._verifying, algorithms=[ALGORITHM]).claims
        except (JoseError, ValueError, TypeError):
            return None
