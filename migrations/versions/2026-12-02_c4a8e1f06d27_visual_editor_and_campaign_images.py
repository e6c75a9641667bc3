"""The visual campaign editor: a campaign's content sections, and the images officers upload

Adds `campaigns.visual_body` (the sections the visual editor made; the layout is added by the
server) and `campaign_images` (per organisation, the bytes in the row).

Revision ID: c4a8e1f06d27
Revises: b7e2d4c91a05
Create Date: 2026-12-02 01:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c4a8e1f06d27'
down_revision = 'c5a8e1f3d7b2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('campaigns') as batch:
        batch.add_column(sa.Column('visual_body', sa.Text(), nullable=True))
    op.create_table(
        'campaign_images',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('organisation_id', sa.Integer(), sa.ForeignKey('organisations.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('token', sa.String(32), nullable=False, unique=True),
        sa.Column('filename', sa.String(200), nullable=False),
        sa.Column('content_type', sa.String(50), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='SET NULL'), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('size > 0', name='image_not_empty'),
    )
    op.create_index('ix_campaign_images_organisation_created', 'campaign_images', ['organisation_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_campaign_images_organisation_created', table_name='campaign_images')
    op.drop_table('campaign_images')
    with op.batch_alter_table('campaigns') as batch:
        batch.drop_column('visual_body')
