"""registry: SP metadata in the database (application_metadata) and its version counter

The database becomes the SP registry's source of truth, so a registration is served on the
very next request by every worker and node (issue 11 point 2); metadata/sp/*.xml files are
imported at start and on change by the running server, not by this migration (it does not
know the metadata folder).

Revision ID: 0010
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('application_metadata',
    sa.Column('app_code', sa.String(length=60), nullable=False),
    sa.Column('entity_id', sa.String(length=1024), nullable=False),
    sa.Column('xml', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('app_code', name=op.f('pk_application_metadata')),
    sa.UniqueConstraint('entity_id', name=op.f('uq_application_metadata_entity_id'))
    )
    version = op.create_table('registry_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_version'))
    )
    op.bulk_insert(version, [{'id': 1, 'version': 0}])


def downgrade() -> None:
    op.drop_table('registry_version')
    op.drop_table('application_metadata')
