"""Outbox rows record when they failed; a partial index of the rows still to be delivered

`failed_at` is the moment a row failed for good, so that a campaign's `finished_at` is the moment
its last message was settled (sent or failed), set by the worker or `flask campaigns tick`. The
partial index holds only queued and sending rows: whether a campaign has anything left is one
index lookup, however many of its rows were already sent.

Revision ID: 7f3a9c2e4b61
Revises: d08655a3a702
Create Date: 2026-12-01 21:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

from core import timeutils


# revision identifiers, used by Alembic.
revision = '7f3a9c2e4b61'
down_revision = 'd08655a3a702'
branch_labels = None
depends_on = None

UNSETTLED = sa.text("status IN ('queued', 'sending')")


def upgrade():
    with op.batch_alter_table('outgoing_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', timeutils.UTCDateTime(timezone=True), nullable=True))
    op.create_index('ix_outgoing_messages_unsettled_campaign', 'outgoing_messages', ['campaign_id'], unique=False,
                    postgresql_where=UNSETTLED, sqlite_where=UNSETTLED)


def downgrade():
    op.drop_index('ix_outgoing_messages_unsettled_campaign', table_name='outgoing_messages')
    with op.batch_alter_table('outgoing_messages', schema=None) as batch_op:
        batch_op.drop_column('failed_at')
