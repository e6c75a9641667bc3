"""A seat counter on the event; outbox rows that the worker composes

Adds `events.seats_taken` (the confirmed registrations, filled from them here) and
`outgoing_messages.composer` (the registered composer and its arguments that build the mail when
it is sent).

Revision ID: c4f8a1d3e5b7
Revises: b7e2d4c91a05
Create Date: 2026-12-02 01:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c4f8a1d3e5b7'
down_revision = 'b7e2d4c91a05'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events') as batch:
        batch.add_column(sa.Column('seats_taken', sa.Integer(), nullable=False, server_default='0'))
        batch.create_check_constraint(op.f('ck_events_seats_taken_not_negative'), 'seats_taken >= 0')
    op.execute(
        "UPDATE events SET seats_taken = (SELECT count(*) FROM registrations"
        " WHERE registrations.event_id = events.id AND registrations.status = 'confirmed')"
    )
    with op.batch_alter_table('outgoing_messages') as batch:
        batch.add_column(sa.Column('composer', sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outgoing_messages') as batch:
        batch.drop_column('composer')
    with op.batch_alter_table('events') as batch:
        batch.drop_constraint(op.f('ck_events_seats_taken_not_negative'), type_='check')
        batch.drop_column('seats_taken')
