"""An organisation keeps its own campaign templates

Adds `campaign_saved_templates` (name unique per organisation).

Revision ID: d2b8e4f6a1c3
Revises: d1a7c3e5b9f2
Create Date: 2026-12-02 06:10:00
"""
import sqlalchemy as sa
from alembic import op

from core import timeutils

revision = 'd2b8e4f6a1c3'
down_revision = 'd1a7c3e5b9f2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'campaign_saved_templates',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('organisation_id', sa.Integer(), sa.ForeignKey('organisations.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('mjml_source', sa.Text(), nullable=False),
        sa.Column('visual_body', sa.Text(), nullable=True),
        sa.Column('created_at', timeutils.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('organisation_id', 'name'),
    )
    op.create_index('ix_campaign_saved_templates_organisation_id', 'campaign_saved_templates', ['organisation_id'])


def downgrade() -> None:
    op.drop_index('ix_campaign_saved_templates_organisation_id', 'campaign_saved_templates')
    op.drop_table('campaign_saved_templates')
