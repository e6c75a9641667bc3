"""Account rules: passwords, sign-in, sessions. No request objects here."""
from __future__ import annotations

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from accounts.models import User
from extensions import db
from timeutils import utcnow


class AccountError(Exception):
    """A rule about accounts was broken; the message is safe to show."""


def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=current_app.config["ARGON2_TIME_COST"],
        memory_cost=current_app.config["ARGON2_MEMORY_COST"],
    )


def normalise_email(email: str) -> str:
    return email.strip().lower()


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
