"""R7: every change to people, relations, grants, governments and the catalog is recorded with
who, when, what before/after and why, in the same transaction as the change.

The trail is append-only and hash-chained: each row's hash covers its own content, its id and
the previous row's hash, and `audit_head` holds the last one. Appenders lock that row, so ids are
consecutive and a deleted, inserted or edited row anywhere breaks `verify`.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock, metrics
from .models import AuditEvent, AuditHead

GENESIS = "0" * 64


@dataclass(frozen=True)
class Change:
    """What a service wants recorded; `record` turns it into a chained row."""

    action: str
    target_type: str
    target_id: int | None
    person_id: int | None = None
    government_id: int | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str | None = None


def jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def snapshot(obj: Any, *fields: str) -> dict[str, Any]:
    return {f: jsonable(getattr(obj, f)) for f in fields}


def _utc_naive(at: datetime) -> datetime:
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc).replace(tzinfo=None)
    return at


def _digest(event: AuditEvent) -> str:
    payload = {
        "id": event.id,
        "at": _utc_naive(event.at).isoformat(timespec="microseconds"),
        "actor": event.actor_rrn,
        "action": event.action,
        "target": [event.target_type, event.target_id],
        "person": event.person_id,
        "government": event.government_id,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
        "prev": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _head(session: Session) -> AuditHead:
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:
        head = AuditHead(id=1, last_id=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    return head


def record(session: Session, actor_rrn: str | None, *changes: Change) -> list[AuditEvent]:
    """Append changes to the chain inside the caller's transaction."""
    head = _head(session)
    at = clock.now()
    rows = []
    for change in changes:
        event = AuditEvent(
            id=head.last_id + 1, at=at, actor_rrn=actor_rrn, action=change.action,
            target_type=change.target_type, target_id=change.target_id,
            person_id=change.person_id, government_id=change.government_id,
            before=change.before, after=change.after, reason=change.reason,
            prev_hash=head.last_hash,
        )
        event.hash = _digest(event)
        head.last_id, head.last_hash = event.id, event.hash
        rows.append(event)
    session.add_all(rows)
    for change in changes:
        metrics.ADMIN_CHANGES.labels(change.action).inc()
    return rows


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    problem: str | None = None


def verify(session: Session) -> ChainReport:
    """Walk the whole chain; report the first break."""
    prev, expected_id, checked = GENESIS, 1, 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)
                                 .execution_options(yield_per=2000)):
        if event.id != expected_id:
            return ChainReport(False, checked, f"gap or insertion before event {event.id}")
        if event.prev_hash != prev:
            return ChainReport(False, checked, f"event {event.id} does not follow its predecessor")
        if _digest(event) != event.hash:
            return ChainReport(False, checked, f"event {event.id} was altered")
        prev, expected_id, checked = event.hash, expected_id + 1, checked + 1
    head = session.get(AuditHead, 1)
    recorded_head = (head.last_id, head.last_hash) if head else (0, GENESIS)
    if recorded_head != (expected_id - 1, prev):
        return ChainReport(False, checked, "events after the last one were removed")
    return ChainReport(True, checked)
