"""expiry notices

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 06:51:53.028134
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('government_id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.CheckConstraint("kind in ('holder','digest')", name=op.f('ck_notice_kind')),
    sa.CheckConstraint("status in ('pending','sending','sent','failed')", name=op.f('ck_notice_status')),
    sa.ForeignKeyConstraint(['government_id'], ['government.id'], name=op.f('fk_notice_government_id_government')),
    sa.ForeignKeyConstraint(['grant_id'], ['grant.id'], name=op.f('fk_notice_grant_id_grant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice')),
    sa.UniqueConstraint('key', name=op.f('uq_notice_key'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index('ix_notice_status', ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_status')

    op.drop_table('notice')
