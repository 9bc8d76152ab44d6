"""grant_period: the days each grant is in force, so that an extension keeps the earlier period

Before this, an extension overwrote the grant's start and end, and a search on a past
reference date read the new start: Bart's right, active on 15-11-2026, showed as pending on
that day once it had been extended (issue 13, point 2). Each grant now has its periods; the
migration rebuilds them from the audit trail (grant.added, then every grant.extended with the
Brussels day it was made on), applying the rule of grants.follow_with: days before an
extension keep their period. A grant without an audit record gets its own start/end.

Revision ID: 0007
Revises: 0005
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None

_BRUSSELS = ZoneInfo("Europe/Brussels")


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _brussels_day(at) -> date:
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(_BRUSSELS).date()


def periods_from(start: date, end: date, extensions: list[tuple[date, date, date]]
                 ) -> list[tuple[date, date]]:
    """The periods of a grant first made for `start`..`end` and then extended, each extension
    (made on day, new start, new end) in order. Same rule as grants.follow_with."""
    periods = [(start, end)]
    for on, new_start, new_end in extensions:
        cut = on - timedelta(days=1)
        periods = [(s, min(e, cut)) for s, e in periods if s <= cut]
        periods.append((max(new_start, on), new_end))
    return periods


def upgrade() -> None:
    op.create_table(
        'grant_period',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('grant_id', sa.Integer(), nullable=False),
        sa.Column('start', sa.Date(), nullable=False),
        sa.Column('end', sa.Date(), nullable=False),
        sa.CheckConstraint('"end" >= start', name=op.f('ck_grant_period_period')),
        sa.ForeignKeyConstraint(['grant_id'], ['grant.id'],
                                name=op.f('fk_grant_period_grant_id_grant')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_period')),
    )
    op.create_index('ix_grant_period_grant_start', 'grant_period', ['grant_id', 'start', 'end'])

    bind = op.get_bind()
    meta = sa.MetaData()
    grant = sa.Table('grant', meta, sa.Column('id', sa.Integer), sa.Column('start', sa.Date),
                     sa.Column('end', sa.Date))
    audit = sa.Table('audit_event', meta, sa.Column('id', sa.Integer),
                     sa.Column('at', sa.DateTime(timezone=True)), sa.Column('action', sa.String),
                     sa.Column('target_type', sa.String), sa.Column('target_id', sa.Integer),
                     sa.Column('before', sa.JSON), sa.Column('after', sa.JSON))
    period = sa.Table('grant_period', meta, sa.Column('grant_id', sa.Integer),
                      sa.Column('start', sa.Date), sa.Column('end', sa.Date))

    history: dict[int, list] = {}
    rows = bind.execute(
        sa.select(audit.c.target_id, audit.c.action, audit.c.at, audit.c.before, audit.c.after)
        .where(audit.c.target_type == 'grant',
               audit.c.action.in_(('grant.added', 'grant.extended')))
        .order_by(audit.c.id))
    for grant_id, action, at, before, after in rows:
        history.setdefault(grant_id, []).append((action, at, before or {}, after or {}))

    batch: list[dict] = []
    for grant_id, start, end in bind.execute(sa.select(grant.c.id, grant.c.start, grant.c.end)):
        events = history.get(grant_id, [])
        extensions = [(_brussels_day(at), _day(after['start']), _day(after['end']))
                      for action, at, _before, after in events
                      if action == 'grant.extended' and 'start' in after and 'end' in after]
        added = next((after for action, _at, _b, after in events if action == 'grant.added'
                      and 'start' in after), None)
        if extensions:
            first = next(b for a, _at, b, _af in events if a == 'grant.extended')
            origin = added or first
            found = periods_from(_day(origin['start']), _day(origin['end']), extensions)
        else:
            found = [(start, end)]
        for s, e in found:
            batch.append({'grant_id': grant_id, 'start': s, 'end': e})
        if len(batch) >= 5000:
            bind.execute(sa.insert(period), batch)
            batch = []
    if batch:
        bind.execute(sa.insert(period), batch)
    if bind.dialect.name == 'postgresql':
        op.execute('ANALYZE grant_period')


def downgrade() -> None:
    op.drop_index('ix_grant_period_grant_start', table_name='grant_period')
    op.drop_table('grant_period')
