"""Contacts, consent, lists and campaigns

Revision ID: c3dc6ffe0cc2
Revises: 6c0e634a8484
Create Date: 2026-11-25 10:23:02.691222

"""
from alembic import op
import sqlalchemy as sa

from core import timeutils


# revision identifiers, used by Alembic.
revision = 'c3dc6ffe0cc2'
down_revision = '6c0e634a8484'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contact_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', timeutils.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_contact_lists_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_lists')),
    sa.UniqueConstraint('organisation_id', 'name', name=op.f('uq_contact_lists_organisation_id'))
    )
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('template_key', sa.String(length=50), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('preheader', sa.String(length=200), nullable=False),
    sa.Column('sender_name', sa.String(length=200), nullable=False),
    sa.Column('sender_address', sa.String(length=254), nullable=False),
    sa.Column('mjml_source', sa.Text(), nullable=False),
    sa.Column('rendered_html', sa.Text(), nullable=True),
    sa.Column('rendered_text', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'scheduled', 'sending', 'paused', 'sent', 'cancelled', name='campaign_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('scheduled_at', timeutils.UTCDateTime(timezone=True), nullable=True),
    sa.Column('launched_at', timeutils.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', timeutils.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', timeutils.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', timeutils.UTCDateTime(timezone=True), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=True),
    sa.Column('audience_type', sa.Enum('citizen', 'sme', name='campaign_audience', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('municipality', sa.String(length=100), nullable=True),
    sa.Column('topic', sa.Enum('phishing', 'passwords', 'fraud', 'business', 'events', name='campaign_topic', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('event_relation', sa.Enum('registered', 'attended', 'absent', name='campaign_event_relation', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('event_ids', sa.JSON(), nullable=False),
    sa.Column('track_clicks', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_campaigns_event_id_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['list_id'], ['contact_lists.id'], name=op.f('fk_campaigns_list_id_contact_lists'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_campaigns_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('campaign_links',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_links_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'position', name=op.f('pk_campaign_links'))
    )
    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('audience', sa.Enum('citizen', 'sme', name='contact_audience', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('municipality', sa.String(length=100), nullable=True),
    sa.Column('status', sa.Enum('unconfirmed', 'subscribed', 'unsubscribed', 'bounced', 'complained', name='contact_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('confirm_nonce', sa.String(length=64), nullable=True),
    sa.Column('created_at', timeutils.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', timeutils.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unsubscribed_at', timeutils.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unsubscribed_campaign_id', sa.Integer(), nullable=True),
    sa.Column('bounced_at', timeutils.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_contacts_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unsubscribed_campaign_id'], ['campaigns.id'], name=op.f('fk_contacts_unsubscribed_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts')),
    sa.UniqueConstraint('organisation_id', 'email', name=op.f('uq_contacts_organisation_id'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_organisation_status', ['organisation_id', 'status'], unique=False)

    op.create_table('consent_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('given_at', timeutils.UTCDateTime(timezone=True), nullable=False),
    sa.Column('text_version', sa.String(length=40), nullable=False),
    sa.Column('source', sa.Enum('subscribe_form', 'event_signup', 'import', name='consent_source', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_consent_records_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_records'))
    )
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_records_contact_id'), ['contact_id'], unique=False)

    op.create_table('contact_list_memberships',
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_list_memberships_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['list_id'], ['contact_lists.id'], name=op.f('fk_contact_list_memberships_list_id_contact_lists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('list_id', 'contact_id', name=op.f('pk_contact_list_memberships'))
    )
    with op.batch_alter_table('contact_list_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_list_memberships_contact_id'), ['contact_id'], unique=False)

    op.create_table('contact_topics',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.Enum('phishing', 'passwords', 'fraud', 'business', 'events', name='contact_topic', native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_topics_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', 'topic', name=op.f('pk_contact_topics'))
    )


def downgrade():
    op.drop_table('contact_topics')
    with op.batch_alter_table('contact_list_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_list_memberships_contact_id'))

    op.drop_table('contact_list_memberships')
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_records_contact_id'))

    op.drop_table('consent_records')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_organisation_status')

    op.drop_table('contacts')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_organisation_id'))

    op.drop_table('campaign_links')
    op.drop_table('campaigns')
    op.drop_table('contact_lists')
