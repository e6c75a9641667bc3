"""Admin mail pages: the development mail catcher and the outbox."""
from __future__ import annotations

from flask import Blueprint, render_template

from accounts.permissions import Permission, requires

blueprint = Blueprint("mailing", __name__, url_prefix="/beheer/mail")


@blueprint.route("/")
@requires(Permission.VIEW_MAIL)
def catcher() -> str:
    return render_template("mailing/catcher.html", messages=[])
