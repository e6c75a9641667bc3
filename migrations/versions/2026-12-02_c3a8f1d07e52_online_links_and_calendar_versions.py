"""Online links held back until shortly before the start; calendar entries carry a version; names in evaluations

Adds to `events`: `online_link_hours_before` and `online_link_sent_at` (the link is given from N hours
before the start, by the reminder or a mail of its own), `calendar_sequence` and
`calendar_changed_at` (RFC 5545 SEQUENCE and LAST-MODIFIED, raised when time, place or link change).
Adds `effect_settings.ask_names` (off by default) and `effect_responses.respondent_name`.

Revision ID: c3a8f1d07e52
Revises: b7e2d4c91a05
Create Date: 2026-12-02 01:30:00
"""
import sqlalchemy as sa
from alembic import op

from core import timeutils

revision = 'c3a8f1d07e52'
down_revision = 'c4d8e2f19a37'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events') as batch:
        batch.add_column(sa.Column('online_link_hours_before', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('online_link_sent_at', timeutils.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('calendar_sequence', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('calendar_changed_at', timeutils.UTCDateTime(timezone=True), nullable=True))
        batch.create_check_constraint('online_link_hours_positive', 'online_link_hours_before > 0')
    op.execute("UPDATE events SET calendar_changed_at = updated_at")
    with op.batch_alter_table('events') as batch:
        batch.alter_column('calendar_changed_at', existing_type=timeutils.UTCDateTime(timezone=True), nullable=False)
    with op.batch_alter_table('effect_settings') as batch:
        batch.add_column(sa.Column('ask_names', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('effect_responses') as batch:
        batch.add_column(sa.Column('respondent_name', sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('effect_responses') as batch:
        batch.drop_column('respondent_name')
    with op.batch_alter_table('effect_settings') as batch:
        batch.drop_column('ask_names')
    with op.batch_alter_table('events') as batch:
        batch.drop_constraint(op.f('ck_events_online_link_hours_positive'), type_='check')
        batch.drop_column('calendar_changed_at')
        batch.drop_column('calendar_sequence')
        batch.drop_column('online_link_sent_at')
        batch.drop_column('online_link_hours_before')
