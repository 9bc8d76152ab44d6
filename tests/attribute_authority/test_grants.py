"""R4–R7: granting, extending, revoking."""
from datetime import timedelta

import pytest
from support import AN, BART, CHRIS, GEERT, MERELBEKE, actor, counts

from attribute_authority import grants, rights_query, states
from attribute_authority.errors import (
    EndBeforeStart,
    GrantNotChangeable,
    GrantTooLong,
    NoOpenRelation,
)
from attribute_authority.models import AuditEvent


def add(session, today, right="demo-app-admin", rrn=BART, **kw):
    return grants.add(session, actor(session, AN), rrn, MERELBEKE, right, on=today, **kw)


def test_end_defaults_to_start_plus_maximum(session, today):
    g = add(session, today)
    assert (g.start, g.end) == (today, today + timedelta(days=90))


def test_end_at_exactly_start_plus_max_is_allowed(session, today):
    start = today + timedelta(days=3)
    g = add(session, today, start=start, end=start + timedelta(days=90))
    assert g.end - g.start == timedelta(days=90)


def test_one_day_more_than_the_maximum_is_refused(session, today):
    before = counts(session)
    with pytest.raises(GrantTooLong) as refused:
        add(session, today, end=today + timedelta(days=91))
    assert refused.value.params["max_end"] == (today + timedelta(days=90)).isoformat()
    assert counts(session) == before


def test_end_may_be_earlier(session, today):
    assert add(session, today, end=today + timedelta(days=10)).end == today + timedelta(days=10)


def test_end_before_start_is_refused(session, today):
    with pytest.raises(EndBeforeStart):
        add(session, today, start=today + timedelta(days=5), end=today + timedelta(days=4))


def test_start_in_the_past_is_refused(session, today):
    with pytest.raises(grants.StartInPast):
        add(session, today, start=today - timedelta(days=1))


def test_future_start_is_pending_until_that_day(session, today):
    start = today + timedelta(days=7)
    g = add(session, today, start=start)
    assert states.state_of(g, today) == "pending"
    assert states.state_of(g, start) == "active"
    assert rights_query.active_rights(session, BART, "demo-app", today) == ["demo-app-reader@44088"]
    assert "demo-app-admin@44088" in rights_query.active_rights(session, BART, "demo-app", start)


def test_a_grant_needs_an_open_relation(session, today):
    with pytest.raises(NoOpenRelation):
        grants.add(session, actor(session, AN), GEERT, MERELBEKE, "demo-app-reader", on=today)


def test_overlapping_grant_of_same_right_is_refused(session, today):
    with pytest.raises(grants.GrantOverlaps):
        add(session, today, right="demo-app-reader")


def test_grant_is_audited_with_actor_and_reason(session, today):
    g = add(session, today, reason="nieuwe taak")
    event = session.query(AuditEvent).order_by(AuditEvent.id.desc()).first()
    assert (event.action, event.target_id, event.actor_rrn, event.reason) == \
        ("grant.added", g.id, AN, "nieuwe taak")
    assert event.after["right"] == "demo-app-admin"


def test_revoke_takes_effect_at_once_and_keeps_the_grant(session, today):
    g = add(session, today)
    grants.revoke(session, actor(session, AN), g.id, "taak beëindigd", on=today)
    assert states.state_of(g, today) == "revoked"
    assert g.revoke_reason == "taak beëindigd"
    assert "demo-app-admin@44088" not in rights_query.active_rights(session, BART, "demo-app", today)
    assert session.get(type(g), g.id) is not None


def test_revoked_yesterday_versus_today(session, today):
    yesterday = today - timedelta(days=1)
    g = add(session, today - timedelta(days=5))
    h = add(session, today - timedelta(days=5), rrn=CHRIS, right="demo-app-reader")
    grants.revoke(session, actor(session, AN), g.id, on=today)
    grants.revoke(session, actor(session, AN), h.id, on=yesterday)
    assert states.state_of(g, yesterday) == "active"
    assert states.state_of(g, today) == "revoked"
    assert states.state_of(h, yesterday) == "revoked"
    flt = grants.GrantFilter(government=MERELBEKE, state="active")
    assert g.id in {x.id for x in grants.search(session, grants.authz.EVERYTHING, flt, on=yesterday)}
    assert g.id not in {x.id for x in grants.search(session, grants.authz.EVERYTHING, flt, on=today)}


def test_revoking_twice_or_an_expired_grant_is_refused(session, today):
    g = add(session, today)
    grants.revoke(session, actor(session, AN), g.id, on=today)
    with pytest.raises(GrantNotChangeable):
        grants.revoke(session, actor(session, AN), g.id, on=today)
    expired = add(session, today - timedelta(days=20), rrn=CHRIS, right="demo-app-reader",
                  end=today - timedelta(days=10))
    with pytest.raises(GrantNotChangeable):
        grants.revoke(session, actor(session, AN), expired.id, on=today)


def test_extend_sets_new_period_within_maximum(session, today):
    g = add(session, today, end=today + timedelta(days=10))
    plan = grants.extend(session, actor(session, AN), g.id, today, today + timedelta(days=90),
                         "verlengd", on=today)
    assert (g.start, g.end, plan.pending) == (today, today + timedelta(days=90), False)


def test_extend_too_long_is_refused_and_start_today_fixes_it(session, today):
    g = add(session, today, start=today, end=today + timedelta(days=30))
    later = today + timedelta(days=20)
    with pytest.raises(GrantTooLong):
        grants.extend(session, actor(session, AN), g.id, g.start, later + timedelta(days=90),
                      on=later)
    plan = grants.extend(session, actor(session, AN), g.id, later, later + timedelta(days=90),
                         on=later)
    assert plan.start == later


def test_extend_with_future_start_warns_pending(session, today):
    g = add(session, today)
    start = today + timedelta(days=30)
    plan = grants.plan_extension(session, actor(session, AN), g.id, start, start + timedelta(days=60),
                                 on=today)
    assert plan.pending and g.start == today  # planning changes nothing
    grants.extend(session, actor(session, AN), g.id, start, start + timedelta(days=60), on=today)
    assert states.state_of(g, today) == "pending"


def test_revoked_grant_cannot_be_extended(session, today):
    g = add(session, today)
    grants.revoke(session, actor(session, AN), g.id, on=today)
    with pytest.raises(GrantNotChangeable):
        grants.extend(session, actor(session, AN), g.id, today, today + timedelta(days=5), on=today)


def test_search_by_reference_date_and_state(session, today):
    pending = add(session, today, start=today + timedelta(days=10))
    scope = grants.authz.EVERYTHING

    def ids(state, on):
        return {g.id for g in grants.search(session, scope, grants.GrantFilter(
            government=MERELBEKE, state=state), on=on)}

    assert pending.id in ids("pending", today)
    assert pending.id not in ids("active", today)
    assert pending.id in ids("active", today + timedelta(days=10))
    assert pending.id in ids("expired", pending.end + timedelta(days=1))
