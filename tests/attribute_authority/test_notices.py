"""R11: expiry notices, once, to the holder and a digest to the local administrators."""
import email
from datetime import timedelta

import pytest
from sqlalchemy import select
from support.mail import smtp_server

from attribute_authority import demo, notices
from attribute_authority.db import make_engine, session_factory, unit_of_work
from attribute_authority.mail import OutboxMailer, SmtpMailer
from attribute_authority.models import Grant, Notice, Right


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture
def factory(fresh_url, register):
    engine = make_engine(fresh_url)
    f = session_factory(engine)
    with unit_of_work(f) as s:
        demo.seed(s, register)
    yield f
    engine.dispose()


def admin_grant_end(factory):
    """Chris's demo-app-admin (90 days) ends first of the demo grants."""
    with factory() as s:
        return s.scalar(select(Grant.end).join(Right).where(Right.code == "demo-app-admin"))


def test_holder_and_digest_once_over_real_smtp(factory, smtp):
    inbox, url = smtp
    end = admin_grant_end(factory)
    day = end - timedelta(days=14)
    assert notices.run(factory, SmtpMailer(url), day - timedelta(days=1)).sent == 0
    report = notices.run(factory, SmtpMailer(url), day)
    assert (report.recorded, report.sent, report.failed) == (2, 2, 0)
    to = {m["To"]: m for m in inbox.messages}
    holder = to["chris.maes@ict-maes.be"]
    assert "Merelbeke-Melle" in holder["Subject"] and end.strftime("%d-%m-%Y") in holder["Subject"]
    text = holder.get_payload(decode=True).decode()
    assert "demo-app-admin" in text and "An Peeters" in text  # names the local administrators
    assert "Chris Maes" in to["an.peeters@merelbeke-melle.be"].get_payload(decode=True).decode()
    # Re-running, the same day or later, sends nothing again.
    for again in (day, day + timedelta(days=1), end):
        assert notices.run(factory, SmtpMailer(url), again).sent == 0
    assert len(inbox.messages) == 2


def test_failed_send_is_retried_next_run(factory, smtp):
    inbox, url = smtp
    day = admin_grant_end(factory) - timedelta(days=14)
    broken = SmtpMailer("smtp://127.0.0.1:1")
    report = notices.run(factory, broken, day)
    assert (report.sent, report.failed) == (0, 2)
    report = notices.run(factory, SmtpMailer(url), day + timedelta(days=1))
    assert (report.recorded, report.sent) == (0, 2) and len(inbox.messages) == 2


def test_notice_left_sending_by_a_dead_run_is_not_resent(factory, tmp_path):
    day = admin_grant_end(factory) - timedelta(days=14)
    with factory() as s, s.begin():
        notices.record_due(s, day)
        first = s.scalars(select(Notice).order_by(Notice.id)).first()
        first.status = "sending"  # as a run killed between its two commits leaves it
    outbox = OutboxMailer(tmp_path / "outbox")
    report = notices.run(factory, outbox, day)
    assert report.uncertain == [first.id] and report.sent == 1
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_local_admin_gets_notice_for_own_admin_right(factory, tmp_path):
    with factory() as s:
        end = s.scalar(select(Grant.end).join(Right).where(Right.code == "idbeheer-local-admin"))
    outbox = tmp_path / "outbox"
    notices.run(factory, OutboxMailer(outbox), end - timedelta(days=3))
    mails = [email.message_from_bytes(p.read_bytes()) for p in outbox.glob("*.eml")]
    to_an = [m["Subject"] for m in mails if m["To"] == "an.peeters@merelbeke-melle.be"]
    assert any("Lokale beheerder" in subject for subject in to_an)
