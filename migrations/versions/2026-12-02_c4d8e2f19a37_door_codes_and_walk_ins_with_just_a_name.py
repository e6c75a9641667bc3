"""Door codes to read out, and walk-ins with just a name

Adds `registrations.door_code` (eight characters without look-alikes, unique per event; every
existing registration gets one here), `registrations.walk_in`, and makes `registrations.email`
optional (a walk-in may give only a name).

Revision ID: c4d8e2f19a37
Revises: b7e2d4c91a05
Create Date: 2026-12-02 01:30:00
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = 'c4d8e2f19a37'
down_revision = 'c4f8a1d3e5b7'
branch_labels = None
depends_on = None

# A copy of events.models.DOOR_CODE_ALPHABET as it was when this ran: a migration never imports the models.
ALPHABET = "23456789ACDEFGHJKMNPRTWXY"
LENGTH = 8

registrations = sa.table('registrations', sa.column('id', sa.Integer), sa.column('event_id', sa.Integer),
                         sa.column('door_code', sa.String), sa.column('email', sa.String))


def _codes_for_existing_registrations() -> None:
    connection = op.get_bind()
    taken: dict[int, set[str]] = {}
    rows = connection.execute(sa.select(registrations.c.id, registrations.c.event_id)
                              .order_by(registrations.c.id)).all()
    for registration_id, event_id in rows:
        used = taken.setdefault(event_id, set())
        code = _new_code()
        while code in used:
            code = _new_code()
        used.add(code)
        connection.execute(sa.update(registrations).where(registrations.c.id == registration_id)
                           .values(door_code=code))


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def upgrade() -> None:
    with op.batch_alter_table('registrations') as batch:
        batch.add_column(sa.Column('door_code', sa.String(LENGTH), nullable=True))
        batch.add_column(sa.Column('walk_in', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.alter_column('email', existing_type=sa.String(254), nullable=True)
    _codes_for_existing_registrations()
    with op.batch_alter_table('registrations') as batch:
        batch.alter_column('door_code', existing_type=sa.String(LENGTH), nullable=False)
        batch.create_unique_constraint('uq_registrations_event_door_code', ['event_id', 'door_code'])


def downgrade() -> None:
    # A walk-in without an address gets a placeholder that no mail is ever sent to.
    op.execute(sa.update(registrations).where(registrations.c.email.is_(None)).values(
        email=sa.literal('binnenloper-') + sa.cast(registrations.c.id, sa.String) + sa.literal('@anoniem.invalid')))
    with op.batch_alter_table('registrations') as batch:
        batch.drop_constraint('uq_registrations_event_door_code', type_='unique')
        batch.alter_column('email', existing_type=sa.String(254), nullable=False)
        batch.drop_column('walk_in')
        batch.drop_column('door_code')
