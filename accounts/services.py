"""Account rules: passwords, sign-in, sessions, invitations, memberships, organisations.

No request objects here; functions flush but never commit.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import orm

from accounts import notifications, tokens
from accounts.models import Membership, Organisation, OrganisationKind, Role, User
from core.addresses import normalise_email
from core.timeutils import utcnow
from extensions import db


class AccountError(Exception):
    """A rule about accounts was broken; the message is safe to show."""


def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=current_app.config["ARGON2_TIME_COST"],
        memory_cost=current_app.config["ARGON2_MEMORY_COST"],
    )


def set_password(user: User, password: str) -> None:
    """Stores an argon2id hash and ends the user's other sessions."""
    user.password_hash = _hasher().hash(password)
    user.session_version += 1


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same answer for every failure)."""
    user = find_user_by_email(email)
    if user is None or not user.active or not user.password_hash:
        _hasher().hash(password)  # spend the same time as a real check
        return None
    try:
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    user.last_login_at = utcnow()
    return user


def end_sessions(user: User) -> None:
    """Invalidates every session of `user` (logout, password change)."""
    user.session_version += 1


def load_user_from_session_id(session_id: str) -> User | None:
    """Flask-Login loader: the id is "user_id:session_version"; a stale version logs out."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


class MembershipExists(AccountError):
    pass


class LastAdmin(AccountError):
    pass


class SlugTaken(AccountError):
    pass


@dataclass(frozen=True)
class OrganisationSettings:
    name: str
    slug: str
    kind: OrganisationKind
    brand_colour: str
    logo_url: str | None
    mail_from_name: str | None
    mail_from_address: str | None
    reply_to: str | None
    privacy_contact: str | None
    privacy_statement: str
    retention_days: int
    embed_origins: list[str]


def request_password_reset(email: str) -> None:
    """Queues a reset mail when an active user has this address; silent otherwise (no enumeration)."""
    user = find_user_by_email(email)
    if user is not None and user.active:
        notifications.password_reset(user)


def user_for_password_reset(token: str) -> User:
    """The active user of a reset link; raises a `tokens` error for a bad, old or used link."""
    user = tokens.user_from_token(
        token, tokens.PASSWORD_RESET_SALT, current_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"]
    )
    if not user.active:
        raise tokens.TokenInvalid
    return user


def user_for_invitation(token: str) -> User:
    """The invited user who has not chosen a password yet; raises a `tokens` error otherwise."""
    user = tokens.user_from_token(token, tokens.INVITATION_SALT, current_app.config["INVITATION_MAX_AGE_SECONDS"])
    if not user.active:
        raise tokens.TokenInvalid
    return user


def accept_invitation(user: User, name: str, password: str) -> None:
    user.name = name
    set_password(user, password)


def members(organisation_id: int) -> list[Membership]:
    query = (
        sa.select(Membership)
        .join(Membership.user)
        .where(Membership.organisation_id == organisation_id)
        .options(orm.contains_eager(Membership.user))
        .order_by(User.name, User.email)
    )
    return list(db.session.scalars(query))


def invite(organisation: Organisation, name: str, email: str, role: Role) -> Membership:
    """Adds the person to `organisation` (creating a user without a password if needed) and mails them.

    Someone without a password gets a link to choose one; an existing user a notice.
    """
    user = find_user_by_email(email)
    if user is None:
        user = User(email=normalise_email(email), name=name)
        db.session.add(user)
    elif any(m.organisation_id == organisation.id for m in user.memberships):
        raise MembershipExists(_("%(email)s is al lid van %(organisation)s.",
                                 email=user.email, organisation=organisation.name))
    membership = Membership(user=user, organisation=organisation, role=role)
    db.session.add(membership)
    db.session.flush()
    if user.password_hash is None:
        notifications.invitation(membership)
    else:
        notifications.added_to_organisation(membership)
    return membership


def change_role(membership: Membership, role: Role) -> None:
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        _ensure_another_admin(membership)
    membership.role = role
    db.session.flush()


def remove_member(membership: Membership) -> None:
    if membership.role == Role.ADMIN:
        _ensure_another_admin(membership)
    db.session.delete(membership)
    db.session.flush()


def _ensure_another_admin(membership: Membership) -> None:
    """Refuses to take away the last admin of an organisation.

    The organisation row is locked first (FOR UPDATE on PostgreSQL; SQLite has one writer), so
    two admins demoting each other at the same moment cannot both succeed.
    """
    lock = sa.select(Organisation.id).where(Organisation.id == membership.organisation_id).with_for_update()
    db.session.execute(lock)
    others = sa.select(sa.func.count()).where(
        Membership.organisation_id == membership.organisation_id,
        Membership.role == Role.ADMIN,
        Membership.id != membership.id,
    )
    if not db.session.scalar(others):
        raise LastAdmin(_("Een organisatie heeft minstens één beheerder nodig. "
                          "Maak eerst iemand anders beheerder."))


def create_organisation(settings: OrganisationSettings) -> Organisation:
    organisation = Organisation()
    update_organisation(organisation, settings)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def update_organisation(organisation: Organisation, settings: OrganisationSettings) -> None:
    taken = sa.select(Organisation.id).where(Organisation.slug == settings.slug, Organisation.id != organisation.id)
    if organisation.slug != settings.slug and db.session.scalar(taken) is not None:
        raise SlugTaken(_("Dit webadres (%(slug)s) is al in gebruik.", slug=settings.slug))
    for name, value in asdict(settings).items():
        setattr(organisation, name, value)
    db.session.flush()
