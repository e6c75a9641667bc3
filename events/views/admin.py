"""Admin pages for events and their registrations."""
from __future__ import annotations

from flask import Blueprint, render_template

from accounts.permissions import Permission, requires

blueprint = Blueprint("events_admin", __name__, url_prefix="/beheer/evenementen")


@blueprint.route("/")
@requires(Permission.MANAGE_EVENTS)
def index() -> str:
    return render_template("events/admin/index.html", events=[])
