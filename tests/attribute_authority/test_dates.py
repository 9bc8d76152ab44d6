"""R4/R5/R6 date rules as properties: the period check and the grant states, in Python and SQL."""
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from attribute_authority import grants, states
from attribute_authority.errors import EndBeforeStart, GrantTooLong
from attribute_authority.models import Grant, GrantPeriod, Right

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@given(days, st.integers(min_value=-400, max_value=800), st.integers(min_value=1, max_value=730))
def test_period_is_accepted_exactly_up_to_start_plus_max(start, length, max_days):
    right = Right(code="x-r", name="r", max_days=max_days)
    end = start + timedelta(days=length)
    try:
        grants.check_period(right, start, end)
        accepted = True
    except (GrantTooLong, EndBeforeStart):
        accepted = False
    assert accepted == (0 <= length <= max_days)


@given(start=days, length=st.integers(min_value=0, max_value=400),
       revoked=st.one_of(st.none(), days), on=days)
def test_state_of_precedence(start, length, revoked, on):
    g = Grant(start=start, end=start + timedelta(days=length), revoked_on=revoked)
    state = states.state_of(g, on)
    if revoked is not None and revoked <= on:
        assert state == "revoked"
    elif start > on:
        assert state == "pending"
    elif on <= g.end:
        assert state == "active"
    else:
        assert state == "expired"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(on=st.dates(min_value=date(2026, 1, 1), max_value=date(2029, 1, 1)))
def test_sql_states_agree_with_python_states(session, on):
    """Every demo grant plus a spread of crafted ones: the SQL filter picks exactly the
    grants whose Python state matches, for each state."""
    relation_id, right_id = session.execute(select(Grant.relation_id, Grant.right_id)).first()
    base = date(2027, 1, 1)
    for i in range(0, 60, 3):
        start, end = base + timedelta(days=i * 7), base + timedelta(days=i * 11)
        # Every third one was extended: a gap, then its latest period (R5 reads them all).
        periods = ([GrantPeriod(start=start - timedelta(days=40), end=start - timedelta(days=20))]
                   if i % 3 == 0 else [])
        session.add(Grant(relation_id=relation_id, right_id=right_id, start=start, end=end,
                          revoked_on=base + timedelta(days=i * 9) if i % 2 else None,
                          created_at=base, periods=[*periods, GrantPeriod(start=start, end=end)]))
    session.flush()
    everything = session.scalars(select(Grant)).all()
    for state in states.STATES:
        in_sql = set(session.scalars(select(Grant.id).where(states.state_condition(state, on))))
        in_py = {g.id for g in everything if states.state_of(g, on) == state}
        assert in_sql == in_py, state
    session.rollback()


# -- the accepted range of days (issue 10: 9999-12-31 and 0001-01-01 were OverflowErrors) -----

from attribute_authority import dates, sign_ins  # noqa: E402
from attribute_authority.errors import DateOutOfRange, InvalidDate  # noqa: E402


@given(st.dates())
def test_every_day_is_accepted_or_refused_with_a_domain_error(day):
    right = Right(code="x-r", name="r", max_days=3660)
    try:
        period = grants.plan_new(right, day, None, date(2026, 1, 1))
    except DateOutOfRange:  # the start, or the end it implies, is out of the range
        assert not dates.EARLIEST <= day <= dates.LATEST - timedelta(days=3660)
    except grants.StartInPast:
        assert day < date(2026, 1, 1)
    else:
        assert period.end == day + timedelta(days=3660)


def test_grant_rules_refuse_the_ends_of_the_calendar():
    right = Right(code="x-r", name="r", max_days=365)
    for day in (date(9999, 12, 31), date(1, 1, 1)):
        for period in ((day, None), (date(2026, 1, 2), day)):
            try:
                grants.plan_new(right, *period, date(2026, 1, 1))
            except DateOutOfRange as refusal:
                assert refusal.params["day"] == day.isoformat()
            else:
                raise AssertionError(f"{period} accepted")
    try:
        sign_ins.window_of_days(date(2026, 1, 1), date(9999, 12, 31))
        raise AssertionError("window accepted")
    except DateOutOfRange:
        pass


def test_parse_reads_iso_days_in_the_range_only():
    assert dates.parse(" 2026-12-03 ") == date(2026, 12, 3)
    for text, refusal in (("9999-12-31", DateOutOfRange), ("0001-01-01", DateOutOfRange),
                          ("morgen", InvalidDate), ("2026-02-30", InvalidDate), ("\x00", InvalidDate)):
        try:
            dates.parse(text)
            raise AssertionError(text)
        except refusal:
            pass
