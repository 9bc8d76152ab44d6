"""admin ui: bulk upload jobs

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('upload_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('government_id', sa.Integer(), nullable=False),
    sa.Column('actor_rrn', sa.String(length=11), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=True),
    sa.CheckConstraint("status in ('ready','running','done','failed')", name=op.f('ck_upload_job_status')),
    sa.ForeignKeyConstraint(['government_id'], ['government.id'], name=op.f('fk_upload_job_government_id_government')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upload_job'))
    )
    with op.batch_alter_table('upload_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upload_job_government_id'), ['government_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('upload_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upload_job_government_id'))
    op.drop_table('upload_job')
