"""Applications registered as OpenID Connect clients (DESIGN.md "Registration"), kept by
central administrators: `client_id` is the application code; redirect URIs match exactly; the
client proves itself with a key of its registered JWKS (or JWKS URI) or a generated secret
that is shown once and kept only as a hash."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import Connection, Row, bindparam, select
from sqlalchemy.orm import Session, contains_eager

from . import audit, authz, catalog, clock
from .audit import Change, snapshot
from .errors import BadClientUri, BadJwksUri, InvalidInput, NoRedirectUri
from .models import Application, OidcClient

SCOPES = ("openid", "profile", "rrn", "capacity", "rights")
DEFAULT_SCOPES = ("openid", "profile", "capacity", "rights")
_LOOPBACK = ("localhost", "127.0.0.1", "[::1]")
_SECRET_PREFIX = "sha256:"


@dataclass(frozen=True)
class ClientAuth:
    """How the client authenticates at the token endpoint: exactly one of the four. A
    `public` client (a browser or native app, which cannot keep a secret) has no credentials:
    it names itself by client_id and must prove each code with PKCE S256 instead."""

    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    new_secret: bool = False
    public: bool = False


def is_public(client: OidcClient) -> bool:
    """Registered without secret, JWKS or JWKS URI (`ClientAuth(public=True)`)."""
    return not (client.jwks or client.jwks_uri or client.secret_hash)


def auth_kind(client: OidcClient) -> str:
    """How the client authenticates: `jwks`, `jwks_uri` (both private_key_jwt), `secret`
    (client_secret_basic) or `public`."""
    return "jwks" if client.jwks else "jwks_uri" if client.jwks_uri \
        else "secret" if client.secret_hash else "public"


def client_for(session: Session, app_code: str) -> OidcClient | None:
    # The application comes in the same statement: every token call reads the client's
    # name and capacity too.
    return session.scalars(select(OidcClient).join(Application)
                           .options(contains_eager(OidcClient.application))
                           .where(Application.code == app_code)).first()


# The provider's read of a client at every authorization and token call: one compiled
# statement on a bare connection, no ORM objects (a third of the token endpoint's database
# time went to building the OidcClient and its Application).
_CLIENT_ROW = (select(Application.code, OidcClient.redirect_uris, OidcClient.post_logout_redirect_uris,
                      OidcClient.scopes, OidcClient.jwks, OidcClient.jwks_uri, OidcClient.secret_hash,
                      OidcClient.backchannel_logout_uri)
               .join(Application, Application.id == OidcClient.application_id)
               .where(Application.code == bindparam("code")))


def registered(session: Session, app_codes: list[str]) -> dict[str, OidcClient]:
    """The OIDC registrations of these applications (those that have one), by code."""
    if not app_codes:
        return {}
    rows = session.scalars(select(OidcClient).join(Application)
                           .options(contains_eager(OidcClient.application))
                           .where(Application.code.in_(app_codes)))
    return {row.application.code: row for row in rows}


def registration_of(session: Session, actor: authz.Actor, code: str,
                    on: date | None = None) -> tuple[Application, OidcClient | None]:
    """A catalog application and its OIDC registration (None: not an OIDC client yet), for
    central administrators."""
    authz.require_central(session, actor, on or clock.today())
    return catalog.application_by_code(session, code), client_for(session, code)


def client_row(connection: Connection, app_code: str) -> Row | None:
    """The registration of CODE as plain values (code, redirect_uris, post_logout_redirect_uris,
    scopes, jwks, jwks_uri, secret_hash, backchannel_logout_uri), or None."""
    return connection.execute(_CLIENT_ROW, {"code": app_code}).first()


def register_oidc_client(session: Session, actor: authz.Actor, code: str, *,
                         redirect_uris: list[str], auth: ClientAuth | None,
                         post_logout_redirect_uris: list[str] = (),  # type: ignore[assignment]
                         backchannel_logout_uri: str | None = None,
                         scopes: list[str] | None = None, name: str | None = None,
                         capacity: str | None = None, reason: str | None = None,
                         on: date | None = None) -> tuple[OidcClient, str | None]:
    """Register or update CODE as an OIDC client; returns the client and the new secret, if
    one was made (the only time it is seen). An unknown application is added to the catalog
    (it needs a name then). `auth` None keeps the current authentication of an update."""
    authz.require_central(session, actor, on or clock.today())
    uris = [_checked_uri(u, "redirect URI") for u in redirect_uris]
    if not uris:
        raise NoRedirectUri()
    post_logout = [_checked_uri(u, "post-logout redirect URI") for u in post_logout_redirect_uris]
    backchannel = _checked_uri(backchannel_logout_uri, "back-channel logout URI") \
        if backchannel_logout_uri else None
    granted = _checked_scopes(scopes)
    app = session.scalars(select(Application).where(Application.code == code)).first()
    if app is None:
        app = catalog.register_application(session, actor, code, name or "", capacity or "employee", on)
    elif name is not None or capacity is not None:
        catalog.update_application(session, actor, code, name=name or app.name,
                                   capacity=capacity or app.capacity, on=on)
    client = client_for(session, code)
    before = _public(client) if client else None
    if client is None:
        if auth is None:
            raise InvalidInput(detail="kies hoe de client zich aanmeldt: met een JWKS, een JWKS "
                                      "URI, een nieuw geheim of als publieke client",
                               detail_en="choose how the client authenticates: with a JWKS, a "
                                         "JWKS URI, a new secret or as a public client")
        client = OidcClient(application=app)
        session.add(client)
    secret = _authenticate_with(client, auth) if auth is not None else None
    client.redirect_uris, client.post_logout_redirect_uris = uris, post_logout
    client.backchannel_logout_uri, client.scopes = backchannel, granted
    client.updated_at = clock.now()
    session.flush()
    after = _public(client) | ({"secret": "new"} if secret else {})
    audit.record(session, actor.rrn, Change(
        "oidc_client.registered" if before is None else "oidc_client.changed", "oidc_client",
        client.id, before=before, after=after, reason=reason))
    return client, secret


def seed_client(session: Session, code: str, *, redirect_uris: list[str], jwks: dict[str, Any],
                post_logout_redirect_uris: list[str], backchannel_logout_uri: str | None,
                scopes: list[str]) -> bool:
    """The demo data's OIDC registration of a catalog application (demo mode: `idbeheer run`
    and `seed-demo` register demo-app's OIDC mode), written by the system like the rest of the
    demo data. Its URIs follow the base URL, so it is brought up to date when it differs and
    left alone (nothing written, nothing audited) when not. Returns whether it wrote."""
    app = session.scalars(select(Application).where(Application.code == code)).first()
    if app is None:
        raise InvalidInput(detail=f"toepassing {code} staat niet in de catalogus",
                           detail_en=f"application {code} is not in the catalog")
    wanted = {"redirect_uris": [_checked_uri(u, "redirect URI") for u in redirect_uris],
              "post_logout_redirect_uris": [_checked_uri(u, "post-logout redirect URI")
                                            for u in post_logout_redirect_uris],
              "backchannel_logout_uri": _checked_uri(backchannel_logout_uri, "back-channel logout URI")
              if backchannel_logout_uri else None,
              "jwks": checked_jwks(jwks), "scopes": _checked_scopes(scopes)}
    client = client_for(session, code)
    if client is not None and not client.secret_hash and not client.jwks_uri \
            and all(getattr(client, k) == v for k, v in wanted.items()):
        return False
    before = _public(client) if client else None
    if client is None:
        client = OidcClient(application=app)
        session.add(client)
    client.jwks_uri = client.secret_hash = None
    for name, value in wanted.items():
        setattr(client, name, value)
    client.updated_at = clock.now()
    session.flush()
    audit.record(session, None, Change(
        "oidc_client.registered" if before is None else "oidc_client.changed", "oidc_client",
        client.id, before=before, after=_public(client)))
    return True


def secret_matches(client: OidcClient, presented: str) -> bool:
    """Constant-time check of a presented client secret against the stored hash."""
    return secret_hash_matches(client.secret_hash, presented)


def secret_hash_matches(secret_hash: str | None, presented: str) -> bool:
    if not secret_hash:
        return False
    return hmac.compare_digest(secret_hash, _hash(presented))


def _authenticate_with(client: OidcClient, auth: ClientAuth) -> str | None:
    chosen = [auth.jwks is not None, auth.jwks_uri is not None, auth.new_secret, auth.public]
    if sum(chosen) != 1:
        raise InvalidInput(detail="kies precies één van --jwks, --jwks-uri, --new-secret en --public",
                           detail_en="choose exactly one of --jwks, --jwks-uri, --new-secret and "
                                     "--public")
    client.jwks = client.jwks_uri = client.secret_hash = None
    if auth.public:
        return None
    if auth.jwks is not None:
        client.jwks = checked_jwks(auth.jwks)
        return None
    if auth.jwks_uri is not None:
        client.jwks_uri = _checked_uri(auth.jwks_uri, "JWKS URI", https_only=True)
        return None
    secret = secrets.token_urlsafe(32)  # 256 bits: a fast hash is enough, no guessing
    client.secret_hash = _hash(secret)
    return secret


def checked_jwks(jwks: Any) -> dict[str, Any]:
    """A JWKS of public RSA or EC signing keys; a private or symmetric key is refused (a
    client that sends us its private key has leaked it; `oct` keys would allow HS*)."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        raise InvalidInput(detail="de JWKS heeft een lijst 'keys' met minstens één sleutel",
                           detail_en="the JWKS needs a list 'keys' with at least one key")
    for key in jwks["keys"]:
        if not isinstance(key, dict) or key.get("kty") not in ("RSA", "EC"):
            raise InvalidInput(detail="de JWKS bevat alleen publieke RSA- of EC-sleutels",
                               detail_en="the JWKS may only hold public RSA or EC keys")
        if "d" in key or "p" in key:
            raise InvalidInput(detail="de JWKS bevat een private sleutel; registreer alleen de publieke",
                               detail_en="the JWKS holds a private key; register only the public "
                                         "one")
    try:
        KeySet.import_key_set(cast(Any, jwks))  # its shape is what joserfc checks here
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidInput(detail=f"de JWKS is onleesbaar ({type(exc).__name__})",
                           detail_en=f"the JWKS cannot be read ({type(exc).__name__})") from None
    return jwks


def _checked_uri(uri: str, what: str, *, https_only: bool = False) -> str:
    """Absolute, no fragment; https, or http only towards the loopback host (RFC 8252)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        parts = None
    loopback = parts is not None and parts.scheme == "http" and parts.netloc.split(":")[0] in _LOOPBACK
    if parts is None or not parts.netloc or parts.fragment or len(uri) > 500 \
            or not (parts.scheme == "https" or (loopback and not https_only)):
        raise (BadJwksUri if https_only else BadClientUri)(what=what, uri=uri)
    return uri


def _checked_scopes(scopes: list[str] | None) -> list[str]:
    chosen = list(dict.fromkeys(["openid", *(scopes if scopes else DEFAULT_SCOPES)]))
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise InvalidInput(detail=f"onbekende scope {unknown[0]}; kies uit {', '.join(SCOPES)}",
                           detail_en=f"unknown scope {unknown[0]}; choose from {', '.join(SCOPES)}")
    return chosen


def _hash(secret: str) -> str:
    return _SECRET_PREFIX + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _public(client: OidcClient) -> dict[str, Any]:
    """What the audit trail keeps: everything but the secret's hash."""
    data = snapshot(client, "redirect_uris", "post_logout_redirect_uris", "jwks_uri",
                    "backchannel_logout_uri", "scopes")
    data["auth"] = auth_kind(client)
    if client.jwks:
        data["jwks_kids"] = [k.get("kid") for k in client.jwks["keys"]]
    return data
