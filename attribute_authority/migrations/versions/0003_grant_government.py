"""grant.government_id: a government's grants in end order from one index

The administrators' grant search (R5) filters on a government and pages through its grants
latest end first. With the government only on relation, a large government (Antwerpen: ~15 000
relations, ~120 000 grants at 1M grants) meant joining and sorting all of them per page. The
grant now carries a copy of its relation's government, kept true by a composite foreign key to
relation(id, government_id), and ix_grant_government_end serves filter and order together;
start and revoked_on are in it so the state conditions are checked before reading the table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 07:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A unique index (not a constraint) as the parent key: SQLite accepts it without rebuilding
    # relation, which grant references.
    op.create_index('uq_relation_id_government', 'relation', ['id', 'government_id'], unique=True)
    with op.batch_alter_table('grant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('government_id', sa.Integer(), nullable=True))
    op.execute('UPDATE "grant" SET government_id = '
               '(SELECT relation.government_id FROM relation WHERE relation.id = "grant".relation_id)')
    with op.batch_alter_table('grant', schema=None) as batch_op:
        batch_op.alter_column('government_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('fk_grant_relation_government_relation', 'relation',
                                    ['relation_id', 'government_id'], ['id', 'government_id'])
        batch_op.create_index('ix_grant_government_end',
                              ['government_id', 'end', 'id', 'start', 'revoked_on'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ANALYZE "grant"')


def downgrade() -> None:
    with op.batch_alter_table('grant', schema=None) as batch_op:
        batch_op.drop_index('ix_grant_government_end')
        batch_op.drop_constraint('fk_grant_relation_government_relation', type_='foreignkey')
        batch_op.drop_column('government_id')
    op.drop_index('uq_relation_id_government', table_name='relation')
