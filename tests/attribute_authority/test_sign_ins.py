"""R14: the sign-in trail, searched by RRN and time window (the helpdesk's question)."""
import datetime as dt

import pytest
from support import BART, CHRIS

from attribute_authority import sign_ins
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
    found = sign_ins.search(session, BART, T0, T0 + dt.timedelta(hours=1))
    assert [(e.outcome, e.reason) for e in found] == [("success", "assertion_issued"),
                                                      ("failed", "upstream_authn_failed")]
    brussels = dt.timezone(dt.timedelta(hours=1))
    local = sign_ins.search(session, BART, T0.astimezone(brussels), T0.astimezone(brussels))
    assert [e.reason for e in local] == ["upstream_authn_failed"]


def test_attempt_without_person_is_kept(session):
    event = sign_ins.record(session, Attempt(outcome="refused", reason="xml_doctype", at=T0))
    session.flush()
    assert event.id and event.rrn is None


def test_unknown_outcome_is_a_programming_error(session):
    with pytest.raises(ValueError):
        sign_ins.record(session, Attempt(outcome="maybe", reason="x"))
