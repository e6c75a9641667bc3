"""A campaign may test two subjects on a share of its recipients before the rest gets the winner

Adds `campaign_subject_tests` (one row per campaign with a subject test).

Revision ID: c5a8e3b1d947
Revises: b7e2d4c91a05
Create Date: 2026-12-02 02:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c5a8e3b1d947'
down_revision = 'c4a8e1f06d27'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'campaign_subject_tests',
        sa.Column('campaign_id', sa.Integer(), sa.ForeignKey('campaigns.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('subject_b', sa.String(200), nullable=False),
        sa.Column('test_percent', sa.Integer(), nullable=False),
        sa.Column('wait_minutes', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('winner', sa.String(1), nullable=True),
        sa.Column('template_a_id', sa.Integer(), sa.ForeignKey('mail_templates.id', ondelete='SET NULL'),
                  nullable=True),
        sa.Column('template_b_id', sa.Integer(), sa.ForeignKey('mail_templates.id', ondelete='SET NULL'),
                  nullable=True),
        sa.Column('signups_a', sa.Integer(), nullable=True),
        sa.Column('signups_b', sa.Integer(), nullable=True),
        sa.CheckConstraint('test_percent BETWEEN 2 AND 50', name=op.f('ck_campaign_subject_tests_test_percent_range')),
        sa.CheckConstraint('wait_minutes BETWEEN 10 AND 10080', name=op.f('ck_campaign_subject_tests_wait_minutes_range')),
        sa.CheckConstraint("winner IN ('a', 'b')", name=op.f('ck_campaign_subject_tests_winner_a_or_b')),
    )


def downgrade() -> None:
    op.drop_table('campaign_subject_tests')
