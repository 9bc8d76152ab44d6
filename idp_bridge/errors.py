"""Refusals of the bridge, in the domain's words.

Each carries a stable `reason` (the sign-in trail's reason code, logs, tests) and a Dutch
message that tells the person what to do next. The web layer maps them to a 4xx page or,
when an application is waiting for an answer, to a SAML error status.
"""
from __future__ import annotations

from attribute_authority.saml.errors import (
    AssertionRefused,
    SamlSecurityError,
    SignatureRefused,
    XmlRefused,
)

NEXT_STEP = ("Ga terug naar de toepassing waarmee u wilde werken en meld opnieuw aan. "
             "Blijft het probleem, geef dan de helpdesk het tijdstip en uw rijksregisternummer door.")


class BridgeRefusal(Exception):
    status = 400
    message = "Dit aanmeldbericht kunnen we niet aanvaarden."

    def __init__(self, reason: str, detail: str = "", message: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        if message is not None:
            self.message = message


class UpstreamRefused(BridgeRefusal):
    """The upstream IdP's answer at /sp/acs was not accepted (a security check failed)."""

    message = "Het antwoord van de federale aanmeldingsdienst is geweigerd."


class RequestRefused(BridgeRefusal):
    """An application's AuthnRequest or LogoutRequest was not accepted."""

    message = "De aanvraag van de toepassing is geweigerd."


class SessionMissing(BridgeRefusal):
    status = 403
    message = "U bent niet (meer) aangemeld."


def reason_of(exc: SamlSecurityError) -> str:
    """A trail reason code for a refusal of the SAML security layer."""
    if isinstance(exc, AssertionRefused):
        return exc.reason
    prefix = {XmlRefused: "xml", SignatureRefused: "signature"}.get(type(exc), "saml")
    return f"{prefix}_{exc.reason}"
