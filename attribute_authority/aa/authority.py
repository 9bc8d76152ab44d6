"""One AttributeQuery in, one answer out: the attribute authority without HTTP.

Work is done in the order of DESIGN.md's contract and of cost: bounded parse, SOAP shape,
issuer, signature, freshness, replay, subject; then one database statement
(`rights_query.answer`: catalog row, person, active rights of the querying application, now —
R8, nothing cached) and one or two RSA signatures. Every refusal leaves one log line with a
stable reason code and the issuer if known, never a personal number.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from lxml import etree
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

from samlkit import xmlsig
from samlkit.errors import XmlRefused
from samlkit.replay import OneTimeStore, StoreUnavailable
from samlkit.spmetadata import SpRegistry
from samlkit.xmlparse import parse_xml

from .. import clock, metrics, rights_query
from ..db import is_disconnect
from . import response, soap
from .keys import AaKeys
from .nameids import NameIdResolver, RrnOnly, subject_rrn
from .names import REQUESTER, UNKNOWN_PRINCIPAL
from .query import QueryReader, QueryRefused, VerifiedQuery, Verify

log = logging.getLogger("attribute_authority.aa")

MAX_QUERY_BYTES = 64 * 1024  # a signed query with an EncryptedID is under 8 KiB
MAX_SKEW = timedelta(minutes=3)
VALIDITY = timedelta(minutes=5)
# What a store outage looks like from here: answered 503 with a SOAP Fault, retried by the
# client; the read itself reconnects once the database is back (see `_read`).
UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, StoreUnavailable)


@dataclass(frozen=True)
class Answer:
    http_status: int
    body: bytes
    outcome: str  # success | unknown_principal | refused | fault | unavailable


class AttributeAuthority:
    """The AA. Build one per process: keys are parsed once, the SP registry caches metadata.
    `db` is the engine of its one read (`db.query_engine`).

    `verify` and `sign` are the in-process `saml.xmlsig` functions; they are parameters only so
    that the benchmark can compare another signing backend.
    """

    def __init__(self, db: Engine, keys: AaKeys, registry: SpRegistry,
                 store: OneTimeStore, *, entity_id: str, soap_url: str,
                 resolver: NameIdResolver | None = None, max_skew: timedelta = MAX_SKEW,
                 validity: timedelta = VALIDITY, max_bytes: int = MAX_QUERY_BYTES,
                 sign_response: bool = True, now: Callable[[], datetime] = clock.now,
                 verify: Verify = xmlsig.verify, sign: response.Sign = xmlsig.sign) -> None:
        if validity > VALIDITY:
            raise ValueError("an answer is valid for at most 5 minutes (DESIGN.md)")
        self.entity_id, self.max_bytes = entity_id, max_bytes
        self._db, self._keys, self._resolver = db, keys, resolver or RrnOnly()
        self._reader = QueryReader(registry, keys, store, soap_url=soap_url, max_skew=max_skew,
                                   verify=verify)
        self._validity, self._sign_response = validity, sign_response
        self._now, self._sign = now, sign

    def now(self) -> datetime:
        return self._now()

    def answer(self, body: bytes) -> Answer:
        """The answer to one request body; counted by outcome and timed (/metrics)."""
        started = time.perf_counter()
        result = self._answer_body(body)
        metrics.AA_LATENCY.observe(time.perf_counter() - started)
        return _counted(result)

    def _answer_body(self, body: bytes) -> Answer:
        now = self._now()
        try:
            root = parse_xml(body, self.max_bytes)
            query = soap.attribute_query(root)
        except XmlRefused as exc:
            if exc.reason == "too_large":
                return self._fault(soap.SoapFault("too_large", exc.message), 413)
            return self._fault(soap.SoapFault(f"xml_{exc.reason}", exc.message), 400)
        except soap.SoapFault as exc:
            return self._fault(exc, 400)
        try:
            verified = self._reader.read(root, query, now)
            return self._answer(verified, now)
        except QueryRefused as refusal:
            return self._refused(refusal, now)
        except UNAVAILABLE as exc:
            log.error("aa unavailable: %s", type(exc).__name__,
                      extra={"event": "aa.unavailable", "reason": type(exc).__name__})
            return Answer(503, soap.fault(soap.SoapFault(
                "unavailable", "the attribute authority is temporarily unavailable; "
                "try again later", "Server")), "unavailable")

    def _answer(self, query: VerifiedQuery, now: datetime) -> Answer:
        app = query.sp.app_code
        rrn = subject_rrn(query.name_id, query.name_format, app, self._resolver)
        found = self._read(rrn or "", app, clock.local_day(now),
                           list(query.governments) if query.governments else None)
        if not found.application_known:
            raise QueryRefused("not_in_catalog", "the application is not in the rights catalog",
                               issuer=query.sp.entity_id, query_id=query.query_id, verified=True)
        if rrn is None or not found.person_known:
            _log_unknown(query)
            return self._envelope(response.status(
                REQUESTER, UNKNOWN_PRINCIPAL, "the subject is not known", issuer=self.entity_id,
                now=now, in_response_to=query.query_id, signer=self._keys.signer,
                sign=self._sign), "unknown_principal")
        log.debug("aa answered app=%s values=%d", app, len(found.rights))
        return self._envelope(response.success(
            query, found.rights, issuer=self.entity_id, now=now, validity=self._validity,
            signer=self._keys.signer, sign=self._sign, sign_response=self._sign_response),
            "success")

    def _read(self, rrn: str, app: str, day: date, governments: list[str] | None
              ) -> rights_query.QueryAnswer:
        """The one statement, on a connection of its own; retried once on a connection the
        database dropped (restart, failover), so the first query after an outage is answered
        instead of paying a ping on every query."""
        try:
            with self._db.connect() as conn:
                return rights_query.answer(conn, rrn, app, day, governments)
        except sa_exc.DBAPIError as exc:
            if not is_disconnect(exc):
                raise
        with self._db.connect() as conn:
            return rights_query.answer(conn, rrn, app, day, governments)

    def _refused(self, refusal: QueryRefused, now: datetime) -> Answer:
        log.warning("aa query refused reason=%s status=%s issuer=%s",
                    refusal.reason, _short(refusal.sub_status or refusal.status),
                    _printable(refusal.issuer),
                    extra={"event": "aa.query_refused", "reason": refusal.reason,
                           "issuer": refusal.issuer, "verified": refusal.verified})
        return self._envelope(response.status(
            refusal.status, refusal.sub_status, f"{refusal.reason}: {refusal.message}",
            issuer=self.entity_id, now=now, in_response_to=refusal.query_id), "refused")

    def fault(self, fault: soap.SoapFault, http_status: int) -> Answer:
        """A SOAP Fault for a request the web layer refuses (too large, not HTTPS); counted."""
        return _counted(self._fault(fault, http_status))

    def _fault(self, fault: soap.SoapFault, http_status: int) -> Answer:
        """A SOAP Fault for a request refused before any SAML was read; logged like every
        refusal."""
        log.warning("aa query refused reason=%s status=soap-fault http=%d", fault.reason,
                    http_status, extra={"event": "aa.query_refused", "reason": fault.reason,
                                        "issuer": None})
        return Answer(http_status, soap.fault(fault), "fault")

    @staticmethod
    def _envelope(message: etree._Element, outcome: str) -> Answer:
        return Answer(200, soap.envelope(message), outcome)


def _counted(answer: Answer) -> Answer:
    metrics.AA_QUERIES.labels(answer.outcome).inc()
    return answer


def _log_unknown(query: VerifiedQuery) -> None:
    log.info("aa unknown principal issuer=%s", query.sp.entity_id,
             extra={"event": "aa.unknown_principal", "issuer": query.sp.entity_id})


def _short(status: str) -> str:
    return status.rsplit(":", 1)[-1]


def _printable(value: str | None) -> str:
    """An unverified issuer, safe for a log line: quoted, control characters escaped, cut."""
    return "-" if value is None else repr(value[:200])
