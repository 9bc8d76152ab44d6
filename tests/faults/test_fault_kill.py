"""A worker killed (SIGKILL) in the middle of a bulk grant or a notice run: nothing
half-written, nothing sent twice."""
import os
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from support import AN, free_port

from attribute_authority import audit, authz, demo, notices, people, relations, rrn
from attribute_authority.db import make_engine, session_factory, unit_of_work
from attribute_authority.mail import SmtpMailer
from attribute_authority.models import AuditEvent, Grant, Notice, Right
from attribute_authority.national_register import FileRegister

BULK_CHILD = textwrap.dedent('''
    import sys, time
    from attribute_authority import authz, bulk, people, relations, rrn
    from attribute_authority.db import make_engine, session_factory, unit_of_work
    from attribute_authority.national_register import FileRegister
    from datetime import date
    factory = session_factory(make_engine(sys.argv[1]))
    with unit_of_work(factory) as s:
        an = authz.actor_for(s, "85073003328")
        ids = [c.relation.id for c in bulk.candidates(s, an, "44088", "demo-app-admin")
               if not c.holds_already]
        bulk.grant_many(s, an, "44088", "demo-app-admin", ids, reason="bulk")
        s.flush()
        print("WRITTEN", len(ids), flush=True)
        time.sleep(60)  # killed here, inside the transaction
''')


@pytest.fixture
def seeded(fresh_url):
    register = FileRegister()  # a register of its own: the 300 staff stay out of other tests
    engine = make_engine(fresh_url)
    factory = session_factory(engine)
    with unit_of_work(factory) as s:
        demo.seed(s, register)
        an = authz.actor_for(s, AN)
        for i in range(300):
            number = rrn.make(date(1970, 1, 1) + timedelta(days=i), 101)
            register.add({"rrn": number, "surname": f"Medewerker{i}", "given_name": "Test"})
            people.add(s, an, register, number)
            relations.add(s, an, number, "44088", category="employee", type="standard",
                          email=f"m{i}@merelbeke-melle.be")
    yield fresh_url, factory
    engine.dispose()


def counts(factory):
    with factory() as s:
        return (s.scalar(select(func.count()).select_from(Grant)),
                s.scalar(select(func.count()).select_from(AuditEvent)))


def test_bulk_grant_killed_mid_transaction_leaves_nothing(seeded):
    url, factory = seeded
    before = counts(factory)
    child = subprocess.Popen([sys.executable, "-c", BULK_CHILD, url], stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    line = child.stdout.readline()
    assert line.startswith("WRITTEN") and int(line.split()[1]) >= 300
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert counts(factory) == before
    with factory() as s:
        assert audit.verify(s).ok


class SlowInbox:
    """Accepts the first message, then stalls on the next: the moment to kill the sender."""

    def __init__(self):
        self.received = []
        self.first = threading.Event()
        self.second = threading.Event()  # the sender is inside its second send

    async def handle_DATA(self, server, session, envelope):
        if self.received:
            import asyncio
            self.second.set()
            await asyncio.sleep(30)
        self.received.append(envelope.rcpt_tos[0])
        self.first.set()
        return "250 OK"


NOTICE_CHILD = textwrap.dedent('''
    import sys
    from datetime import date
    from attribute_authority import notices
    from attribute_authority.db import make_engine, session_factory
    from attribute_authority.mail import SmtpMailer
    notices.run(session_factory(make_engine(sys.argv[1])), SmtpMailer(sys.argv[2], timeout=60),
                date.fromisoformat(sys.argv[3]))
''')


def test_notice_run_killed_mid_send_never_sends_twice(seeded):
    from aiosmtpd.controller import Controller

    url, factory = seeded
    with factory() as s:
        end = s.scalar(select(Grant.end).join(Right).where(Right.code == "demo-app-admin"))
    day = end - timedelta(days=14)
    inbox = SlowInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        child = subprocess.Popen([sys.executable, "-c", NOTICE_CHILD, url, f"smtp://127.0.0.1:{port}",
                                  day.isoformat()], env={**os.environ, "PYTHONPATH": os.getcwd()})
        assert inbox.first.wait(30)
        assert inbox.second.wait(30)  # the child is now inside its second send
        child.send_signal(signal.SIGKILL)
        child.wait()
    finally:
        controller.stop()
    first_batch = list(inbox.received)
    with factory() as s:
        statuses = sorted(s.scalars(select(Notice.status)))
    assert statuses == ["sending", "sent"]

    later = Inbox()
    port = free_port()
    controller = Controller(later, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        report = notices.run(factory, SmtpMailer(f"smtp://127.0.0.1:{port}"), day + timedelta(days=1))
    finally:
        controller.stop()
    assert report.sent == 0 and len(report.uncertain) == 1
    assert not set(later.received) & set(first_batch)


class Inbox:
    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope.rcpt_tos[0])
        return "250 OK"
