"""Refusals of the bridge, in the domain's words.

Each carries a stable `reason` (the sign-in trail's reason code, logs, tests) and a Dutch
message that tells the person what to do next (marked for translation: i18n.py). The web layer
maps them to a 4xx page or, when an application is waiting for an answer, to a SAML error status.
"""
from __future__ import annotations

import redis
from flask_babel import LazyString
from sqlalchemy import exc as sa_exc

from samlkit.errors import (
    AssertionRefused,
    DecryptionRefused,
    SamlSecurityError,
    SignatureRefused,
    XmlRefused,
)
from samlkit.replay import StoreUnavailable

from .i18n import lazy_gettext as _l

NEXT_STEP = _l("Ga terug naar de toepassing waarmee u wilde werken en meld opnieuw aan. "
                "Blijft het probleem, geef dan de helpdesk het tijdstip en uw rijksregisternummer door.")

# A store the sign-in needs is unreachable: the session/one-time store (Redis) or the database.
OUTAGES: tuple[type[Exception], ...] = (
    StoreUnavailable, redis.ConnectionError, redis.TimeoutError,
    sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


class BridgeRefusal(Exception):
    status = 400
    title = _l("Aanmelden niet gelukt")
    message = _l("Dit aanmeldbericht kunnen we niet aanvaarden.")
    next_step = NEXT_STEP

    def __init__(self, reason: str, detail: str = "", message: str | LazyString | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        if message is not None:
            self.message = message


class UpstreamRefused(BridgeRefusal):
    """The upstream IdP's answer at /sp/acs was not accepted (a security check failed)."""

    message = _l("Het antwoord van de federale aanmeldingsdienst is geweigerd.")


class RequestRefused(BridgeRefusal):
    """An application's AuthnRequest or LogoutRequest was not accepted."""

    message = _l("De aanvraag van de toepassing is geweigerd.")


class LogoutRefused(BridgeRefusal):
    """The bridge's own sign-out form came without this session's token: nothing is ended."""

    title = _l("Afmelden niet gelukt")
    message = _l("Dit afmeldverzoek kwam niet van het afmeldformulier van deze sessie.")
    next_step = _l("U bent nog aangemeld. Wilt u zich afmelden, open dan de afmeldpagina opnieuw "
                   "en klik op de knop \"Afmelden bij alle toepassingen\".")


class SessionMissing(BridgeRefusal):
    status = 403
    message = _l("U bent niet (meer) aangemeld.")


class ServiceUnavailable(BridgeRefusal):
    """An outage of our own (see OUTAGES): nothing the person did; it passes by itself."""

    status = 503
    message = _l("Aanmelden is tijdelijk niet mogelijk door een storing bij ons.")
    next_step = _l("Probeer later opnieuw, binnen enkele minuten. U hoeft niets anders te doen. "
                   "Blijft het probleem langer duren, contacteer dan de helpdesk.")


def reason_of(exc: SamlSecurityError) -> str:
    """A trail reason code for a refusal of the SAML security layer."""
    if isinstance(exc, AssertionRefused):
        return exc.reason
    prefix = {XmlRefused: "xml", SignatureRefused: "signature",
              DecryptionRefused: "decryption"}.get(type(exc), "saml")
    return f"{prefix}_{exc.reason}"
