"""Organisations list the sites that may embed their agenda; a campaign can be published in the archive

Adds `organisations.embed_origins` (JSON list of https origins, the embed pages' frame-ancestors) and
`campaigns.public_archive` (an officer's opt-in: the sent mail is shown on the public archive).

Revision ID: c5a8e1f3d7b2
Revises: b7e2d4c91a05
Create Date: 2026-12-02 01:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c5a8e1f3d7b2'
down_revision = 'c3a8f1d07e52'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisations') as batch:
        batch.add_column(sa.Column('embed_origins', sa.JSON(), server_default='[]', nullable=False))
    with op.batch_alter_table('campaigns') as batch:
        batch.add_column(sa.Column('public_archive', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('campaigns') as batch:
        batch.drop_column('public_archive')
    with op.batch_alter_table('organisations') as batch:
        batch.drop_column('embed_origins')
