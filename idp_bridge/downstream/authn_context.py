"""An application's RequestedAuthnContext (SAML core 3.3.2.2.1) in the sign-in core's words,
and the AuthnContextClassRef its assertion names.

The bridge knows two sign-in methods (`core.METHOD_STRENGTH`: the federal token, and the eID
card, which proves more). An application names them by class ref: ours (`SmartcardPKI` for
the eID card, as our assertions say), or the federal service's (the upstream mapping,
`BridgeConfig.authn_contexts`: `citizen:eid`, `citizen:token` and the `Level` refs);
`unspecified` asks nothing. The Comparison (default `exact`) turns the methods named into the
set that will do; the core gets its weakest member, and `exact` when a stronger one would not
do. A request naming no class ref we know (or only an AuthnContextDeclRef), or one that leaves
no method (`better` than the eID card), cannot be met: the profile requires the answer
Responder/NoAuthnContext, never an assertion of something else."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from samlkit.samlxml import SAML, SAMLP

from ..core import METHOD_STRENGTH

SMARTCARD_PKI = "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI"
UNSPECIFIED = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"
# What an assertion names when the application asked for no class ref of the method used.
CLASS_REF = {"eid": SMARTCARD_PKI, "token": UNSPECIFIED}
COMPARISONS = ("exact", "minimum", "maximum", "better")
_MAX_REFS = 20  # a request naming more is junk, not a choice


class Unsatisfiable(Exception):
    """No sign-in method meets the RequestedAuthnContext (the detail says why)."""


@dataclass(frozen=True)
class AskedContext:
    method: str | None  # the weakest method that will do; None: any
    exact: bool  # only `method`, not a stronger one
    refs: tuple[str, ...]  # the class refs asked for, in the application's order


ANY = AskedContext(None, False, ())


def known_refs(upstream: Mapping[str, str]) -> dict[str, str]:
    """Class ref -> method: ours and the upstream's (BridgeConfig.authn_contexts)."""
    return {SMARTCARD_PKI: "eid", **upstream}


def asked(root: etree._Element, known: Mapping[str, str]) -> AskedContext:
    """What the AuthnRequest `root` asks of the sign-in; `Unsatisfiable` if nothing does."""
    requested = root.find(f"{{{SAMLP}}}RequestedAuthnContext")
    if requested is None:
        return ANY
    refs = tuple((ref.text or "").strip() for ref in requested.iterfind(f"{{{SAML}}}AuthnContextClassRef"))
    if not refs:
        raise Unsatisfiable("only AuthnContextDeclRef asked; the bridge names class refs")
    if len(refs) > _MAX_REFS:
        raise Unsatisfiable(f"{len(refs)} AuthnContextClassRefs asked")
    comparison = (requested.get("Comparison") or "exact").strip()
    if comparison not in COMPARISONS:
        raise Unsatisfiable(f"Comparison {comparison[:40]!r}")
    if UNSPECIFIED in refs:
        return AskedContext(None, False, refs)
    named = {known[ref] for ref in refs if ref in known}
    if not named:
        raise Unsatisfiable("no AuthnContextClassRef the bridge knows: "
                            + ", ".join(ref[:80] for ref in refs[:3]))
    weakest = min(METHOD_STRENGTH[m] for m in named)
    strongest = max(METHOD_STRENGTH[m] for m in named)
    will_do = {
        "exact": named,
        "minimum": {m for m, s in METHOD_STRENGTH.items() if s >= weakest},
        "better": {m for m, s in METHOD_STRENGTH.items() if s > weakest},
        "maximum": {m for m, s in METHOD_STRENGTH.items() if s <= strongest},
    }[comparison]
    if not will_do:
        raise Unsatisfiable(f"nothing is {comparison} than {', '.join(sorted(named))}")
    if will_do == set(METHOD_STRENGTH):
        return AskedContext(None, False, refs)
    method = min(will_do, key=METHOD_STRENGTH.__getitem__)
    at_least = {m for m, s in METHOD_STRENGTH.items() if s >= METHOD_STRENGTH[method]}
    return AskedContext(method, will_do != at_least, refs)  # exact: a stronger one would not do


def class_ref(method: str, refs: Sequence[str], known: Mapping[str, str]) -> str:
    """The class ref the assertion names for a sign-in with `method`: the first the
    application asked for that means it (an exact match is then exact), else ours."""
    return next((ref for ref in refs if known.get(ref) == method), CLASS_REF[method])
