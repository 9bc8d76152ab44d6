"""rights store

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 06:43:38.342657
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.String(length=10), nullable=False),
    sa.CheckConstraint("capacity in ('employee','citizen','any')", name=op.f('ck_application_capacity')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application')),
    sa.UniqueConstraint('code', name=op.f('uq_application_code'))
    )
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_rrn', sa.String(length=11), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('target_type', sa.String(length=30), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('government_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_government_at', ['government_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_event_person_at', ['person_id', 'at'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rrn', sa.String(length=11), nullable=False),
    sa.Column('surname', sa.String(length=200), nullable=False),
    sa.Column('given_name', sa.String(length=200), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('is_bis', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('aligned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
    sa.UniqueConstraint('rrn', name=op.f('uq_person_rrn'))
    )
    op.create_table('sign_in_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rrn', sa.String(length=11), nullable=True),
    sa.Column('method', sa.String(length=10), nullable=True),
    sa.Column('application', sa.String(length=60), nullable=True),
    sa.Column('capacity', sa.String(length=60), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=60), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_event'))
    )
    with op.batch_alter_table('sign_in_event', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_event_at', ['at'], unique=False)
        batch_op.create_index('ix_sign_in_event_rrn_at', ['rrn', 'at'], unique=False)

    op.create_table('government',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('nis_code', sa.String(length=5), nullable=True),
    sa.Column('kbo_number', sa.String(length=10), nullable=True),
    sa.Column('province_code', sa.String(length=5), nullable=True),
    sa.Column('secretary_person_id', sa.Integer(), nullable=True),
    sa.Column('form_signed_on', sa.Date(), nullable=True),
    sa.Column('terms_accepted_on', sa.Date(), nullable=True),
    sa.Column('acting_secretary', sa.Boolean(), nullable=False),
    sa.Column('council_minutes_ref', sa.String(length=200), nullable=True),
    sa.CheckConstraint("kind in ('municipality','ocmw','province','police','central','other')", name=op.f('ck_government_kind')),
    sa.ForeignKeyConstraint(['secretary_person_id'], ['person.id'], name=op.f('fk_government_secretary_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_government')),
    sa.UniqueConstraint('code', name=op.f('uq_government_code'))
    )
    op.create_table('right',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('max_days', sa.Integer(), nullable=False),
    sa.CheckConstraint('max_days > 0', name=op.f('ck_right_max_days_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_right_application_id_application')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_right')),
    sa.UniqueConstraint('code', name=op.f('uq_right_code'))
    )
    with op.batch_alter_table('right', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_right_application_id'), ['application_id'], unique=False)

    op.create_table('relation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('government_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=10), nullable=False),
    sa.Column('type', sa.String(length=10), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("category in ('employee','external')", name=op.f('ck_relation_category')),
    sa.CheckConstraint("type in ('standard','secretary')", name=op.f('ck_relation_type')),
    sa.ForeignKeyConstraint(['government_id'], ['government.id'], name=op.f('fk_relation_government_id_government')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_relation_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_relation'))
    )
    with op.batch_alter_table('relation', schema=None) as batch_op:
        batch_op.create_index('ix_relation_government_open', ['government_id', 'ended_on'], unique=False)
        batch_op.create_index('ix_relation_person_government', ['person_id', 'government_id'], unique=False)
        batch_op.create_index('uq_relation_open', ['person_id', 'government_id'], unique=True, sqlite_where=sa.text('ended_on IS NULL'), postgresql_where=sa.text('ended_on IS NULL'))

    op.create_table('grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relation_id', sa.Integer(), nullable=False),
    sa.Column('right_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_on', sa.Date(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.CheckConstraint('"end" >= start', name=op.f('ck_grant_period')),
    sa.ForeignKeyConstraint(['relation_id'], ['relation.id'], name=op.f('fk_grant_relation_id_relation')),
    sa.ForeignKeyConstraint(['right_id'], ['right.id'], name=op.f('fk_grant_right_id_right')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant'))
    )
    with op.batch_alter_table('grant', schema=None) as batch_op:
        batch_op.create_index('ix_grant_end', ['end'], unique=False)
        batch_op.create_index('ix_grant_relation_end', ['relation_id', 'end'], unique=False)
        batch_op.create_index('ix_grant_right', ['right_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('grant', schema=None) as batch_op:
        batch_op.drop_index('ix_grant_right')
        batch_op.drop_index('ix_grant_relation_end')
        batch_op.drop_index('ix_grant_end')

    op.drop_table('grant')
    with op.batch_alter_table('relation', schema=None) as batch_op:
        batch_op.drop_index('uq_relation_open', sqlite_where=sa.text('ended_on IS NULL'), postgresql_where=sa.text('ended_on IS NULL'))
        batch_op.drop_index('ix_relation_person_government')
        batch_op.drop_index('ix_relation_government_open')

    op.drop_table('relation')
    with op.batch_alter_table('right', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_right_application_id'))

    op.drop_table('right')
    op.drop_table('government')
    with op.batch_alter_table('sign_in_event', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_event_rrn_at')
        batch_op.drop_index('ix_sign_in_event_at')

    op.drop_table('sign_in_event')
    op.drop_table('person')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_person_at')
        batch_op.drop_index('ix_audit_event_government_at')

    op.drop_table('audit_event')
    op.drop_table('application')
