"""Outbox rows reference a compiled mail template; contacts get a stored link token

Revision ID: 16a268389433
Revises: c3dc6ffe0cc2
Create Date: 2026-11-25 11:30:12.328518

"""
import secrets

from alembic import op
import sqlalchemy as sa

from core import timeutils


# revision identifiers, used by Alembic.
revision = '16a268389433'
down_revision = 'c3dc6ffe0cc2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('html_source', sa.Text(), nullable=False),
    sa.Column('text_source', sa.Text(), nullable=False),
    sa.Column('shared', sa.JSON(), nullable=False),
    sa.Column('redirects', sa.JSON(), nullable=False),
    sa.Column('created_at', timeutils.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_mail_templates_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_templates'))
    )
    with op.batch_alter_table('mail_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_templates_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_token', sa.String(length=32), nullable=True))
    _backfill_link_tokens()
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.alter_column('link_token', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_contacts_link_token'), ['link_token'])

    with op.batch_alter_table('outgoing_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('context', sa.JSON(none_as_null=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outgoing_messages_template_id'), ['template_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outgoing_messages_template_id_mail_templates'), 'mail_templates', ['template_id'], ['id'], ondelete='CASCADE')


def _backfill_link_tokens():
    contacts = sa.table('contacts', sa.column('id', sa.Integer), sa.column('link_token', sa.String))
    connection = op.get_bind()
    ids = connection.scalars(sa.select(contacts.c.id)).all()
    if ids:
        connection.execute(
            contacts.update().where(contacts.c.id == sa.bindparam('contact_id')).values(link_token=sa.bindparam('token')),
            [{'contact_id': contact_id, 'token': secrets.token_urlsafe(24)} for contact_id in ids],
        )


def downgrade():
    # Rows still to be personalised cannot be sent without their template: cancelled, not sent empty.
    outbox = sa.table('outgoing_messages', sa.column('template_id', sa.Integer), sa.column('status', sa.String),
                      sa.column('last_error', sa.Text))
    op.execute(outbox.update().where(outbox.c.template_id.is_not(None), outbox.c.status.in_(['queued', 'sending']))
               .values(status='cancelled', last_error='downgrade: not personalised yet'))
    with op.batch_alter_table('outgoing_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outgoing_messages_template_id_mail_templates'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outgoing_messages_template_id'))
        batch_op.drop_column('context')
        batch_op.drop_column('template_id')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_contacts_link_token'), type_='unique')
        batch_op.drop_column('link_token')

    with op.batch_alter_table('mail_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_templates_organisation_id'))

    op.drop_table('mail_templates')
