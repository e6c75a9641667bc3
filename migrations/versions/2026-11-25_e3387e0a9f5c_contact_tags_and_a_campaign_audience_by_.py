"""Contact tags and a campaign audience by tag; consent after a confirmation mail an admin resent

Revision ID: e3387e0a9f5c
Revises: 5b1e0c9a7d2f
Create Date: 2026-11-25 12:25:54.399571

"""
from alembic import op
import sqlalchemy as sa

from core import timeutils


# revision identifiers, used by Alembic.
revision = 'e3387e0a9f5c'
down_revision = "5b1e0c9a7d2f"
branch_labels = None
depends_on = None

CONSENT_SOURCES = ('subscribe_form', 'event_signup', 'import')


def _consent_sources(values):
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_consent_records_consent_source'), type_='check')
        batch_op.create_check_constraint(op.f('ck_consent_records_consent_source'), sa.column('source').in_(values))


def upgrade():
    op.create_table('contact_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('created_at', timeutils.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_contact_tags_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_tags')),
    sa.UniqueConstraint('organisation_id', 'name', name=op.f('uq_contact_tags_organisation_id'))
    )
    op.create_table('contact_tag_memberships',
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_tag_memberships_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['contact_tags.id'], name=op.f('fk_contact_tag_memberships_tag_id_contact_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tag_id', 'contact_id', name=op.f('pk_contact_tag_memberships'))
    )
    with op.batch_alter_table('contact_tag_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_tag_memberships_contact_id'), ['contact_id'], unique=False)

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tag_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_campaigns_tag_id_contact_tags'), 'contact_tags', ['tag_id'], ['id'], ondelete='SET NULL')
    _consent_sources(CONSENT_SOURCES + ('admin_resend',))



def downgrade():
    op.execute(sa.text("UPDATE consent_records SET source = 'subscribe_form' WHERE source = 'admin_resend'"))
    _consent_sources(CONSENT_SOURCES)
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_campaigns_tag_id_contact_tags'), type_='foreignkey')
        batch_op.drop_column('tag_id')

    with op.batch_alter_table('contact_tag_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_tag_memberships_contact_id'))

    op.drop_table('contact_tag_memberships')
    op.drop_table('contact_tags')
