"""Self-help pages per organisation, and their views counted per page per day

Adds `selfhelp_pages` (Markdown body, audience, published flag; slug unique per organisation) and
`selfhelp_views` (one counter per page per day: no cookie, no address).

Revision ID: c4a8f1d3e592
Revises: b7e2d4c91a05
Create Date: 2026-12-02 02:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c4a8f1d3e592'
down_revision = 'c5a8e3b1d947'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'selfhelp_pages',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('organisation_id', sa.Integer(), sa.ForeignKey('organisations.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('title', sa.String(200), nullable=False),
        sa.Column('slug', sa.String(100), nullable=False),
        sa.Column('audience', sa.Enum('citizens', 'businesses', name='selfhelp_audience', native_enum=False,
                                      create_constraint=True, length=10), nullable=False),
        sa.Column('summary', sa.String(300), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('published', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('organisation_id', 'slug', name='uq_selfhelp_pages_organisation_slug'),
    )
    op.create_index('ix_selfhelp_pages_organisation_id', 'selfhelp_pages', ['organisation_id'])
    op.create_table(
        'selfhelp_views',
        sa.Column('page_id', sa.Integer(), sa.ForeignKey('selfhelp_pages.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('day', sa.Date(), primary_key=True),
        sa.Column('count', sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('selfhelp_views')
    op.drop_index('ix_selfhelp_pages_organisation_id', 'selfhelp_pages')
    op.drop_table('selfhelp_pages')
