"""Who a query's NameID names: an RRN, or a pairwise NameID the bridge issued.

The bridge (idp_bridge) may give each target application its own opaque NameID for a person
instead of the RRN. Only the bridge knows that mapping, and the attribute authority must not
import the bridge, so the AA asks through this port and the composition root plugs in the
bridge's implementation. Until it does, `RrnOnly` resolves nothing: a query then names its
person by RRN (format unspecified), and any other NameID is an unknown principal.
"""
from __future__ import annotations

from typing import Protocol

from .. import rrn as rrn_rules
from .names import NAMEID_UNSPECIFIED


class NameIdResolver(Protocol):
    def rrn_for(self, app_code: str, name_id: str) -> str | None:
        """The RRN behind the NameID the bridge issued to `app_code`, or None if unknown."""


class RrnOnly:
    """The default resolver: knows no pairwise NameIDs."""

    def rrn_for(self, app_code: str, name_id: str) -> str | None:
        return None


def subject_rrn(value: str, name_format: str | None, app_code: str,
                resolver: NameIdResolver) -> str | None:
    """An unspecified-format NameID that is a valid RRN or BIS number is the person itself;
    anything else is asked of the resolver (the bridge's pairwise NameIDs)."""
    if name_format in (None, NAMEID_UNSPECIFIED) and _is_rrn(value):
        return value
    found = resolver.rrn_for(app_code, value)
    return found if found is not None and _is_rrn(found) else None


def _is_rrn(value: str) -> bool:
    return len(value) == 11 and value.isascii() and value.isdigit() and rrn_rules.is_valid(value)
