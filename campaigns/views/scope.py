"""The organisation an admin page works in: `?organisatie=<id>`, by default the user's first."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from accounts.models import Organisation
from core.permissions import Permission, ensure_can, organisations_for
from core.webutils import optional_id
from extensions import db


def chosen_organisation(value: str | None = None) -> Organisation:
    value = request.values.get("organisatie") if value is None else value
    if value:
        organisation_id = optional_id(value)
        if organisation_id is None:
            abort(404)
        ensure_can(Permission.MANAGE_CAMPAIGNS, organisation_id)
        return db.session.get(Organisation, organisation_id) or abort(404)
    organisations = organisations_for(current_user, Permission.MANAGE_CAMPAIGNS)
    if not organisations:
        abort(404)
    return organisations[0]


def organisations() -> list[Organisation]:
    return organisations_for(current_user, Permission.MANAGE_CAMPAIGNS)
