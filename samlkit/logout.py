"""Single-logout messages (SAML core 3.7), written in one place for every party of the service:
the bridge towards its applications and the upstream IdP, dev_eid, and the service providers
that sign in through the bridge (the admin UI).

One builder, so the NameID is copied the same way everywhere: a peer matches a LogoutRequest on
the whole NameID as it issued it, Format and qualifiers included.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from lxml import etree

from .errors import LogoutRefused
from .replay import OneTimeStore
from .samlxml import LOGOUT_USER, SAML, STATUS, SUCCESS, el, instant, new_id, parse_instant, status

__all__ = ["PARTIAL_LOGOUT", "REQUEST_VALIDITY", "NameId", "check_delivery", "logout_request",
           "logout_response", "name_id_of", "use_once"]

PARTIAL_LOGOUT = STATUS + "PartialLogout"
REQUEST_VALIDITY = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class NameId:
    """A saml:NameID exactly as issued."""

    value: str
    format: str | None = None
    name_qualifier: str | None = None
    sp_name_qualifier: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> NameId:
        return cls(**data)  # type: ignore[arg-type]


def name_id_of(parent: etree._Element) -> NameId | None:
    """The saml:NameID child of `parent` (a Subject or a LogoutRequest), None if it has none."""
    node = parent.find(f"{{{SAML}}}NameID")
    if node is None or not (node.text or "").strip():
        return None
    return NameId((node.text or "").strip(), node.get("Format"), node.get("NameQualifier"),
                  node.get("SPNameQualifier"))


def logout_request(*, issuer: str, destination: str, name_id: NameId,
                   session_index: str | None, now: dt.datetime,
                   validity: dt.timedelta = REQUEST_VALIDITY) -> etree._Element:
    """A LogoutRequest (Reason user), valid for `validity`; sign it on its binding."""
    root = el(None, "samlp:LogoutRequest", ID=new_id(), Version="2.0", IssueInstant=instant(now),
              Destination=destination, Reason=LOGOUT_USER, NotOnOrAfter=instant(now + validity))
    el(root, "saml:Issuer", issuer)
    el(root, "saml:NameID", name_id.value, Format=name_id.format,
       NameQualifier=name_id.name_qualifier, SPNameQualifier=name_id.sp_name_qualifier)
    if session_index:
        el(root, "samlp:SessionIndex", session_index)
    return root


def logout_response(*, issuer: str, destination: str, in_response_to: str | None,
                    now: dt.datetime, partial: bool = False) -> etree._Element:
    """A LogoutResponse: Success, with the PartialLogout second-level code when not every
    session of the principal could be ended."""
    root = el(None, "samlp:LogoutResponse", ID=new_id(), Version="2.0", IssueInstant=instant(now),
              Destination=destination, InResponseTo=in_response_to)
    el(root, "saml:Issuer", issuer)
    status(root, SUCCESS, PARTIAL_LOGOUT if partial else None)
    return root


REPLAY_TTL = 3600  # longer than any message is accepted (REQUEST_VALIDITY plus skew)


def check_delivery(root: etree._Element, *, destination: str | None, now: dt.datetime,
                   skew: dt.timedelta) -> None:
    """What a signature-verified logout message must also be: addressed to `destination` (our
    SLO endpoint; a signed Redirect message must name it), issued within REQUEST_VALIDITY and
    not past its own NotOnOrAfter. Raises `LogoutRefused`."""
    if destination is None or root.get("Destination") != destination:
        raise LogoutRefused("wrong_destination", f"Destination {root.get('Destination')!r}")
    issued = parse_instant(root.get("IssueInstant"))
    if issued is None or now >= issued + REQUEST_VALIDITY + skew:
        raise LogoutRefused("expired", f"IssueInstant {root.get('IssueInstant')!r}")
    if issued > now + skew:
        raise LogoutRefused("not_yet_valid", f"IssueInstant {root.get('IssueInstant')!r}")
    not_on_or_after = root.get("NotOnOrAfter")
    if not_on_or_after is not None:
        moment = parse_instant(not_on_or_after)
        if moment is None or now >= moment + skew:
            raise LogoutRefused("expired", f"NotOnOrAfter {not_on_or_after}")


def use_once(replay: OneTimeStore, prefix: str, root: etree._Element) -> None:
    """Accept the message's ID once (per `prefix`: receiver, kind and sender)."""
    message_id = root.get("ID")
    if not message_id:
        raise LogoutRefused("no_id", "message without an ID")
    if not replay.first_use(prefix + message_id, REPLAY_TTL):
        raise LogoutRefused("replayed", f"message {message_id} was used before")
