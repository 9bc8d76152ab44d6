"""The protocol-neutral record where the upstream and downstream sides meet.

The upstream SP side turns a verified eID assertion into a `SignedInPerson`; the capacity rule
adds a `Capacity`; the downstream IdP side turns the record into an assertion for one
application. Neither side sees the other's SAML; the session stores this record as plain data.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace
from typing import Any

from .i18n import gettext as _

CITIZEN = "citizen"
EMPLOYEE = "employee"
METHODS = ("eid", "token")


@dataclass(frozen=True)
class Capacity:
    """`citizen`, or `employee` of one government (R13)."""

    kind: str
    government: str | None = None
    government_name: str | None = None

    @classmethod
    def citizen(cls) -> Capacity:
        return cls(CITIZEN)

    @property
    def code(self) -> str:
        """The capacity form's value: `citizen` or the government code."""
        return self.government if self.kind == EMPLOYEE and self.government else CITIZEN

    def label(self) -> str:
        """For the bridge's pages, in the request's language (Dutch outside a request)."""
        if self.kind == CITIZEN:
            return _("burger")
        return _("medewerker van %(government)s", government=self.government_name or self.government)


@dataclass(frozen=True)
class SignedInPerson:
    rrn: str
    surname: str
    given_name: str
    method: str  # "eid" or "token"
    authn_instant: dt.datetime
    mail: str | None = None
    language: str | None = None
    capacity: Capacity | None = None

    @property
    def capacity_label(self) -> str:
        return self.capacity.label() if self.capacity else _("nog zonder hoedanigheid")

    def with_capacity(self, capacity: Capacity | None) -> SignedInPerson:
        return replace(self, capacity=capacity)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["authn_instant"] = self.authn_instant.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignedInPerson:
        data = dict(data)
        data["authn_instant"] = dt.datetime.fromisoformat(data["authn_instant"])
        capacity = data.pop("capacity", None)
        return cls(**data, capacity=Capacity(**capacity) if capacity else None)
