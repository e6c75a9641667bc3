"""Effect: per-event evaluation settings, and one response per attendee (evaluation, knowledge before/after, follow-up)

Revision ID: e7f1c2a9b4d6
Revises: a1c9e4f27b3d
Create Date: 2026-12-01 22:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'e7f1c2a9b4d6'
down_revision = 'a1c9e4f27b3d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'effect_settings',
        sa.Column('event_id', sa.Integer(), sa.ForeignKey('events.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('evaluation_enabled', sa.Boolean(), nullable=False),
        sa.Column('measures', sa.JSON(none_as_null=True), nullable=True),
        sa.Column('knowledge_questions', sa.JSON(), nullable=False),
        sa.Column('ask_experience', sa.Boolean(), nullable=False),
        sa.Column('followup_days', sa.Integer(), nullable=False),
        sa.Column('open_question', sa.String(length=300), nullable=True),
        sa.CheckConstraint('followup_days BETWEEN 14 AND 365', name=op.f('ck_effect_settings_followup_days_in_range')),
    )
    op.create_table(
        'effect_responses',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('event_id', sa.Integer(), sa.ForeignKey('events.id', ondelete='CASCADE'), nullable=False),
        sa.Column('registration_id', sa.Integer(), sa.ForeignKey('registrations.id', ondelete='SET NULL'),
                  nullable=True, unique=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('knowledge_before', sa.JSON(none_as_null=True), nullable=True),
        sa.Column('knowledge_before_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('satisfaction', sa.SmallInteger(), nullable=True),
        sa.Column('usefulness', sa.SmallInteger(), nullable=True),
        sa.Column('intentions', sa.JSON(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('knowledge_after', sa.JSON(none_as_null=True), nullable=True),
        sa.Column('experience_consent', sa.Boolean(), nullable=False),
        sa.Column('experienced', sa.JSON(), nullable=False),
        sa.Column('reported', sa.JSON(), nullable=False),
        sa.Column('followup_sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('followed_up_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('actions', sa.JSON(), nullable=False),
        sa.CheckConstraint('satisfaction BETWEEN 1 AND 5', name=op.f('ck_effect_responses_satisfaction_in_range')),
        sa.CheckConstraint('usefulness BETWEEN 1 AND 5', name=op.f('ck_effect_responses_usefulness_in_range')),
        sa.CheckConstraint('(evaluated_at IS NULL) = (satisfaction IS NULL)',
                           name=op.f('ck_effect_responses_evaluated_iff_satisfaction')),
    )
    op.create_index(op.f('ix_effect_responses_event_id'), 'effect_responses', ['event_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_effect_responses_event_id'), table_name='effect_responses')
    op.drop_table('effect_responses')
    op.drop_table('effect_settings')
