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

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from . import clock, delegation, metrics
from .mail import Mailer, compose
from .models import AccessRequest, Government, Grant, Notice, Relation
from .states import active_on

NOTICE_DAYS = 14


@dataclass
class RunReport:
    recorded: int = 0
    sent: int = 0
    failed: int = 0
    uncertain: list[int] = field(default_factory=list)


def _admins_line(admins) -> str:
    return ", ".join(p.full_name for p in admins) or "geen (neem contact op met de helpdesk)"


def _holder_text(grant: Grant, admins, account_url: str | None = None) -> tuple[str, str]:
    rel = grant.relation
    ask = (f"Vraag de verlenging hier aan: {account_url}/request?app={grant.right.application.code}"
           f"&right={grant.right.code}&government={rel.government.code}\n"
           f"of neem contact op met een lokale beheerder" if account_url
           else "Vraag dan tijdig een verlenging aan een lokale beheerder")
    subject = f"Uw recht {grant.right.name} bij {rel.government.name} loopt af op {grant.end:%d-%m-%Y}"
    body = (
        f"Beste {rel.person.full_name},\n\n"
        f"Uw recht '{grant.right.name}' ({grant.right.code}) voor de toepassing "
        f"'{grant.right.application.name}' bij {rel.government.name} loopt af op "
        f"{grant.end:%d-%m-%Y}.\n\n"
        f"Heeft u het daarna nog nodig? {ask} "
        f"van {rel.government.name}: {_admins_line(admins)}.\n\n"
        f"Dit is een automatisch bericht van Gebruikersbeheer lokale besturen.\n"
    )
    return subject, body


def _digest_text(government: Government, items: list[Grant], on: date,
                 open_requests: int = 0) -> tuple[str, str]:
    lines = "\n".join(
        f"- {g.relation.person.full_name} ({g.relation.person.rrn}): {g.right.name} "
        f"({g.right.code}), loopt af op {g.end:%d-%m-%Y}" for g in items)
    subject = f"{len(items)} recht(en) bij {government.name} lopen binnen twee weken af"
    body = (f"Beste lokale beheerder,\n\nDeze rechten bij {government.name} lopen binnen "
            f"{NOTICE_DAYS} dagen af (overzicht van {on:%d-%m-%Y}):\n\n{lines}\n\n"
            f"Verleng ze in Gebruikersbeheer lokale besturen als ze nog nodig zijn.\n"
            + _requests_line(open_requests))
    return subject, body


def _requests_line(count: int) -> str:
    if not count:
        return ""
    waiting = "wacht 1 aanvraag" if count == 1 else f"wachten {count} aanvragen"
    return f"\nOnder Aanvragen {waiting} op uw beslissing.\n"


def record_due(session: Session, on: date, account_url: str | None = None) -> int:
    """Record the notices owed on `on`; returns how many are new. account_url (BASE/account)
    puts the "request extension" link of R15 in the holder's notice."""
    due = session.scalars(
        select(Grant).join(Relation, Relation.id == Grant.relation_id)
        .where(Grant.end >= on, Grant.end <= on + timedelta(days=NOTICE_DAYS),
               active_on(on), Relation.ended_on.is_(None))
        .order_by(Relation.government_id, Grant.end)).all()
    keys = [f"holder:{g.id}:{g.end.isoformat()}" for g in due]
    known = set(session.scalars(select(Notice.key).where(Notice.key.in_(keys)))) if keys else set()
    fresh: dict[int, list[Grant]] = {}
    added = 0
    for grant, key in zip(due, keys, strict=True):
        if key in known:
            continue
        admins = delegation.active_local_admins(session, grant.relation.government_id, on)
        subject, body = _holder_text(grant, admins, account_url)
        session.add(Notice(kind="holder", key=key, government_id=grant.relation.government_id,
                           grant_id=grant.id, recipient=grant.relation.email, subject=subject,
                           body=body, created_on=on, status="pending", attempts=0))
        fresh.setdefault(grant.relation.government_id, []).append(grant)
        added += 1
    waiting = _open_requests(session, list(fresh))
    for government_id, items in fresh.items():
        government = session.get_one(Government, government_id)
        subject, body = _digest_text(government, items, on, waiting.get(government_id, 0))
        for admin in delegation.active_local_admins(session, government_id, on):
            address = _admin_address(session, admin.id, government_id)
            key = f"digest:{government_id}:{admin.id}:{on.isoformat()}"
            if address and session.scalar(select(Notice.id).where(Notice.key == key)) is None:
                session.add(Notice(kind="digest", key=key, government_id=government_id,
                                   recipient=address, subject=subject, body=body, created_on=on,
                                   status="pending", attempts=0))
                added += 1
    return added


def _open_requests(session: Session, government_ids: list[int]) -> dict[int, int]:
    """Open access requests per government (R15), named in the digest."""
    if not government_ids:
        return {}
    rows = session.execute(select(AccessRequest.government_id, func.count())
                           .where(AccessRequest.status == "open",
                                  AccessRequest.government_id.in_(government_ids))
                           .group_by(AccessRequest.government_id))
    return {gid: n for gid, n in rows}


def _admin_address(session: Session, person_id: int, government_id: int) -> str | None:
    return session.scalar(select(Relation.email).where(
        Relation.person_id == person_id, Relation.government_id == government_id,
        Relation.ended_on.is_(None)))


def queue(session: Session, kind: str, key: str, government_id: int, recipient: str,
          subject: str, body: str, on: date, grant_id: int | None = None) -> bool:
    """Record one mail for `deliver`, in the caller's transaction; False when a notice with
    this key already exists (so no job ever owes the same mail twice)."""
    if session.scalar(select(Notice.id).where(Notice.key == key)) is not None:
        return False
    session.add(Notice(kind=kind, key=key, government_id=government_id, grant_id=grant_id,
                       recipient=recipient, subject=subject, body=body, created_on=on,
                       status="pending", attempts=0))
    return True


def run(factory: sessionmaker[Session], mailer: Mailer, on: date | None = None,
        account_url: str | None = None) -> RunReport:
    on = on or clock.today()
    with factory() as session, session.begin():
        recorded = record_due(session, on, account_url)
    report = deliver(factory, mailer)
    report.recorded = recorded
    return report


def deliver(factory: sessionmaker[Session], mailer: Mailer) -> RunReport:
    """Send every recorded notice that is pending or failed, one transaction around each send."""
    report = RunReport()
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
