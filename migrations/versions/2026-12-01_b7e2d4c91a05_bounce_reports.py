"""Bounces and complaints that come back are kept as reports; a campaign says why it paused itself

Adds `bounce_reports` (one row per bounce or complaint for an outbox row, unique by the report's
fingerprint) and `campaigns.paused_reason`.

Revision ID: b7e2d4c91a05
Revises: e7f1c2a9b4d6
Create Date: 2026-12-01 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'b7e2d4c91a05'
down_revision = 'e7f1c2a9b4d6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'bounce_reports',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('fingerprint', sa.String(64), nullable=False, unique=True),
        sa.Column('message_id', sa.Integer(), sa.ForeignKey('outgoing_messages.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('organisation_id', sa.Integer(), sa.ForeignKey('organisations.id', ondelete='CASCADE'),
                  nullable=True),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.Enum('hard', 'soft', 'complaint', name='bounce_kind', native_enum=False,
                                  create_constraint=True, length=9), nullable=False),
        sa.Column('status_code', sa.String(20), nullable=True),
        sa.Column('diagnostic', sa.String(1000), nullable=True),
        sa.Column('recipient', sa.String(254), nullable=True),
        sa.Column('source', sa.String(20), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    )
    for column in ('message_id', 'organisation_id', 'campaign_id', 'contact_id'):
        op.create_index(f'ix_bounce_reports_{column}', 'bounce_reports', [column])
    with op.batch_alter_table('campaigns') as batch:
        batch.add_column(sa.Column('paused_reason', sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('campaigns') as batch:
        batch.drop_column('paused_reason')
    op.drop_table('bounce_reports')
