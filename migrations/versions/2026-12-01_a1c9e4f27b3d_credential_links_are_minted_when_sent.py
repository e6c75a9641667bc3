"""Credential links are minted when the mail is sent; only the newest one works

Outbox rows gain `secret_link` (how to make the link, never the link); users gain
`link_generation`, bumped by every new reset or invitation link.

Revision ID: a1c9e4f27b3d
Revises: 7f3a9c2e4b61
Create Date: 2026-12-01 21:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'a1c9e4f27b3d'
down_revision = '7f3a9c2e4b61'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('link_generation', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('outgoing_messages') as batch:
        batch.add_column(sa.Column('secret_link', sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outgoing_messages') as batch:
        batch.drop_column('secret_link')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('link_generation')
