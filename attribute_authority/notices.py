"""R11: two weeks before a grant ends its holder is e-mailed once, at the relation's address,
and each government's local administrators get one digest.

A run first records every notice it owes, with its full text, in one transaction (a notice's
unique key makes a second run owe nothing new). It then sends them one by one, committing
'sending' before and 'sent' after each send: a failed send becomes 'failed' and is retried by
the next run; a run killed between the two commits leaves 'sending', which is reported and
never sent again, so nobody ever gets the same notice twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from . import clock, delegation, metrics
from .mail import Mailer, compose
from .models import Government, Grant, Notice, Relation
from .states import not_revoked

NOTICE_DAYS = 14


@dataclass
class RunReport:
    recorded: int = 0
    sent: int = 0
    failed: int = 0
    uncertain: list[int] = field(default_factory=list)


def _admins_line(admins) -> str:
    return ", ".join(p.full_name for p in admins) or "geen (neem contact op met de helpdesk)"


def _holder_text(grant: Grant, admins) -> tuple[str, str]:
    rel = grant.relation
    subject = f"Uw recht {grant.right.name} bij {rel.government.name} loopt af op {grant.end:%d-%m-%Y}"
    body = (
        f"Beste {rel.person.full_name},\n\n"
        f"Uw recht '{grant.right.name}' ({grant.right.code}) voor de toepassing "
        f"'{grant.right.application.name}' bij {rel.government.name} loopt af op "
        f"{grant.end:%d-%m-%Y}.\n\n"
        f"Heeft u het daarna nog nodig? Vraag dan tijdig een verlenging aan een lokale beheerder "
        f"van {rel.government.name}: {_admins_line(admins)}.\n\n"
        f"Dit is een automatisch bericht van Gebruikersbeheer lokale besturen.\n"
    )
    return subject, body


def _digest_text(government: Government, items: list[Grant], on: date) -> tuple[str, str]:
    lines = "\n".join(
        f"- {g.relation.person.full_name} ({g.relation.person.rrn}): {g.right.name} "
        f"({g.right.code}), loopt af op {g.end:%d-%m-%Y}" for g in items)
    subject = f"{len(items)} recht(en) bij {government.name} lopen binnen twee weken af"
    body = (f"Beste lokale beheerder,\n\nDeze rechten bij {government.name} lopen binnen "
            f"{NOTICE_DAYS} dagen af (overzicht van {on:%d-%m-%Y}):\n\n{lines}\n\n"
            f"Verleng ze in Gebruikersbeheer lokale besturen als ze nog nodig zijn.\n")
    return subject, body


def record_due(session: Session, on: date) -> int:
    """Record the notices owed on `on`; returns how many are new."""
    due = session.scalars(
        select(Grant).join(Relation, Relation.id == Grant.relation_id)
        .where(Grant.end >= on, Grant.end <= on + timedelta(days=NOTICE_DAYS), Grant.start <= on,
               not_revoked(on), Relation.ended_on.is_(None))
        .order_by(Relation.government_id, Grant.end)).all()
    keys = [f"holder:{g.id}:{g.end.isoformat()}" for g in due]
    known = set(session.scalars(select(Notice.key).where(Notice.key.in_(keys)))) if keys else set()
    fresh: dict[int, list[Grant]] = {}
    added = 0
    for grant, key in zip(due, keys, strict=True):
        if key in known:
            continue
        admins = delegation.active_local_admins(session, grant.relation.government_id, on)
        subject, body = _holder_text(grant, admins)
        session.add(Notice(kind="holder", key=key, government_id=grant.relation.government_id,
                           grant_id=grant.id, recipient=grant.relation.email, subject=subject,
                           body=body, created_on=on, status="pending", attempts=0))
        fresh.setdefault(grant.relation.government_id, []).append(grant)
        added += 1
    for government_id, items in fresh.items():
        government = session.get(Government, government_id)
        subject, body = _digest_text(government, items, on)
        for admin in delegation.active_local_admins(session, government_id, on):
            address = _admin_address(session, admin.id, government_id)
            key = f"digest:{government_id}:{admin.id}:{on.isoformat()}"
            if address and session.scalar(select(Notice.id).where(Notice.key == key)) is None:
                session.add(Notice(kind="digest", key=key, government_id=government_id,
                                   recipient=address, subject=subject, body=body, created_on=on,
                                   status="pending", attempts=0))
                added += 1
    return added


def _admin_address(session: Session, person_id: int, government_id: int) -> str | None:
    return session.scalar(select(Relation.email).where(
        Relation.person_id == person_id, Relation.government_id == government_id,
        Relation.ended_on.is_(None)))


def run(factory: sessionmaker[Session], mailer: Mailer, on: date | None = None) -> RunReport:
    on = on or clock.today()
    report = RunReport()
    with factory() as session, session.begin():
        report.recorded = record_due(session, on)
    with factory() as session:
        report.uncertain = list(session.scalars(select(Notice.id).where(Notice.status == "sending")))
        todo = list(session.scalars(select(Notice.id).where(Notice.status.in_(("pending", "failed")))
                                    .order_by(Notice.id)))
    for notice_id in todo:
        with factory() as session, session.begin():
            notice = session.get(Notice, notice_id, with_for_update=True)
            if notice is None or notice.status not in ("pending", "failed"):
                continue  # another run took it
            notice.status, notice.attempts = "sending", notice.attempts + 1
            message = compose(notice.recipient, notice.subject, notice.body)
        try:
            mailer.send(message)
        except Exception as exc:  # any delivery failure: keep it for the next run
            with factory() as session, session.begin():
                notice = session.get_one(Notice, notice_id)
                notice.status, notice.last_error = "failed", f"{type(exc).__name__}: {exc}"[:300]
            report.failed += 1
            metrics.NOTICES.labels("failed").inc()
            continue
        with factory() as session, session.begin():
            notice = session.get_one(Notice, notice_id)
            notice.status, notice.sent_at = "sent", clock.now()
        report.sent += 1
        metrics.NOTICES.labels("sent").inc()
    return report
