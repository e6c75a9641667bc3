"""Who may do what, in which organisation.

Every view declares its access with exactly one of `@public`, `@requires(permission)`,
`@requires_login` or `@requires_regional_admin`; `tests/accounts/test_route_permissions.py`
walks the URL map and fails on a view that has none. Object access is scoped with
`organisation_ids_for()` / `ensure_can()`, so a user of one organisation gets a 404 for another
organisation's data.

Which organisations a user acts in is the user's own answer (`accounts.models.User`, which maps
its memberships' roles to permissions): core knows permissions, not roles or memberships.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar

from flask import abort
from flask_login import current_user

from extensions import db, login_manager


class Permission(enum.StrEnum):
    MANAGE_EVENTS = "manage_events"
    CHECK_IN = "check_in"
    MANAGE_CAMPAIGNS = "manage_campaigns"
    VIEW_RESULTS = "view_results"
    MANAGE_USERS = "manage_users"
    VIEW_MAIL = "view_mail"
    MANAGE_ORGANISATION = "manage_organisation"
    MANAGE_SELFHELP = "manage_selfhelp"


View = TypeVar("View", bound=Callable[..., Any])
Scoped = TypeVar("Scoped")


class Member(Protocol):
    """The signed-in user as core sees it (`accounts.models.User` is one)."""

    is_authenticated: bool
    is_regional_admin: bool

    def organisation_ids_for(self, permission: Permission) -> list[int]: ...

    def organisations_for(self, permission: Permission) -> list[Any]: ...


def organisation_ids_for(user: Member, permission: Permission) -> list[int]:
    """Ids of the organisations in which `user` holds `permission` (all, for a regional admin)."""
    return user.organisation_ids_for(permission) if user.is_authenticated else []


def organisations_for(user: Member, permission: Permission) -> list[Any]:
    """The organisations themselves, by name."""
    return user.organisations_for(permission) if user.is_authenticated else []


def may_use(user: Member, permission: Permission) -> bool:
    """True when `user` holds `permission` somewhere; a regional admin always, even before any organisation exists."""
    return user.is_authenticated and (user.is_regional_admin or bool(organisation_ids_for(user, permission)))


def can(user: Member, permission: Permission, organisation_id: int) -> bool:
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

