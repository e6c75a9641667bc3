"""Indexes for the audience count of a million contacts

The status index gains the contact id, so counting the subscribed contacts (and joining them to a
list's or tag's members) reads only the index (an index-only scan), not every row; the municipality
is found by lower(municipality) within the organisation, as `audiences.conditions` compares it.

Revision ID: d1e5a7c3b9f4
Revises: c4f8a1d2e9b7
Create Date: 2026-12-02 05:55:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'd1e5a7c3b9f4'
down_revision = 'c4f8a1d2e9b7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_contacts_organisation_status_id', 'contacts', ['organisation_id', 'status', 'id'])
    op.drop_index('ix_contacts_organisation_status', table_name='contacts')
    op.create_index('ix_contacts_organisation_municipality', 'contacts',
                    ['organisation_id', sa.text('lower(municipality)')])


def downgrade() -> None:
    op.drop_index('ix_contacts_organisation_municipality', table_name='contacts')
    op.create_index('ix_contacts_organisation_status', 'contacts', ['organisation_id', 'status'])
    op.drop_index('ix_contacts_organisation_status_id', table_name='contacts')
