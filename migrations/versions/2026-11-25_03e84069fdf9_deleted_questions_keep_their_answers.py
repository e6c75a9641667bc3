"""Deleted questions keep their answers

Revision ID: 03e84069fdf9
Revises: 87db8bc07682
Create Date: 2026-11-25 09:39:47.940160

"""
from alembic import op
import sqlalchemy as sa

from core import timeutils


# revision identifiers, used by Alembic.
revision = '03e84069fdf9'
down_revision = '87db8bc07682'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', timeutils.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
