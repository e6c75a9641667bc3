"""Trigram indexes for the contacts page's search (a part of the address or name)

`LIKE '%deel%'` on the address and on lower(name) uses a GIN trigram index (pg_trgm) on PostgreSQL,
so a search among a million contacts of one organisation reads only the matching rows; on SQLite
they are plain indexes.

Revision ID: c4f8a1d2e9b7
Revises: b7e2d4c91a05
Create Date: 2026-12-02 02:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c4f8a1d2e9b7'
down_revision = 'c4a8f1d3e592'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_index('ix_contacts_email_trigram', 'contacts', ['email'], postgresql_using='gin',
                    postgresql_ops={'email': 'gin_trgm_ops'})
    op.create_index('ix_contacts_name_trigram', 'contacts', [sa.text('lower(name) gin_trgm_ops')
                                                             if op.get_bind().dialect.name == 'postgresql'
                                                             else sa.text('lower(name)')],
                    postgresql_using='gin')


def downgrade() -> None:
    op.drop_index('ix_contacts_name_trigram', table_name='contacts')
    op.drop_index('ix_contacts_email_trigram', table_name='contacts')
