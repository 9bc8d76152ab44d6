"""Writes the sign-in trail (R14) in a unit of work of its own, so a refusal that rolls
nothing else back still leaves its row."""
from __future__ import annotations

import datetime as dt
import logging
import secrets

import flask
from sqlalchemy.orm import Session, sessionmaker

from attribute_authority import metrics, sign_ins
from attribute_authority.db import unit_of_work

from .person import SignedInPerson

log = logging.getLogger(__name__)


class Trail:
    def __init__(self, db: sessionmaker[Session], clock) -> None:
        self._db = db
        self._clock = clock

    def write(self, outcome: str, reason: str, *, person: SignedInPerson | None = None,
              rrn: str | None = None, application: str | None = None, detail: str | None = None,
              at: dt.datetime | None = None) -> None:
        capacity = person.capacity.code if person and person.capacity else None
        attempt = sign_ins.Attempt(
            outcome=outcome, reason=reason, rrn=person.rrn if person else rrn,
            method=person.method if person else None, application=application,
            capacity=capacity, detail=detail, at=at or self._clock(), flow_id=browser_flow())
        # No personal number in the log, not even part of it: the trail row has it.
        log.info("sign-in %s %s app=%s %s", outcome, reason, application, detail or "")
        metrics.SIGN_INS.labels(outcome, reason).inc()
        with unit_of_work(self._db) as session:
            sign_ins.record(session, attempt)


FLOW_COOKIE = "idb_flow"


def browser_flow() -> str | None:
    """A random id for this browser, kept in a cookie of its own (the session is renewed on
    every sign-in, the flow is not): it links an attempt that failed before the person was
    identified to the RRN the same browser signed in with later (issue 13 point 3). Not
    personal data: it says nothing but "the same browser"."""
    if not flask.has_request_context():
        return None
    flow = flask.request.cookies.get(FLOW_COOKIE, "")
    if len(flow) == 32 and flow.isalnum():
        return flow
    flow = flask.g.get("idb_flow") or secrets.token_hex(16)
    if not flask.g.get("idb_flow"):
        flask.g.idb_flow = flow

        @flask.after_this_request
        def _remember(response):
            response.set_cookie(FLOW_COOKIE, flow, httponly=True, samesite="Lax",
                                secure=flask.request.is_secure, path="/")
            return response
    return flow
