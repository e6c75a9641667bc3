"""A subject test counts the clicks per variant and says which count decided it

Adds `clicks_a`, `clicks_b` and `decided_by` ('signups' or 'clicks') to `campaign_subject_tests`.

Revision ID: d1a7c3e5b9f2
Revises: d1e5a7c3b9f4
Create Date: 2026-12-02 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'd1a7c3e5b9f2'
down_revision = 'd1e5a7c3b9f4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('campaign_subject_tests') as batch:
        batch.add_column(sa.Column('clicks_a', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('clicks_b', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('decided_by', sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('campaign_subject_tests') as batch:
        batch.drop_column('decided_by')
        batch.drop_column('clicks_b')
        batch.drop_column('clicks_a')
