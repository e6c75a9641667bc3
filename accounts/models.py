"""Organisations (municipalities and partners), users and their memberships."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.permissions import Permission
from core.sql import enum_type
from core.timeutils import UTCDateTime, utcnow
from extensions import db


class OrganisationKind(enum.StrEnum):
    MUNICIPALITY = "municipality"
    PARTNER = "partner"


class Role(enum.StrEnum):
    ADMIN = "admin"
    COMMUNICATIONS = "communications"
    ORGANISER = "organiser"
    CHECKIN = "checkin"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.ORGANISER: frozenset({Permission.MANAGE_EVENTS, Permission.CHECK_IN, Permission.VIEW_RESULTS,
                               Permission.MANAGE_SELFHELP}),
    # The communication officer sees what their organisation sent (credential links stay placeholders).
    Role.COMMUNICATIONS: frozenset({Permission.MANAGE_CAMPAIGNS, Permission.VIEW_RESULTS, Permission.VIEW_MAIL,
                                    Permission.MANAGE_SELFHELP}),
    Role.CHECKIN: frozenset({Permission.CHECK_IN}),
}


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        enum_type(OrganisationKind, "organisation_kind"), default=OrganisationKind.MUNICIPALITY
    )
    brand_colour: Mapped[str] = mapped_column(sa.String(7), default="#154273")
    logo_url: Mapped[str | None] = mapped_column(sa.String(500))
    mail_from_name: Mapped[str | None] = mapped_column(sa.String(200))
    mail_from_address: Mapped[str | None] = mapped_column(sa.String(254))
    reply_to: Mapped[str | None] = mapped_column(sa.String(254))
    privacy_contact: Mapped[str | None] = mapped_column(sa.String(254))
    privacy_statement: Mapped[str] = mapped_column(sa.Text, default="")
    retention_days: Mapped[int] = mapped_column(default=365)
    # The https origins of the organisation's own sites that may frame its agenda and subscribe form
    # (accounts/embedding.py); empty: nobody may.
    embed_origins: Mapped[list[str]] = mapped_column(sa.JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("retention_days > 0", name="retention_positive"),
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # A regional admin acts as admin in every organisation.
    is_regional_admin: Mapped[bool] = mapped_column(default=False)
    # Bumped on logout and password change; the session stores it, so old sessions stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor login (TOTP): set once the user confirmed a first code. The last accepted time
    # step is kept so a code cannot be used twice (see accounts.two_factor.verify).
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_last_counter: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Bumped whenever a new reset or invitation link is made: only the newest link works.
    link_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(cascade="all, delete-orphan")

    def __init__(self, **fields: object) -> None:
        # Set now, not at INSERT: set_password() and supersede_links() bump them.
        fields.setdefault("session_version", 1)
        fields.setdefault("link_generation", 0)
        super().__init__(**fields)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def has_two_factor(self) -> bool:
        return self.totp_secret is not None

    def organisation_ids_for(self, permission: Permission) -> list[int]:
        """Ids of the organisations in which this user holds `permission` (all, for a regional admin)."""
        if self.is_regional_admin:
            return list(db.session.scalars(sa.select(Organisation.id).order_by(Organisation.name)))
        return [m.organisation_id for m in self.memberships if permission in ROLE_PERMISSIONS[m.role]]

    def organisations_for(self, permission: Permission) -> list[Organisation]:
        ids = self.organisation_ids_for(permission)
        if not ids:
            return []
        query = sa.select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)
        return list(db.session.scalars(query))

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class RecoveryCode(db.Model):
    """A one-time code for logging in without the authenticator app; only its hash is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("user_id", "code_hash"),)


class Membership(db.Model):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE")
    )
    role: Mapped[Role] = mapped_column(enum_type(Role, "membership_role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")

    __table_args__ = (sa.UniqueConstraint("user_id", "organisation_id"),)
