"""The verified AttributeQuery: every check between the bytes of a query and the question it
asks, in the order that keeps an unauthenticated sender from costing us anything but one
signature verification.

1. The Issuer (read before verification, only to choose whose keys to trust) must be a
   registered application.
2. The query's own signature must verify against that application's signing keys
   (`saml.xmlsig.verify`: SHA-256 or stronger, no wrapping). From then on only the element it
   returned is read.
3. Version 2.0, an IssueInstant within the allowed skew, our endpoint as Destination if any.
4. Its ID is used once (replay), remembered as long as the IssueInstant would be accepted.
5. One Subject with a NameID, or an EncryptedID (AES-GCM only) that our encryption key opens;
   every EncryptedID failure gets the one same answer.
6. Optional `…:government` Attributes limit the scope.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509
from lxml import etree

from samlkit.encryption import decrypt_encrypted_id
from samlkit.errors import DecryptionRefused, SamlSecurityError, SignatureRefused
from samlkit.replay import OneTimeStore
from samlkit.spmetadata import SpMetadata, SpRegistry

from .keys import AaKeys
from .names import (
    ATTR_GOVERNMENT,
    REQUEST_DENIED,
    REQUESTER,
    SAML,
    UNKNOWN_PRINCIPAL,
    VERSION_MISMATCH,
)

Verify = Callable[[etree._Element, etree._Element, Sequence[x509.Certificate]], etree._Element]

_ISSUER = f"{{{SAML}}}Issuer"
_SUBJECT = f"{{{SAML}}}Subject"
_NAME_ID = f"{{{SAML}}}NameID"
_ENCRYPTED_ID = f"{{{SAML}}}EncryptedID"
_CONFIRMATION = f"{{{SAML}}}SubjectConfirmation"
_ATTRIBUTE = f"{{{SAML}}}Attribute"
_ATTRIBUTE_VALUE = f"{{{SAML}}}AttributeValue"
_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,255}")
_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)?")
_MAYBE_NEW_KEY = {"untrusted_key", "bad_signature"}
ENCRYPTED_ID_REFUSED = (
    "the EncryptedID cannot be used: encrypt the NameID with AES-GCM and RSA-OAEP to the"
    " encryption key in our metadata"
)
_MAX_GOVERNMENTS = 400  # more than all governments of Flanders; bounds the IN list


class QueryRefused(Exception):
    """A query that gets a SAML error status. `status`/`sub_status` go into the answer,
    `reason` into the log; `issuer` and `query_id` are what is known of the sender (taken
    before verification for early refusals: only echoed and logged, never trusted)."""

    def __init__(self, reason: str, message: str, *, status: str = REQUESTER,
                 sub_status: str | None = REQUEST_DENIED, issuer: str | None = None,
                 query_id: str | None = None, verified: bool = False) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason, self.message = reason, message
        self.status, self.sub_status = status, sub_status
        self.issuer, self.query_id, self.verified = issuer, query_id, verified


@dataclass(frozen=True)
class VerifiedQuery:
    """What a signed, fresh, first-seen query asks, read from its verified element only."""

    query_id: str
    sp: SpMetadata
    issue_instant: datetime
    subject_id: etree._Element  # the saml:NameID or saml:EncryptedID as received, to echo
    name_id: str                # the NameID's value (decrypted when it came encrypted)
    name_format: str | None
    governments: tuple[str, ...] | None


class QueryReader:
    def __init__(self, registry: SpRegistry, keys: AaKeys, store: OneTimeStore, *,
                 soap_url: str, max_skew: timedelta, verify: Verify) -> None:
        self._registry, self._keys, self._store = registry, keys, store
        self._soap_url, self._skew, self._verify = soap_url, max_skew, verify
        self._replay_ttl = int(2 * max_skew.total_seconds()) + 5

    def read(self, root: etree._Element, query: etree._Element, now: datetime) -> VerifiedQuery:
        issuer = _text(query.find(_ISSUER))
        claimed_id = query.get("ID")
        echo_id = claimed_id if claimed_id and _NCNAME.fullmatch(claimed_id) else None

        def refuse(reason: str, message: str, **kwargs) -> QueryRefused:
            return QueryRefused(reason, message, issuer=issuer, query_id=echo_id, **kwargs)

        if not issuer:
            raise refuse("no_issuer", "the query names no Issuer")
        # A just registered application is served at once: the registry compares its version
        # on an unknown issuer (one indexed read; a reload only when it moved).
        sp = self._registry.by_entity_id(issuer)
        if sp is None:
            raise refuse("unknown_issuer", "the Issuer is not a registered application")
        try:
            sp = self._registry.valid(sp, now)
        except SamlSecurityError as exc:
            raise refuse(exc.reason, exc.message) from None
        try:
            query = self._verify(root, query, sp.signing_certs)
        except SignatureRefused as exc:
            if exc.reason in _MAYBE_NEW_KEY and self._registry.renewed(sp) is not None:
                return self.read(root, query, now)
            raise refuse(f"signature_{exc.reason}", exc.message) from None

        if query.get("Version") != "2.0":
            raise refuse("bad_version", "only SAML 2.0 queries are answered",
                         status=VERSION_MISMATCH, sub_status=None)
        if echo_id is None:
            raise refuse("bad_id", "the query ID is not an xs:ID of at most 256 characters")
        instant = _instant(query.get("IssueInstant"))
        if instant is None:
            raise refuse("bad_instant", "IssueInstant is not an xs:dateTime")
        if abs(now - instant) > self._skew:
            raise refuse("stale", f"IssueInstant is more than {self._skew} from our clock")
        destination = query.get("Destination")
        if destination is not None and destination != self._soap_url:
            raise refuse("wrong_destination", f"Destination is not {self._soap_url}")
        if not self._store.first_use(f"aa:query:{sp.app_code}:{echo_id}", self._replay_ttl):
            raise refuse("replayed", "this query ID was answered before")

        subject_id = _subject_identifier(query, refuse)
        name_id = subject_id
        if subject_id.tag == _ENCRYPTED_ID:
            name_id = self._decrypt(subject_id, refuse)
        value = (name_id.text or "").strip()
        if not value or len(name_id):
            raise refuse("bad_subject", "the NameID is empty", sub_status=None)
        return VerifiedQuery(
            query_id=echo_id, sp=sp, issue_instant=instant, subject_id=subject_id,
            name_id=value, name_format=name_id.get("Format"),
            governments=_scope(query, refuse),
        )

    def _decrypt(self, encrypted_id: etree._Element, refuse) -> etree._Element:
        """The NameID inside an EncryptedID, or one refusal for every way it can fail.

        The query's signature is the sending application's own, so it proves nothing about a
        ciphertext that application tampered with: which step failed (cipher, key transport,
        tag, plaintext) must not show, or the answer becomes a decryption oracle.
        """
        try:
            return decrypt_encrypted_id(encrypted_id, self._keys.encryption)
        except DecryptionRefused:
            raise refuse("encrypted_id_refused", ENCRYPTED_ID_REFUSED,
                         sub_status=UNKNOWN_PRINCIPAL) from None


def _subject_identifier(query: etree._Element, refuse) -> etree._Element:
    subjects = query.findall(_SUBJECT)
    if len(subjects) != 1:
        raise refuse("bad_subject", "the query needs exactly one Subject", sub_status=None)
    ids = [c for c in subjects[0] if c.tag != _CONFIRMATION]
    if len(ids) != 1 or ids[0].tag not in (_NAME_ID, _ENCRYPTED_ID):
        raise refuse("bad_subject", "the Subject needs one NameID or EncryptedID", sub_status=None)
    return ids[0]


def _scope(query: etree._Element, refuse) -> tuple[str, ...] | None:
    """The governments a `…:government` Attribute limits the answer to; None without one.

    An Attribute without AttributeValues asks for no limit (SAML core 3.3.2.3: all values).
    An empty AttributeValue is refused rather than skipped: the query meant to narrow the
    answer, and dropping the value would widen it to every government."""
    values: list[str] = []
    for attribute in query.findall(_ATTRIBUTE):
        if attribute.get("Name") != ATTR_GOVERNMENT:
            continue  # asking for the right attribute, or any other, changes nothing
        texts = [_text(n) for n in attribute.findall(_ATTRIBUTE_VALUE)]
        if not all(texts):
            raise refuse("bad_scope", "an empty government value")
        values += texts
    if len(values) > _MAX_GOVERNMENTS:
        raise refuse("bad_scope", "too many government values")
    return tuple(dict.fromkeys(values)) or None


def _instant(value: str | None) -> datetime | None:
    if not value or not _DATETIME.fullmatch(value):
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)


def _text(node: etree._Element | None) -> str:
    return (node.text or "").strip() if node is not None else ""
