"""Issue 13 point 3: one browser's sign-in attempts share a flow id, so a cancelled attempt
(no RRN: the person was never identified) is linked to the RRN the browser signed in with."""
from support import BART, CHRIS, DINA, actor

from attribute_authority import sign_ins


def test_a_cancelled_attempt_and_the_later_sign_in_share_the_flow(bridge):
    sp = bridge.sp("demo-app")
    browser = bridge.browser()
    browser.upstream_sign_in(sp, BART, outcome="cancel")
    browser.sign_in(sp, BART, "44088")
    other = bridge.browser()
    other.sign_in(sp, CHRIS, "44088")
    events = bridge.events()
    cancelled = next(e for e in events if e.reason == "upstream_authn_failed")
    assert cancelled.rrn is None and cancelled.flow_id
    bart = [e for e in events if e.rrn == BART]
    assert bart and {e.flow_id for e in bart} == {cancelled.flow_id}
    assert all(e.flow_id != cancelled.flow_id for e in events if e.rrn == CHRIS)
    with bridge.db() as s:
        assert sign_ins.flow_rrns(s, [cancelled]) == {cancelled.flow_id: BART}
        window = sign_ins.Window(cancelled.at.replace(tzinfo=sign_ins.timezone.utc),
                                 events[-1].at.replace(tzinfo=sign_ins.timezone.utc)
                                 + sign_ins.timedelta(seconds=1))
        found = sign_ins.search(s, actor(s, DINA), BART, window)
        assert cancelled.id in [e.id for e in found.items]  # found from Bart's RRN too
