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

from .samlxml import LOGOUT_USER, SAML, STATUS, SUCCESS, el, instant, new_id, status

__all__ = ["PARTIAL_LOGOUT", "REQUEST_VALIDITY", "NameId", "logout_request", "logout_response",
           "name_id_of"]

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
