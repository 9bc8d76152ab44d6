"""Logout on the OIDC side: the back-channel hop of the core's logout plan (the session's
grants are revoked, and a logout_token is POSTed to the client's backchannel_logout_uri,
OIDC Back-Channel Logout 1.0) and RP-initiated logout (`/oidc/logout` with an id_token_hint of
ours and a registered post_logout_redirect_uri only)."""
from __future__ import annotations

import logging
import secrets
import urllib.request
from collections.abc import Mapping
from urllib.parse import urlencode

from flask import Response

from ..core import SignInCore
from ..errors import RequestRefused
from ..logout import AppEntry, Reply
from .provider import Provider

log = logging.getLogger(__name__)
PROTOCOL = "oidc"
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class OidcLogout:
    def __init__(self, provider: Provider, core: SignInCore, timeout: float = 3.0) -> None:
        self.provider, self.core, self.timeout = provider, core, timeout
        core.register_back_channel_hop(PROTOCOL, self.hop)
        core.register_reply(PROTOCOL, self.reply)

    def logout_token(self, entry: AppEntry) -> str:
        now = self.provider.epoch()
        return self.provider.keys.sign(
            {"iss": self.provider.issuer, "aud": entry.peer, "iat": now, "exp": now + 120,
             "jti": secrets.token_urlsafe(16), "sub": entry.subject, "sid": entry.session_index,
             "events": {BACKCHANNEL_EVENT: {}}}, typ="logout+jwt")

    def hop(self, entry: AppEntry) -> bool:
        """Back-channel (run by the core beside the logout's other ones): False when the
        client could not be told."""
        if entry.session_index:
            self.provider.grants.revoke_session(entry.session_index)
        client = self.provider.clients.get(entry.peer)
        if client is None or not client.backchannel_logout_uri:
            return client is not None
        body = urlencode({"logout_token": self.logout_token(entry)}).encode()
        http = urllib.request.Request(client.backchannel_logout_uri, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(http, timeout=self.timeout) as answer:  # noqa: S310
                return 200 <= answer.status < 300
        except OSError as exc:
            log.warning("back-channel logout of %s failed: %s", entry.peer, type(exc).__name__)
            return False

    def reply(self, reply: Reply, partial: bool) -> Response:
        query = urlencode({"state": reply.relay_state} if reply.relay_state else {})
        location = reply.location + (("&" if "?" in reply.location else "?") + query if query else "")
        return Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})

    def asked(self, args: Mapping[str, str]) -> tuple[Reply | None, str | None, str | None]:
        """Checks an RP-initiated logout: (reply or None, client_id, sid)."""
        hint = args.get("id_token_hint")
        if not hint:
            raise RequestRefused("oidc_logout_hint", "id_token_hint missing")
        claims = self.provider.keys.verify(hint)
        if claims is None:
            raise RequestRefused("oidc_logout_hint", "id_token_hint not ours")
        client = self.provider.clients.get(claims.get("aud") if isinstance(claims.get("aud"), str) else None)
        if claims.get("iss") != self.provider.issuer or client is None:
            raise RequestRefused("oidc_logout_hint", "id_token_hint not ours")
        if args.get("client_id") and args["client_id"] != client.client_id:
            raise RequestRefused("oidc_logout_hint", "client_id differs from the id_token_hint")
        target = args.get("post_logout_redirect_uri")
        if target and target not in client.post_logout_redirect_uris:
            raise RequestRefused("oidc_logout_redirect", "post_logout_redirect_uri not registered")
        reply = Reply(PROTOCOL, target, relay_state=args.get("state")) if target else None
        return reply, client.client_id, claims.get("sid")

