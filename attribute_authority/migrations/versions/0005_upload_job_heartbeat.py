"""admin ui: upload job heartbeat and run token (resume of interrupted jobs); bulk grant
selections kept server-side (paged candidate list)

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('upload_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('run_token', sa.String(length=32), nullable=True))
    op.execute("UPDATE upload_job SET updated_at = created_at")
    op.create_table('bulk_selection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('government_id', sa.Integer(), nullable=False),
    sa.Column('actor_rrn', sa.String(length=11), nullable=False),
    sa.Column('right_code', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=10), nullable=True),
    sa.Column('type', sa.String(length=10), nullable=True),
    sa.Column('all_matching', sa.Boolean(), nullable=False),
    sa.Column('relation_ids', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['government_id'], ['government.id'], name=op.f('fk_bulk_selection_government_id_government')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_selection'))
    )
    with op.batch_alter_table('bulk_selection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulk_selection_government_id'), ['government_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bulk_selection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulk_selection_government_id'))
    op.drop_table('bulk_selection')
    with op.batch_alter_table('upload_job', schema=None) as batch_op:
        batch_op.drop_column('run_token')
        batch_op.drop_column('updated_at')
