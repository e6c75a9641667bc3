"""Contact imports run in the background with progress

An import is a row (`contact_imports`) holding its uploaded file until it ends, instead of a file in
instance/imports/ named in the uploader's session. Uploads left there by the old flow are not moved:
delete instance/imports/ after upgrading (they were never mapped, or were already imported).

Revision ID: d08655a3a702
Revises: e3387e0a9f5c
Create Date: 2026-11-25 12:28:01.197291

"""
from alembic import op
import sqlalchemy as sa

from core import timeutils


# revision identifiers, used by Alembic.
revision = 'd08655a3a702'
down_revision = 'e3387e0a9f5c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contact_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('uploaded', 'queued', 'running', 'done', 'failed', name='import_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('filename', sa.String(length=100), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('mapping', sa.JSON(), nullable=True),
    sa.Column('list_id', sa.Integer(), nullable=True),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('runner', sa.String(length=32), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', timeutils.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', timeutils.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', timeutils.UTCDateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', timeutils.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('processed_rows <= total_rows', name=op.f('ck_contact_imports_processed_within_total')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_contact_imports_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['list_id'], ['contact_lists.id'], name=op.f('fk_contact_imports_list_id_contact_lists'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_contact_imports_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_imports'))
    )
    with op.batch_alter_table('contact_imports', schema=None) as batch_op:
        batch_op.create_index('ix_contact_imports_organisation_created', ['organisation_id', 'created_at'], unique=False)
        batch_op.create_index('ix_contact_imports_status', ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('contact_imports', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_imports_status')
        batch_op.drop_index('ix_contact_imports_organisation_created')

    op.drop_table('contact_imports')
