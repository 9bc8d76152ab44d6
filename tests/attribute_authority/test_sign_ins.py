"""R14: the sign-in trail, searched by RRN and time window (the helpdesk's question)."""
import datetime as dt

import pytest
from sqlalchemy import delete, select
from support import BART, CHRIS, DINA, actor

from attribute_authority import sign_ins
from attribute_authority.models import SignInEvent
from attribute_authority.sign_ins import Attempt

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def test_search_finds_attempts_of_one_person_in_the_window_newest_first(session):
    for minutes, rrn, outcome, reason in [(0, BART, "failed", "upstream_authn_failed"),
                                          (5, BART, "success", "assertion_issued"),
                                          (6, CHRIS, "success", "assertion_issued"),
                                          (90, BART, "refused", "capacity_mismatch")]:
        sign_ins.record(session, Attempt(outcome=outcome, reason=reason, rrn=rrn, method="eid",
                                         application="demo-app", at=T0 + dt.timedelta(minutes=minutes)))
    session.flush()
    helpdesk = actor(session, DINA)
    found = sign_ins.search(session, helpdesk, BART, sign_ins.Window(T0, T0 + dt.timedelta(hours=1)))
    assert [(e.outcome, e.reason) for e in found.items] == [("success", "assertion_issued"),
                                                            ("failed", "upstream_authn_failed")]
    brussels = dt.timezone(dt.timedelta(hours=1))
    local = sign_ins.search(session, helpdesk, BART, sign_ins.Window(
        T0.astimezone(brussels), T0.astimezone(brussels) + dt.timedelta(minutes=1)))
    assert [e.reason for e in local.items] == ["upstream_authn_failed"]


@pytest.mark.parametrize("code,words", [
    ("assertion_issued", "de toepassing kreeg"), ("signature_wrapping", "ondertekend"),
    ("xml_doctype", "XML"), ("upstream_requester", "federale"), ("zzz", "Onbekende reden")])
def test_reason_codes_read_as_plain_words(code, words):
    assert words in sign_ins.reason_text(code, "nl")
    assert sign_ins.reason_text(code, "en") != sign_ins.reason_text(code, "nl")


def test_attempt_without_person_is_kept(session):
    session.execute(delete(SignInEvent))  # sign-ins of earlier tests (rolled back with the rest)
    sign_ins.record(session, Attempt(outcome="refused", reason="xml_doctype", at=T0))
    (event,) = session.scalars(select(SignInEvent).where(SignInEvent.reason == "xml_doctype"))
    assert event.id and event.rrn is None and event.at.replace(tzinfo=dt.UTC) == T0


def test_unknown_outcome_is_a_programming_error(session):
    with pytest.raises(ValueError):
        sign_ins.record(session, Attempt(outcome="maybe", reason="x"))
