"""Test vocabulary of the OIDC provider: a relying party of the tests' own (keys, client
assertions, token calls) and registration through the catalog's service, as the CLI does."""
from __future__ import annotations

import base64
import secrets
import time
import uuid

from joserfc import jwt
from joserfc.jwk import RSAKey

from attribute_authority import authz, oidc_clients
from attribute_authority.db import unit_of_work
from support import DINA
from support.bridge import BridgeHarness

REDIRECT = "https://rp.example.test/callback"
ISSUER = "http://localhost/oidc"


class RelyingParty:
    """An application registered as an OIDC client, talking to the bridge's test client."""

    def __init__(self, op: BridgeHarness, client_id: str, *, secret: str | None = None,
                 key: RSAKey | None = None) -> None:
        self.op, self.client_id, self.secret, self.key = op, client_id, secret, key
        self.http = op.app.test_client()

    def assertion(self, **overrides) -> str:
        now = int(time.time())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": ISSUER + "/token",
                  "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        assert self.key is not None
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)

    def auth(self, **overrides) -> tuple[dict, dict]:
        """(form fields, headers) that authenticate this client."""
        if self.secret is not None:
            basic = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
            return {}, {"Authorization": "Basic " + basic}
        return {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": self.assertion(**overrides)}, {}

    def token(self, **form):
        fields, headers = self.auth()
        return self.http.post("/oidc/token", data={**fields, **form}, headers=headers)

    def client_token(self) -> str:
        answer = self.token(grant_type="client_credentials")
        assert answer.status_code == 200, answer.json
        return answer.json["access_token"]


def new_rsa_key() -> RSAKey:
    key = RSAKey.generate_key(2048)
    return RSAKey.import_key(key.as_dict(private=True), {"kid": key.thumbprint()})


def register(op: BridgeHarness, code: str = "demo-app", *, secret: bool = False,
             scopes=("openid", "profile", "capacity", "rights"), **kw) -> RelyingParty:
    key = None if secret else new_rsa_key()
    auth = oidc_clients.ClientAuth(new_secret=True) if secret else oidc_clients.ClientAuth(
        jwks={"keys": [key.as_dict(private=False)]})
    with unit_of_work(op.db) as session:
        _client, new_secret = oidc_clients.register_oidc_client(
            session, authz.actor_for(session, DINA), code, redirect_uris=kw.pop("redirect_uris", [REDIRECT]),
            auth=auth, scopes=list(scopes), name=kw.pop("name", _new_name(code)), **kw)
    return RelyingParty(op, code, secret=new_secret, key=key)


def _new_name(code: str) -> str | None:
    """A name for a new application; None keeps a catalog application's own (the demo data
    is shared by the whole test run: renaming demo-app would show in other tests' pages)."""
    return None if code == "demo-app" else code


def random_code() -> str:
    return "oidc-" + secrets.token_hex(4)


def revoke_grant(op, rrn: str, right_code: str) -> None:
    """An administrator revokes the person's grant of the right (R7), committed."""
    from sqlalchemy import select

    from attribute_authority import authz, grants
    from attribute_authority.db import unit_of_work
    from attribute_authority.models import Grant, Person, Relation, Right
    from support import AN

    with unit_of_work(op.db) as session:
        grant_id = session.scalar(
            select(Grant.id).join(Right, Right.id == Grant.right_id)
            .join(Relation, Relation.id == Grant.relation_id).join(Person, Person.id == Relation.person_id)
            .where(Person.rrn == rrn, Right.code == right_code, Grant.revoked_at.is_(None)))
        grants.revoke(session, authz.actor_for(session, AN), grant_id, reason="test R8")
