"""Who may do what, in which organisation.

Every view declares its access with exactly one of `@public`, `@requires(permission)`,
`@requires_login` or `@requires_regional_admin`; `tests/accounts/test_route_permissions.py`
walks the URL map and fails on a view that has none. Object access is scoped with
`organisation_ids_for()` / `ensure_can()`, so a user of one organisation gets a 404 for another
organisation's data.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from accounts.models import Organisation, Role, User
from extensions import db, login_manager


class Permission(enum.StrEnum):
    MANAGE_EVENTS = "manage_events"
    CHECK_IN = "check_in"
    MANAGE_CAMPAIGNS = "manage_campaigns"
    VIEW_RESULTS = "view_results"
    MANAGE_USERS = "manage_users"
    VIEW_MAIL = "view_mail"
    MANAGE_ORGANISATION = "manage_organisation"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.ORGANISER: frozenset({Permission.MANAGE_EVENTS, Permission.CHECK_IN, Permission.VIEW_RESULTS}),
    Role.COMMUNICATIONS: frozenset({Permission.MANAGE_CAMPAIGNS, Permission.VIEW_RESULTS}),
    Role.CHECKIN: frozenset({Permission.CHECK_IN}),
}

View = TypeVar("View", bound=Callable[..., Any])
Scoped = TypeVar("Scoped")


def organisation_ids_for(user: User, permission: Permission) -> list[int]:
    """Ids of the organisations in which `user` holds `permission` (all, for a regional admin)."""
    if not user.is_authenticated:
        return []
    if user.is_regional_admin:
        return list(db.session.scalars(sa.select(Organisation.id).order_by(Organisation.name)))
    return [m.organisation_id for m in user.memberships if permission in ROLE_PERMISSIONS[m.role]]


def organisations_for(user: User, permission: Permission) -> list[Organisation]:
    ids = organisation_ids_for(user, permission)
    if not ids:
        return []
    query = sa.select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)
    return list(db.session.scalars(query))


def may_use(user: User, permission: Permission) -> bool:
    """True when `user` holds `permission` somewhere; a regional admin always, even before any organisation exists."""
    return user.is_authenticated and (user.is_regional_admin or bool(organisation_ids_for(user, permission)))


def can(user: User, permission: Permission, organisation_id: int) -> bool:
    return organisation_id in organisation_ids_for(user, permission)


def ensure_can(permission: Permission, organisation_id: int) -> None:
    """404, not 403, for another organisation's object: its existence is not revealed."""
    if not can(current_user, permission, organisation_id):
        abort(404)


def scoped_or_404(model: type[Scoped], object_id: int, permission: Permission) -> Scoped:
    """The row with this id if the user holds `permission` in its organisation; else 404 either way."""
    row = db.session.get(model, object_id)
    if row is None:
        abort(404)
    ensure_can(permission, row.organisation_id)  # type: ignore[attr-defined]
    return row


def requires(permission: Permission) -> Callable[[View], View]:
    """Login plus `permission` in at least one organisation; anonymous users go to the login page."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not may_use(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def requires_login(view: View) -> View:
    """Any signed-in user (their own account pages, the dashboard that lists what they may use)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    wrapped.required_permission = "login"  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


def requires_regional_admin(view: View) -> View:
    """Region-wide actions, such as creating an organisation: regional admins only."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_regional_admin:
            abort(403)
        return view(*args, **kwargs)

    wrapped.required_permission = "regional_admin"  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


def public(view: View) -> View:
    """Marks a view as deliberately open to anonymous visitors."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def role_in(user: User, organisation_id: int) -> Role | None:
    if user.is_regional_admin:
        return Role.ADMIN
    for membership in user.memberships:
        if membership.organisation_id == organisation_id:
            return membership.role
    return None

