"""Check-in log and lifecycle mail

The append-only log of scans at the door, and per event the reminder lead time, the extra
paragraphs of the reminder and follow-up mails, and when each was queued.

Revision ID: 6c0e634a8484
Revises: 25f295997907
Create Date: 2026-11-25 10:17:06.260269

"""
from alembic import op
import sqlalchemy as sa

from core import timeutils


# revision identifiers, used by Alembic.
revision = '6c0e634a8484'
down_revision = '25f295997907'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checkin_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=200), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('scanned_at', timeutils.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', timeutils.UTCDateTime(timezone=True), nullable=False),
    sa.Column('device', sa.String(length=100), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('result', sa.Enum('checked_in', 'already_checked_in', 'undone', 'refused', name='checkin_result', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('refusal_reason', sa.Enum('cancelled', 'waitlisted', 'other_event', 'unknown_code', 'event_cancelled', 'event_ended', name='refusal_reason', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('after_end', sa.Boolean(), nullable=False),
    sa.CheckConstraint("(result = 'refused') = (refusal_reason IS NOT NULL)", name=op.f('ck_checkin_log_reason_iff_refused')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_checkin_log_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_checkin_log_registration_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_checkin_log_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_log')),
    sa.UniqueConstraint('nonce', name=op.f('uq_checkin_log_nonce'))
    )
    with op.batch_alter_table('checkin_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_log_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkin_log_registration_id'), ['registration_id'], unique=False)

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_hours_before', sa.Integer(), nullable=False, server_default='24'))
        batch_op.add_column(sa.Column('reminder_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('attended_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('no_show_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('reminder_sent_at', timeutils.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('followup_sent_at', timeutils.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint('reminder_hours_positive', 'reminder_hours_before > 0')


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_events_reminder_hours_positive'), type_='check')
        batch_op.drop_column('followup_sent_at')
        batch_op.drop_column('reminder_sent_at')
        batch_op.drop_column('no_show_text')
        batch_op.drop_column('attended_text')
        batch_op.drop_column('reminder_text')
        batch_op.drop_column('reminder_hours_before')

    with op.batch_alter_table('checkin_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_log_registration_id'))
        batch_op.drop_index(batch_op.f('ix_checkin_log_event_id'))

    op.drop_table('checkin_log')
